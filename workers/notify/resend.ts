/**
 * Sends one email through Resend (`POST /emails`) with the `resend` SDK, carrying an
 * `Idempotency-Key` (the SDK's `idempotencyKey` option) so a retried send never delivers twice
 * (Resend keeps keys for 24 hours: https://resend.com/docs/dashboard/emails/idempotency-keys).
 * Never throws and never logs: every outcome is a `SendResult`, classified in one place
 * (`classifyResendFailure`): a network failure, a timeout, 429 and 5xx are retryable; other 4xx
 * are final. Called only from the notification jobs (the scheduler), never on the trading path.
 *
 * The SDK runs in workerd (it calls the global `fetch`); it takes its API base from its
 * `baseUrl` option, else from `process.env.RESEND_BASE_URL`, else https://api.resend.com. We
 * always pass `baseUrl` so the environment cannot redirect mail silently; tests point it at the
 * local stand-in. The SDK offers no way to inject a `fetch`, so neither does this module.
 */
import { Resend } from "resend";
import { MAX_RECIPIENTS } from "./config.ts";

export const RESEND_API_BASE = "https://api.resend.com";
export const DEFAULT_SEND_TIMEOUT_MS = 15_000;
/** Resend's limit on an idempotency key. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
const MAX_REASON_LENGTH = 300;

export interface SendEmailInput {
  apiKey: string;
  from: string;
  to: string | readonly string[];
  subject: string;
  html: string;
  text: string;
  /** Such as `daily-report/<account>/<day>`: the same key is delivered once within 24 hours. */
  idempotencyKey: string;
  /** API base; default https://api.resend.com. */
  baseUrl?: string;
  /** Abort the request after this long (a retryable failure). Default 15 000. */
  timeoutMs?: number;
}

export type SendResult =
  | { ok: true; id: string }
  | {
      ok: false;
      /** Worth sending again later with the same key and body. */
      retryable: boolean;
      /** Bounded, key-free description: `429 rate_limit_exceeded: ...`. */
      reason: string;
      /** HTTP status, when an answer came. */
      status?: number;
      /** From a `retry-after` header, when the answer had one. */
      retryAfterMs?: number;
    };

/** What the SDK reports for a failed request: Resend's error body, or its own network error. */
interface SdkError {
  statusCode?: unknown;
  name?: unknown;
  message?: unknown;
}

function bounded(s: string, secret: string): string {
  const clean = secret.length > 0 ? s.split(secret).join("[redacted]") : s;
  return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH - 3)}...` : clean;
}

function retryAfterMsOf(headers: Record<string, string> | null): number | undefined {
  const v = headers?.["retry-after"];
  if (v === undefined) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : undefined;
}

/**
 * The one classifier of Resend failures. `status` null = no HTTP answer (network, timeout).
 * 409 `concurrent_idempotent_requests` (the first request with this key is still in flight) is
 * retryable; 409 `invalid_idempotent_request` (same key, different body) is final
 * (https://resend.com/docs/api-reference/errors).
 */
export function classifyResendFailure(status: number | null, name: string): { retryable: boolean } {
  if (status === null) return { retryable: true };
  if (status === 429 || status >= 500) return { retryable: true };
  if (status === 409 && name === "concurrent_idempotent_requests") return { retryable: true };
  return { retryable: false };
}

function invalid(reason: string): SendResult {
  return { ok: false, retryable: false, reason };
}

function checkInput(input: SendEmailInput): SendResult | null {
  const to = typeof input.to === "string" ? [input.to] : input.to;
  if (input.apiKey.trim().length === 0) return invalid("missing_api_key: no Resend API key configured");
  if (input.from.trim().length === 0) return invalid("validation_error: no sender");
  if (to.length === 0 || to.some((t) => t.trim().length === 0))
    return invalid("validation_error: no recipient");
  if (to.length > MAX_RECIPIENTS) return invalid(`validation_error: more than ${MAX_RECIPIENTS} recipients`);
  const k = input.idempotencyKey.length;
  if (k < 1 || k > MAX_IDEMPOTENCY_KEY_LENGTH)
    return invalid("invalid_idempotency_key: must be 1 to 256 characters");
  return null;
}

/** Sends one email. Resolves to a `SendResult`; never throws, never logs. */
export async function sendEmail(input: SendEmailInput): Promise<SendResult> {
  const bad = checkInput(input);
  if (bad !== null) return bad;
  const secret = input.apiKey;
  try {
    const client = new Resend(input.apiKey, {
      baseUrl: (input.baseUrl ?? RESEND_API_BASE).replace(/\/+$/, ""),
    });
    const res = await client.emails.send(
      {
        from: input.from,
        to: typeof input.to === "string" ? input.to : [...input.to],
        subject: input.subject,
        html: input.html,
        text: input.text,
      },
      {
        idempotencyKey: input.idempotencyKey,
        signal: AbortSignal.timeout(input.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS),
      },
    );
    if (res.error === null) {
      const id = (res.data as { id?: unknown } | null)?.id;
      if (typeof id === "string" && id.length > 0) return { ok: true, id };
      // A 2xx without an id: retrying with the same key returns the first answer, so it is safe.
      return { ok: false, retryable: true, reason: "unreadable 2xx answer (no email id)" };
    }
    const err = res.error as SdkError;
    const status = typeof err.statusCode === "number" ? err.statusCode : null;
    const name = typeof err.name === "string" ? err.name : "unknown_error";
    const message = typeof err.message === "string" ? err.message : "";
    const { retryable } = classifyResendFailure(status, name);
    const result: SendResult = {
      ok: false,
      retryable,
      reason: bounded(`${status ?? "network"} ${name}: ${message}`, secret),
    };
    if (status !== null) result.status = status;
    const after = retryAfterMsOf(res.headers);
    if (after !== undefined) result.retryAfterMs = after;
    return result;
  } catch (e) {
    // The SDK returns errors as values; anything thrown is unexpected, and retryable.
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : "non-error thrown";
    return { ok: false, retryable: true, reason: bounded(`network ${msg}`, secret) };
  }
}
