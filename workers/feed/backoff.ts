/**
 * Reconnect backoff: exponential from `baseMs` doubling to `maxMs`, with jitter added on
 * top so a fleet of objects does not reconnect in lockstep. Pure; `random` is injected
 * (a number in [0, 1)). Called by market data when the socket drops or a connect fails.
 */

export interface BackoffBounds {
  baseMs: number;
  maxMs: number;
  /** fraction of the step added at most as jitter (0.2 -> up to +20 %) */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffBounds = { baseMs: 1_000, maxMs: 30_000, jitter: 0.2 };

/** Delay before reconnect attempt `attempt` (0 = first retry); always within [baseMs, maxMs]. */
export function nextBackoffMs(
  attempt: number,
  random: number,
  bounds: BackoffBounds = DEFAULT_BACKOFF,
): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^n overflows to Infinity past ~1024; min() keeps it bounded.
  const step = Math.min(bounds.maxMs, bounds.baseMs * 2 ** Math.min(n, 40));
  const r = random >= 0 && random < 1 ? random : 0;
  return Math.min(bounds.maxMs, Math.floor(step + step * bounds.jitter * r));
}
