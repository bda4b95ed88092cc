/**
 * When a failed email is tried again: 30 s doubling to 30 minutes (or later when Resend asked
 * for it with `retry-after`), and never once Resend may have forgotten the idempotency key (it
 * keeps keys 24 hours), since a resend could then deliver twice. Shared by the alert queue and
 * the daily report job.
 */

/** Retries stop this long after the first attempt. */
export const MAX_RETRY_AGE_MS = 23 * 3_600_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 30 * 60_000;

/** Delay before retry number `attempts` (1-based), at least `retryAfterMs`. */
export function retryDelayMs(attempts: number, retryAfterMs = 0): number {
  const backoff = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
  return Math.max(backoff, retryAfterMs);
}
