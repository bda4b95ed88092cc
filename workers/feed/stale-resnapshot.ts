/**
 * The stale re-snapshot scheduler: which held books the heartbeat asks again for, in one
 * `get_snapshot` on the orderbook sid. A quiet market's book gets no delta to trigger the book
 * store's own re-request, so a book stale for `baseMs` is asked for again here; each market then
 * backs off (doubling up to `maxMs`, with jitter), so one whose snapshot never makes it fresh
 * cannot flood the socket. Holds only the per-market backoff state; the clock, the randomness and
 * the books' freshness come in as arguments. Owned by `market-data.ts`, which sends the request
 * and clears the state with the socket.
 */
import type { BackoffBounds } from "./backoff.ts";
import { nextBackoffMs } from "./backoff.ts";

/** One book the scheduler has seen stale. */
export interface StaleBookEntry {
  /** when the heartbeat first saw it stale */
  sinceMs: number;
  /** re-requests sent so far */
  attempts: number;
  /** earliest time of the next re-request */
  dueMs: number;
}

export interface StaleResnapshotInput {
  /** markets the orderbook subscription holds */
  held: readonly string[];
  /** the wanted universe: markets leaving it (delete_markets in flight) are not asked for again */
  wanted: readonly string[];
  isFresh: (ticker: string) => boolean;
  nowMs: number;
  /** a number in [0, 1); called once per market due, in order */
  random: () => number;
  /** `baseMs` is both the first wait and the backoff's base */
  bounds: BackoffBounds;
}

export class StaleResnapshots {
  readonly #books = new Map<string, StaleBookEntry>();

  /**
   * The held, wanted, stale markets whose re-request is due now, each rescheduled with its
   * backoff. Fresh books and markets no longer held or wanted are forgotten.
   */
  due(input: StaleResnapshotInput): string[] {
    const { nowMs: now, bounds } = input;
    const wanted = new Set(input.wanted);
    const held = input.held.filter((t) => wanted.has(t));
    const heldSet = new Set(held);
    for (const t of this.#books.keys()) if (!heldSet.has(t)) this.#books.delete(t);
    const due: string[] = [];
    for (const t of held) {
      if (input.isFresh(t)) {
        this.#books.delete(t);
        continue;
      }
      let e = this.#books.get(t);
      if (!e) {
        e = { sinceMs: now, attempts: 0, dueMs: now + bounds.baseMs };
        this.#books.set(t, e);
      }
      if (now < e.dueMs) continue;
      due.push(t);
      e.attempts++;
      e.dueMs = now + nextBackoffMs(e.attempts, input.random(), bounds);
    }
    return due;
  }

  /** The state of one market (tests, diagnostics). */
  entry(ticker: string): Readonly<StaleBookEntry> | undefined {
    const e = this.#books.get(ticker);
    return e ? { ...e } : undefined;
  }

  /** Forgets a market whose book was dropped. */
  forget(ticker: string): void {
    this.#books.delete(ticker);
  }

  /** Forgets everything (the socket was lost: every book waits for its replay snapshot). */
  clear(): void {
    this.#books.clear();
  }
}
