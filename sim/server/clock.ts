/**
 * The simulator's clock. Real mode: exchange time runs at `speed` x wall time and a timer calls
 * `onTick(now)` every `tickMs`. Stepped mode: time stands still until the control API steps it,
 * which makes tests deterministic. `wallMs()` is what rate-limit buckets refill against: real
 * wall time in real mode (Kalshi's buckets do not speed up), exchange time in stepped mode.
 */

export interface SimClock {
  readonly stepped: boolean;
  nowMs(): number;
  wallMs(): number;
  /** stepped mode only: advance by `ms` and tick once */
  step(ms: number): number;
  start(onTick: (nowMs: number) => void): void;
  stop(): void;
}

export interface ClockOptions {
  stepped: boolean;
  startMs: number;
  speed?: number;
  tickMs?: number;
  wallNow?: () => number;
}

export function createClock(opts: ClockOptions): SimClock {
  const wallNow = opts.wallNow ?? Date.now;
  const speed = opts.speed ?? 1;
  const wallStart = wallNow();
  let virtual = opts.startMs;
  let timer: ReturnType<typeof setInterval> | undefined;
  let tick: ((nowMs: number) => void) | undefined;
  const nowMs = (): number =>
    opts.stepped ? virtual : Math.floor(opts.startMs + (wallNow() - wallStart) * speed);
  return {
    stepped: opts.stepped,
    nowMs,
    wallMs: () => (opts.stepped ? virtual : wallNow()),
    step(ms) {
      if (!opts.stepped) throw new Error("the clock is not in stepped mode");
      virtual += Math.max(0, Math.floor(ms));
      tick?.(virtual);
      return virtual;
    },
    start(onTick) {
      tick = onTick;
      if (!opts.stepped) timer = setInterval(() => onTick(nowMs()), opts.tickMs ?? 100);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
