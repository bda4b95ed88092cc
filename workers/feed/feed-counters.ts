/**
 * The feed runtime's counters and its log-once helper: named counters that only grow, and a
 * structured log line emitted the first time each kind of trouble shows up (every occurrence is
 * still counted as `log_<kind>`), so a noisy failure cannot flood the logs. The log sink is
 * injected; `market-data.ts` owns one instance and `status()` reports `snapshot()`.
 */

export type LogSink = (event: string, data?: Record<string, unknown>) => void;

/** Samples are cut to this many characters before they are logged. */
export const LOG_SAMPLE_CHARS = 200;

export class FeedCounters {
  readonly #log: LogSink;
  readonly #counts: Record<string, number> = {};
  readonly #logged = new Set<string>();

  constructor(log: LogSink) {
    this.#log = log;
  }

  /** Adds `n` (default 1) to counter `key`. */
  count(key: string, n = 1): void {
    this.#counts[key] = (this.#counts[key] ?? 0) + n;
  }

  /** Counts `log_<kind>`; logs `feed.once` with a truncated sample only the first time per kind. */
  logOnce(kind: string, sample: string): void {
    this.count(`log_${kind}`);
    if (this.#logged.has(kind)) return;
    this.#logged.add(kind);
    this.#log("feed.once", { kind, sample: sample.slice(0, LOG_SAMPLE_CHARS) });
  }

  /** A copy of every counter. */
  snapshot(): Record<string, number> {
    return { ...this.#counts };
  }
}
