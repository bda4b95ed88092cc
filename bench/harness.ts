/**
 * A tiny timing helper for `bench/*.bench.ts`: calibrate how many calls make a measurable
 * round, warm up, time several rounds with `process.hrtime.bigint()`, report the median.
 * `timeSync` for plain functions, `timeAsync` for promise-returning ones (WebCrypto signing);
 * `atMost` / `atLeast` / `info` turn a number into a `BenchResult` with its budget.
 * See bench/README.md for how a bench file uses it.
 */

import type { BenchResult } from "./types.ts";

export interface TimingOptions {
  /** Untimed rounds before measuring, after calibration (default 2). */
  warmupRounds?: number;
  /** Timed rounds; the median is reported (default 7). */
  rounds?: number;
  /** Calls per round. Default: calibrated so one round lasts at least `minRoundMs`. */
  iterations?: number;
  /** Target round length for calibration (default 25 ms). */
  minRoundMs?: number;
  /** How many items one call processes (e.g. 1000 strings parsed); times are divided by it (default 1). */
  itemsPerCall?: number;
}

export interface Timing {
  /** Median over rounds of the time per item, in nanoseconds. */
  nsPerItem: number;
  /** Fastest and slowest rounds, per item, in nanoseconds. */
  minNsPerItem: number;
  maxNsPerItem: number;
  /** Calls per round actually used. */
  iterations: number;
  /** Every round's time per item, in nanoseconds, in the order run. */
  rounds: number[];
}

const MAX_ITERATIONS = 1 << 26;

/** Results land here so the optimiser cannot drop the measured call as dead code. */
let sink: unknown;
/** Read by nobody in particular; exported so the sink is observable and cannot be elided. */
export function lastSink(): unknown {
  return sink;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function resolve(opts: TimingOptions) {
  const warmupRounds = opts.warmupRounds ?? 2;
  const rounds = opts.rounds ?? 7;
  const minRoundMs = opts.minRoundMs ?? 25;
  const itemsPerCall = opts.itemsPerCall ?? 1;
  if (rounds < 1 || warmupRounds < 0 || itemsPerCall <= 0 || minRoundMs <= 0) {
    throw new RangeError("timing options: rounds >= 1, warmupRounds >= 0, itemsPerCall > 0, minRoundMs > 0");
  }
  if (opts.iterations !== undefined && !(Number.isInteger(opts.iterations) && opts.iterations >= 1)) {
    throw new RangeError("timing options: iterations must be a positive integer");
  }
  return { warmupRounds, rounds, minRoundMs, itemsPerCall };
}

function summarise(roundNs: readonly bigint[], iterations: number, itemsPerCall: number): Timing {
  const per = roundNs.map((ns) => Number(ns) / (iterations * itemsPerCall));
  return {
    nsPerItem: median(per),
    minNsPerItem: Math.min(...per),
    maxNsPerItem: Math.max(...per),
    iterations,
    rounds: per,
  };
}

function roundSync(fn: () => unknown, iterations: number): bigint {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink = fn();
  return process.hrtime.bigint() - t0;
}

async function roundAsync(fn: () => Promise<unknown>, iterations: number): Promise<bigint> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink = await fn();
  return process.hrtime.bigint() - t0;
}

/** Times a synchronous function: calibrate, warm up, `rounds` timed rounds, median per item. */
export function timeSync(fn: () => unknown, opts: TimingOptions = {}): Timing {
  const o = resolve(opts);
  let iterations = opts.iterations ?? 1;
  if (opts.iterations === undefined) {
    const minNs = BigInt(Math.round(o.minRoundMs * 1e6));
    while (roundSync(fn, iterations) < minNs && iterations < MAX_ITERATIONS) iterations *= 2;
  }
  for (let r = 0; r < o.warmupRounds; r++) roundSync(fn, iterations);
  const times: bigint[] = [];
  for (let r = 0; r < o.rounds; r++) times.push(roundSync(fn, iterations));
  return summarise(times, iterations, o.itemsPerCall);
}

/** Times an async function, one call awaited after another; same procedure as `timeSync`. */
export async function timeAsync(fn: () => Promise<unknown>, opts: TimingOptions = {}): Promise<Timing> {
  const o = resolve(opts);
  let iterations = opts.iterations ?? 1;
  if (opts.iterations === undefined) {
    const minNs = BigInt(Math.round(o.minRoundMs * 1e6));
    while ((await roundAsync(fn, iterations)) < minNs && iterations < MAX_ITERATIONS) iterations *= 2;
  }
  for (let r = 0; r < o.warmupRounds; r++) await roundAsync(fn, iterations);
  const times: bigint[] = [];
  for (let r = 0; r < o.rounds; r++) times.push(await roundAsync(fn, iterations));
  return summarise(times, iterations, o.itemsPerCall);
}

/** A result that fails the run when `value` exceeds `limit` (latencies, costs, sizes). */
export function atMost(name: string, value: number, unit: string, limit: number): BenchResult {
  return { name, value, unit, target: `<= ${limit} ${unit}`, ok: value <= limit };
}

/** A result that fails the run when `value` falls below `limit` (throughputs). */
export function atLeast(name: string, value: number, unit: string, limit: number): BenchResult {
  return { name, value, unit, target: `>= ${limit} ${unit}`, ok: value >= limit };
}

/** A result reported without a budget. */
export function info(name: string, value: number, unit: string): BenchResult {
  return { name, value, unit };
}
