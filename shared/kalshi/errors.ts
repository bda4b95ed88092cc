/**
 * The one place that classifies Kalshi REST failures. Every HTTP outcome that is not a 2xx,
 * and every thrown fetch error, becomes a `Failure`: retryable (429, 5xx, timeout, network)
 * or final (4xx with Kalshi's error code, redirects, unparseable responses).
 *
 * Kalshi sends three error-body shapes (Kalshi's Order Errors and rate-limits pages): the observed wrapped
 * `{"error":{"code","message","details"}}`, the spec's flat `{code,message,details}`, and the
 * 429 string body `{"error":"too many requests"}`. Gateways may also answer with HTML or nothing.
 * Raw bodies only ever reach `message` truncated.
 *
 * Called by the REST client (`rest-client.ts`); `writeOutcome` turns a failed write into the
 * executor's three-way answer (`rejected`, `unknown`, `exists`).
 */

/**
 * Every reason a Kalshi call can fail for, as a list (tests check a failure's reason is one of
 * them) and as the type. `already_exists` is a 409 `order_already_exists`: a create whose
 * `client_order_id` is taken, i.e. the order exists; `conflict` is any other 409 (no code, or a
 * code we do not know).
 */
export const FAILURE_REASONS = [
  "rate_limited",
  "server_error",
  "timeout",
  "network",
  "rejected",
  "unauthorized",
  "not_found",
  "already_exists",
  "conflict",
  "redirect",
  "bad_response",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface Failure {
  retryable: boolean;
  reason: FailureReason;
  /** HTTP status when there was a response. */
  status?: number;
  /** Kalshi's error `code` when the body carried one (`invalid_order`, `order_already_exists`, ...). */
  code?: string;
  /** Human-readable, bounded: never the full raw body. */
  message: string;
}

export interface KalshiErrorBody {
  code: string;
  message: string;
  details?: string;
}

/**
 * Kalshi's code for a create refused because an order with its `client_order_id` already exists
 * (409). Kalshi's create-order quick start documents the 409 for a resubmitted `client_order_id`;
 * the code string is the one observed on the live API (docs/decisions.md, "REST and failures").
 */
export const ORDER_ALREADY_EXISTS = "order_already_exists";

/** Longest slice of an upstream body that may appear in a message or a log line. */
export const MAX_BODY_IN_MESSAGE = 300;

export function truncate(text: string, max = MAX_BODY_IN_MESSAGE): string {
  return text.length > max ? `${text.slice(0, max)}...(${text.length} chars)` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringField(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === "string" ? v : undefined;
}

function fromObject(o: Record<string, unknown>): KalshiErrorBody | null {
  const code = stringField(o, "code");
  const message = stringField(o, "message");
  if (code === undefined && message === undefined) return null;
  const details = stringField(o, "details");
  const out: KalshiErrorBody = { code: code ?? "", message: message ?? code ?? "" };
  if (details !== undefined && details !== "") out.details = details;
  return out;
}

/**
 * Parses any of Kalshi's error-body shapes. Returns null for empty, HTML or other non-error
 * bodies. The 429 string body maps to code `too_many_requests` (Kalshi's passthrough name).
 */
export function parseKalshiErrorBody(text: string): KalshiErrorBody | null {
  const trimmed = text.trim();
  if (trimmed === "" || (trimmed[0] !== "{" && trimmed[0] !== "[")) return null;
  let body: unknown;
  try {
    body = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (!isRecord(body)) return null;
  const err = body.error;
  if (typeof err === "string") {
    return { code: err === "too many requests" ? "too_many_requests" : "", message: err };
  }
  if (isRecord(err)) return fromObject(err);
  return fromObject(body);
}

function describe(status: number, parsed: KalshiErrorBody | null, bodyText: string): string {
  if (parsed === null) {
    const body = bodyText.trim();
    return body === "" ? `HTTP ${status}` : `HTTP ${status}: ${truncate(body)}`;
  }
  const head =
    parsed.code !== "" && parsed.code !== parsed.message
      ? `${parsed.code}: ${parsed.message}`
      : parsed.message;
  const text = parsed.details !== undefined ? `${head} (${parsed.details})` : head;
  return `HTTP ${status}: ${truncate(text)}`;
}

/** Codes that mean "try again later" whatever status they arrive with. */
const RETRYABLE_CODES: Record<string, FailureReason> = {
  too_many_requests: "rate_limited",
  service_unavailable: "server_error",
};

/** Classifies a non-2xx HTTP response. */
export function classifyHttp(status: number, bodyText: string): Failure {
  const parsed = parseKalshiErrorBody(bodyText);
  const message = describe(status, parsed, bodyText);
  const code = parsed !== null && parsed.code !== "" ? parsed.code : undefined;
  const make = (retryable: boolean, reason: FailureReason): Failure =>
    code === undefined
      ? { retryable, reason, status, message }
      : { retryable, reason, status, code, message };

  if (status >= 200 && status < 300) return make(false, "bad_response");
  // Writes never follow redirects (a 301 on a trailing slash must not replay a POST elsewhere).
  if (status >= 300 && status < 400) return make(false, "redirect");
  if (status === 429) return make(true, "rate_limited");
  if (status === 408) return make(true, "timeout");
  if (status >= 500) return make(true, "server_error");
  const codeReason = code !== undefined ? RETRYABLE_CODES[code] : undefined;
  if (codeReason !== undefined) return make(true, codeReason);
  if (status === 401 || status === 403) return make(false, "unauthorized");
  if (status === 404) return make(false, "not_found");
  // 409 with `order_already_exists`: the client_order_id is taken. What that means for the order
  // depends on the write (`writeOutcome`): on a create, the order exists.
  if (status === 409) return make(false, code === ORDER_ALREADY_EXISTS ? "already_exists" : "conflict");
  if (status >= 400) return make(false, "rejected");
  return make(false, "bad_response");
}

function errorName(err: unknown): string {
  if (isRecord(err) || err instanceof Error) {
    const name = (err as { name?: unknown }).name;
    if (typeof name === "string") return name;
  }
  return "";
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  try {
    return String(err);
  } catch {
    // A value without a prototype has no toString: name its kind instead of throwing.
    return `unprintable ${typeof err}`;
  }
}

/**
 * Classifies an exception from `fetch` or from reading its body. An abort from our own
 * timeout (`AbortSignal.timeout` raises `TimeoutError`; a manual abort raises `AbortError`)
 * is a timeout; a `TypeError` is the network failing. Both are retryable, and for a write
 * they mean the outcome is unknown.
 */
export function classifyThrown(err: unknown): Failure {
  const name = errorName(err);
  const message = truncate(errorMessage(err));
  if (name === "TimeoutError" || name === "AbortError") {
    return { retryable: true, reason: "timeout", message: `request timed out: ${message}` };
  }
  if (err instanceof TypeError || name === "TypeError") {
    return { retryable: true, reason: "network", message: `network error: ${message}` };
  }
  // Anything else thrown by fetch (a DOMException subclass, a runtime quirk) is still a transport
  // failure: we did not get an answer from the exchange.
  return {
    retryable: true,
    reason: "network",
    message: `request failed: ${name ? `${name}: ` : ""}${message}`,
  };
}

/** What a failed write means for the order: the executor's three-way answer (docs/decisions.md). */
export type WriteOutcome = "rejected" | "unknown" | "exists";

/**
 * Which write failed. A single create is the only write where a 409 `order_already_exists` means
 * "your order is there"; a batch create reports per item, so a 409 on the whole batch says nothing
 * about which order exists; any other write (cancel, amend, decrease, order groups) refused with 409
 * was refused (an amend's `updated_client_order_id` being taken, for instance).
 */
export type WriteKind = "create" | "batch_create" | "other";

/**
 * What a failed write means for the order.
 * - `unknown`: a timeout, network error, 5xx, 429 or an unreadable 2xx, and on a create any 409
 *   without Kalshi's `order_already_exists` code (no code, or one we do not know): the order may
 *   exist. Resend the identical body (same `client_order_id`) or reconcile from `user_orders` /
 *   `GET /portfolio/orders`.
 * - `exists`: a create answered 409 `order_already_exists`: an earlier attempt with this
 *   `client_order_id` created the order. Treat it as accepted and find its `order_id`
 *   (`KalshiRestClient.findOrderByClientOrderId`, or the `user_order` carrying the id).
 * - `rejected`: any other explicit refusal (a 4xx the exchange answered, or a redirect we refused
 *   to follow), so nothing reached the matching engine.
 */
export function writeOutcome(failure: Failure, kind: WriteKind): WriteOutcome {
  if (failure.retryable) return "unknown";
  if (failure.reason === "bad_response") return "unknown";
  if (failure.status === 409 && kind !== "other") {
    return kind === "create" && failure.reason === "already_exists" ? "exists" : "unknown";
  }
  return "rejected";
}

/** A 2xx whose body is not what the schema promised. Final: resending would not fix it. */
export function badResponse(status: number, detail: string): Failure {
  return { retryable: false, reason: "bad_response", status, message: `HTTP ${status}: ${truncate(detail)}` };
}
