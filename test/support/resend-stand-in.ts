/**
 * A local stand-in for Resend's email API, for tests: a Node HTTP server on 127.0.0.1 that
 * answers `POST /emails` as Resend documents it (https://resend.com/docs/api-reference/emails/send-email,
 * https://resend.com/docs/api-reference/errors, https://resend.com/docs/dashboard/emails/idempotency-keys):
 *
 * - `Authorization: Bearer <key>`: none -> 401 `missing_api_key`; a key that is not `re_` +
 *   word characters, or is `re_invalid`, -> 403 `invalid_api_key`.
 * - JSON body with `from`, `to`, `subject` and `html` or `text`; otherwise 422
 *   `missing_required_field` (400 `validation_error` for a body that is not a JSON object).
 * - `Idempotency-Key`: 1 to 256 characters (else 400 `invalid_idempotency_key`). The same key
 *   with the same body returns the first answer and sends nothing new; the same key with another
 *   body -> 409 `invalid_idempotent_request`. Keys are scoped per API key and kept for the
 *   server's life (Resend keeps them 24 hours).
 * - 200 `{ "id": "<uuid>" }`; the email is recorded.
 *
 * Emails, idempotency keys and injected failures are kept per API key, so test files running
 * side by side use different keys and never see each other's mail. Control endpoints (same
 * bearer key): `GET /_stand-in/emails`, `POST /_stand-in/fail` `{ status, count, afterAccept?,
 * message? }` (the next `count` sends answer `status`; with `afterAccept` the email is accepted
 * and recorded first, as when Resend's answer is lost), `POST /_stand-in/reset`.
 * Started by `resend-global-setup.ts` for the workers tests and directly by Node tests.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  idempotencyKey: string | null;
}

export interface FailurePlan {
  status: number;
  count: number;
  /** Accept and record the email, then answer `status` (a lost answer). */
  afterAccept?: boolean;
  /** Message of the error body (default: Resend's for the status). */
  message?: string;
}

interface Remembered {
  bodyKey: string;
  status: number;
  body: string;
}

interface Team {
  emails: ReceivedEmail[];
  keys: Map<string, Remembered>;
  fail: FailurePlan | null;
}

export interface ResendStandIn {
  /** Base URL, `http://127.0.0.1:<port>` (no trailing slash): the SDK's `baseUrl`. */
  url: string;
  emails(apiKey: string): ReceivedEmail[];
  failNext(apiKey: string, plan: FailurePlan): void;
  reset(apiKey: string): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 2_000_000;
const API_KEY_RE = /^re_\w+$/;

const ERROR_NAMES: Readonly<Record<number, [string, string]>> = {
  429: ["rate_limit_exceeded", "Too many requests. Please limit the number of requests per second."],
  500: ["application_error", "An unexpected error occurred."],
  502: ["application_error", "An unexpected error occurred."],
  503: ["application_error", "Service unavailable."],
};

function errorBody(statusCode: number, name: string, message: string): string {
  return JSON.stringify({ statusCode, name, message });
}

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(null));
  });
}

/** JSON with object keys sorted, so two equal payloads compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

function asRecipients(v: unknown): string[] | null {
  if (typeof v === "string" && v.length > 0) return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string" && s.length > 0))
    return v as string[];
  return null;
}

/** Validates a send body; the email, or the field that is missing. */
function parseSend(
  body: unknown,
  idempotencyKey: string | null,
): { ok: true; email: Omit<ReceivedEmail, "id"> } | { ok: false; field: string } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { ok: false, field: "body" };
  const b = body as Record<string, unknown>;
  if (typeof b.from !== "string" || b.from.length === 0) return { ok: false, field: "from" };
  const to = asRecipients(b.to);
  if (to === null) return { ok: false, field: "to" };
  if (typeof b.subject !== "string" || b.subject.length === 0) return { ok: false, field: "subject" };
  const html = typeof b.html === "string" ? b.html : null;
  const text = typeof b.text === "string" ? b.text : null;
  if (html === null && text === null) return { ok: false, field: "html` or `text" };
  return { ok: true, email: { from: b.from, to, subject: b.subject, html, text, idempotencyKey } };
}

