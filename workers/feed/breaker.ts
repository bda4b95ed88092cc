/**
 * The feed's disconnect breaker and entry gate, pure. The liveness decision (`liveness.ts`) says
 * when to trip; this module builds the states, says when a tripped breaker may clear (socket open
 * and every wanted book fresh again, so entries resume only on fresh snapshots) and whether the
 * strategy may open positions at all. `feed-runtime.ts` holds the state and persists it.
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

export interface EntryGate {
  running: boolean;
  breaker: BreakerState;
  socketOpen: boolean;
  /** the socket's subscriptions match the wanted set */
  synced: boolean;
}

/** Entries need a running feed, no tripped breaker, an open socket and synced subscriptions. */
export function entriesAllowed(g: EntryGate): boolean {
  return g.running && !g.breaker.tripped && g.socketOpen && g.synced;
}
