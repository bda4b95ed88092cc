/**
 * The feed's disconnect breaker, pure. The liveness decision (`liveness.ts`) says when to trip;
 * this module builds the states and says when a tripped breaker may clear (socket open and every
 * wanted book fresh again, so entries resume only on fresh snapshots). `market-data.ts` holds the
 * state and persists it; it is one input of the account's trading state.
 */

export interface BreakerState {
  tripped: boolean;
  reason: string | null;
  sinceMs: number | null;
}

/** The breaker not tripped. */
export function closedBreaker(): BreakerState {
  return { tripped: false, reason: null, sinceMs: null };
}

/** The breaker tripped at `nowMs` for `reason`. */
export function trippedBreaker(reason: string, nowMs: number): BreakerState {
  return { tripped: true, reason, sinceMs: nowMs };
}

/**
 * A tripped breaker clears once the socket is open and every wanted book is fresh.
 * `booksFresh` is asked last, and only when the rest holds (it walks every wanted book).
 */
export function breakerMayClear(b: BreakerState, socketOpen: boolean, booksFresh: () => boolean): boolean {
  return b.tripped && socketOpen && booksFresh();
}
