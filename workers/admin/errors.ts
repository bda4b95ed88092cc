/**
 * The admin API's error vocabulary: every error answer is JSON `{ error, message, ...extra }`
 * where `error` is one of the stable codes below (docs/admin.md lists them). Routes answer with
 * `fail(c, ...)`; validation failures come through `onInvalid`, the hook given to every
 * `zValidator`, as a 400 with field-level errors. Nothing here ever carries a stack trace, a
 * secret or an upstream body.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

export const ERROR_CODES = [
  "unauthorized",
  "admin_disabled",
  "not_found",
  "invalid_json",
  "unsupported_media_type",
  "body_too_large",
  "invalid_body",
  "invalid_query",
  "invalid_params",
  "invalid_config",
  "invalid_history_query",
  "start_refused",
  "order_refused",
  "order_not_found",
  "order_not_working",
  "order_busy",
  "difference_not_found",
  "difference_already_reviewed",
  "market_not_watched",
  "report_not_sent",
  "internal_error",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  path: string;
  message: string;
}

/** A JSON error answer with a stable code. */
export function fail(
  c: Context,
  status: ContentfulStatusCode,
  error: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return c.json({ error, message, ...extra }, status);
}

/** zod issues as field errors: `{ path: "price", message: "..." }` (the root is `(root)`). */
export function fieldsOf(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
}

const INVALID: Record<string, ErrorCode> = {
  json: "invalid_body",
  query: "invalid_query",
  param: "invalid_params",
};

/** The `zValidator` hook: a failed parse answers 400 with every field error. */
export function onInvalid(
  result: { success: true } | { success: false; error: z.core.$ZodError; target: string },
  c: Context,
) {
  if (result.success) return undefined;
  const code = INVALID[result.target] ?? "invalid_body";
  const where = result.target === "json" ? "body" : result.target === "query" ? "query string" : "path";
  return fail(c, 400, code, `the request ${where} is not valid`, { fields: fieldsOf(result.error.issues) });
}
