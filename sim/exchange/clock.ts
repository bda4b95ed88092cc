/**
 * The simulator's time source. The exchange core never reads the wall clock: it is given a
 * `SimClock`, either stepped by tests (deterministic scenarios) or backed by a time function
 * the server passes in (`npm start`). Times are Unix milliseconds.
 */

export interface SimClock {
  now(): number;
  /** move time forward by `ms` (a no-op on a real clock, whose time moves by itself) */
  advance(ms: number): void;
  /** move time forward to `nowMs` if it is later (never backwards) */
  advanceTo(nowMs: number): void;
}

/** A clock that only moves when told: tests and replayable scenarios. */
export class SteppedClock implements SimClock {
  private t: number;

  constructor(startMs: number) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    if (ms > 0) this.t += ms;
  }

  advanceTo(nowMs: number): void {
    if (nowMs > this.t) this.t = nowMs;
  }
}

/** A clock over a time function the caller owns (e.g. `() => Date.now()` in the server). */
export class RealClock implements SimClock {
  private readonly nowFn: () => number;

  constructor(nowFn: () => number) {
    this.nowFn = nowFn;
  }

  now(): number {
    return this.nowFn();
  }

  advance(_ms: number): void {}

  advanceTo(_nowMs: number): void {}
}