export async function startResendStandIn(opts: { port?: number } = {}): Promise<ResendStandIn> {
  const teams = new Map<string, Team>();
  const team = (apiKey: string): Team => {
    let t = teams.get(apiKey);
    if (t === undefined) {
      t = { emails: [], keys: new Map(), fail: null };
      teams.set(apiKey, t);
    }
    return t;
  };

  const takeFailure = (t: Team): FailurePlan | null => {
    const f = t.fail;
    if (f === null || f.count <= 0) return null;
    f.count -= 1;
    if (f.count === 0) t.fail = null;
    return f;
  };

  const failureReply = (res: ServerResponse, f: FailurePlan): void => {
    const [name, message] = ERROR_NAMES[f.status] ?? ["application_error", "An unexpected error occurred."];
    const headers: Record<string, string> = f.status === 429 ? { "retry-after": "1" } : {};
    reply(res, f.status, errorBody(f.status, name, f.message ?? message), headers);
  };

  async function sendEmail(req: IncomingMessage, res: ServerResponse, t: Team): Promise<void> {
    const raw = await readBody(req);
    const header = req.headers["idempotency-key"];
    const idempotencyKey = typeof header === "string" ? header : null;
    if (idempotencyKey !== null && (idempotencyKey.length < 1 || idempotencyKey.length > 256)) {
      reply(res, 400, errorBody(400, "invalid_idempotency_key", "The key must be between 1-256 chars."));
      return;
    }
    let body: unknown;
    try {
      body = raw === null ? null : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
      reply(res, 400, errorBody(400, "validation_error", "The request body must be a JSON object."));
      return;
    }
    const failure = takeFailure(t);
    if (failure !== null && !failure.afterAccept) {
      failureReply(res, failure);
      return;
    }
    const bodyKey = canonical(body);
    if (idempotencyKey !== null) {
      const seen = t.keys.get(idempotencyKey);
      if (seen !== undefined) {
        if (seen.bodyKey !== bodyKey) {
          reply(
            res,
            409,
            errorBody(
              409,
              "invalid_idempotent_request",
              "Same idempotency key used with a different request payload.",
            ),
          );
        } else if (failure !== null) {
          failureReply(res, failure);
        } else {
          reply(res, seen.status, seen.body);
        }
        return;
      }
    }
    const parsed = parseSend(body, idempotencyKey);
    if (!parsed.ok) {
      reply(res, 422, errorBody(422, "missing_required_field", `Missing \`${parsed.field}\` field.`));
      return;
    }
    const id = randomUUID();
    t.emails.push({ id, ...parsed.email });
    const ok = JSON.stringify({ id });
    if (idempotencyKey !== null) t.keys.set(idempotencyKey, { bodyKey, status: 200, body: ok });
    if (failure !== null) failureReply(res, failure);
    else reply(res, 200, ok);
  }

  async function control(
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    apiKey: string,
  ): Promise<void> {
    if (req.method === "GET" && path === "/_stand-in/emails") {
      reply(res, 200, JSON.stringify({ emails: team(apiKey).emails }));
    } else if (req.method === "POST" && path === "/_stand-in/reset") {
      teams.delete(apiKey);
      reply(res, 200, "{}");
    } else if (req.method === "POST" && path === "/_stand-in/fail") {
      const plan = JSON.parse((await readBody(req)) ?? "null") as FailurePlan;
      team(apiKey).fail = { ...plan };
      reply(res, 200, "{}");
    } else {
      reply(res, 404, errorBody(404, "not_found", "The requested endpoint does not exist."));
    }
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://stand-in").pathname;
    const auth = req.headers.authorization ?? "";
    const apiKey = auth.startsWith("Bearer ") ? auth.slice(7).trim() : "";
    const handle = async () => {
      if (apiKey.length === 0) {
        reply(res, 401, errorBody(401, "missing_api_key", "Missing API key in the authorization header."));
      } else if (!API_KEY_RE.test(apiKey) || apiKey === "re_invalid") {
        reply(res, 403, errorBody(403, "invalid_api_key", "API key is invalid."));
      } else if (path.startsWith("/_stand-in/")) {
        await control(path, req, res, apiKey);
      } else if (path === "/emails" && req.method === "POST") {
        await sendEmail(req, res, team(apiKey));
      } else if (path === "/emails") {
        reply(
          res,
          405,
          errorBody(405, "method_not_allowed", "Method is not allowed for the requested path."),
        );
      } else {
        reply(res, 404, errorBody(404, "not_found", "The requested endpoint does not exist."));
      }
    };
    handle().catch(() => {
      if (!res.headersSent) reply(res, 500, errorBody(500, "internal_server_error", "stand-in failure"));
    });
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    emails: (apiKey) => [...team(apiKey).emails],
    failNext: (apiKey, plan) => {
      team(apiKey).fail = { ...plan };
    },
    reset: (apiKey) => {
      teams.delete(apiKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
