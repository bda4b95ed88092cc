/**
 * Circuit breakers and the trading state, as pure folds over events. `RiskState` is plain
 * JSON (the account object persists it in its `risk_state` table and reads it back through
 * the zod schema below); every fold returns the next state and the events it caused (a trip or
 * a clear, with its code and numbers) for history and alerts.
 *
 * Breakers (thresholds and the state each one sets are in `RiskConfig.breakers`):
 * - daily loss: equity (balance + positions marked at the best bid, computed by the caller)
 *   against the start-of-day equity; the trading day starts at local midnight in
 *   `tradingDayTimeZone`, DST included;
 * - consecutive losses: losing round trips in a row (a round trip with P&L >= 0 resets);
 * - API error rate: failed / all requests over a sliding window, once the window holds enough;
 * - feed loss: too long without a live feed; blocks entries only and clears itself when the
 *   feed is live again.
 * An admin halt sets `halted`. `resume` clears the admin halt and every tripped breaker except
 * the feed's. Tripped breakers otherwise stay tripped (across restarts and trading days) until
 * resumed, except the daily loss when `dailyLossClearsAtDayStart` is set.
 *
 * Called by the account object: `onRoundTrip` when the order path closes a round trip,
 * `onApiResult` after every Kalshi REST call, `onEquity` on each equity mark, `onFeedHealth` on
 * every heartbeat, `halt` / `resume` from the admin API; `tradingStateOf` feeds `checkIntent`.
 */
import { z } from "zod";
import type { MoneyMicros, RoundTrip, TradingState } from "../domain.ts";
import type { RiskConfig } from "./config.ts";

export const BREAKERS = ["daily_loss", "consecutive_losses", "api_error_rate", "feed_loss"] as const;
export type BreakerName = (typeof BREAKERS)[number];

/** What a trip does: set a trading state, or (the feed) only block entries. */
export const TripEffect = z.enum(["halted", "reducing", "entries_blocked"]);
export type TripEffect = z.infer<typeof TripEffect>;

export const Trip = z.strictObject({
  since: z.number().int(),
  sets: TripEffect,
  message: z.string(),
  numbers: z.record(z.string(), z.number()),
});
export type Trip = z.infer<typeof Trip>;

const nullableInt = z.number().int().nullable();

/** The persisted risk state. */
export const RiskState = z.strictObject({
  version: z.literal(1),
  adminHalt: z.strictObject({ since: z.number().int(), reason: z.string() }).nullable(),
  breakers: z.strictObject({
    daily_loss: Trip.nullable(),
    consecutive_losses: Trip.nullable(),
    api_error_rate: Trip.nullable(),
    feed_loss: Trip.nullable(),
  }),
  day: z.strictObject({
    /** Local trading date `YYYY-MM-DD`; null before the first equity mark. */
    key: z.string().nullable(),
    /** The first equity mark of the trading day. */
    startEquity: nullableInt,
    /** What the daily-loss breaker measures from: the start of day, or the equity at a resume. */
    baselineEquity: nullableInt,
    lastEquity: nullableInt,
    lastEquityMs: nullableInt,
  }),
  consecutiveLosses: z.number().int().min(0),
  api: z.strictObject({
    /** Width of one bucket (a tenth of the window). */
    bucketMs: z.number().int().min(0),
    buckets: z.array(
      z.strictObject({
        startMs: z.number().int(),
        ok: z.number().int().min(0),
        errors: z.number().int().min(0),
      }),
    ),
  }),
  feed: z.strictObject({
    live: z.boolean(),
    /** First observation without a live feed since it was last live; null while live. */
    downSinceMs: nullableInt,
    lastLiveMs: nullableInt,
  }),
});
export type RiskState = z.infer<typeof RiskState>;

/** A breaker tripping or clearing, or the admin halting. */
export interface RiskEvent {
  kind: "trip" | "clear";
  breaker: BreakerName | "admin";
  /** Trips: the breaker's name or `admin_halt`; clears: `resumed`, `feed_live` or `new_trading_day`. */
  code: string;
  atMs: number;
  message: string;
  numbers: Record<string, number>;
}

export interface Fold {
  state: RiskState;
  events: RiskEvent[];
}

export interface TradingStateReason {
  breaker: BreakerName | "admin";
  since: number;
  sets: TripEffect;
  message: string;
  numbers: Record<string, number>;
}

export interface TradingStateView {
  state: TradingState;
  reasons: TradingStateReason[];
  /** Breakers that block entries without changing the trading state (the feed). */
  entriesBlockedBy: BreakerName[];
}

/** The state of a fresh account: active, nothing tripped, no trading day yet. */
export function initialRiskState(): RiskState {
  return {
    version: 1,
    adminHalt: null,
    breakers: { daily_loss: null, consecutive_losses: null, api_error_rate: null, feed_loss: null },
    day: { key: null, startEquity: null, baselineEquity: null, lastEquity: null, lastEquityMs: null },
    consecutiveLosses: 0,
    api: { bucketMs: 0, buckets: [] },
    feed: { live: false, downSinceMs: null, lastLiveMs: null },
  };
}

// ---------------------------------------------------------------- trading day

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date (`YYYY-MM-DD`) of `ms` in `timeZone`: the trading day it belongs to. */
export function tradingDayOf(ms: number, timeZone: string): string {
  let f = FORMATTERS.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    FORMATTERS.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(ms)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

// ---------------------------------------------------------------- helpers

function trip(
  state: RiskState,
  breaker: BreakerName,
  sets: TripEffect,
  nowMs: number,
  message: string,
  numbers: Record<string, number>,
): Fold {
  const t: Trip = { since: nowMs, sets, message, numbers };
  return {
    state: { ...state, breakers: { ...state.breakers, [breaker]: t } },
    events: [{ kind: "trip", breaker, code: breaker, atMs: nowMs, message, numbers }],
  };
}

function clearEvent(breaker: BreakerName | "admin", code: string, nowMs: number, message: string): RiskEvent {
  return { kind: "clear", breaker, code, atMs: nowMs, message, numbers: {} };
}

// ---------------------------------------------------------------- folds

/** A closed round trip: counts losing streaks; trips at `consecutiveLosses` in a row. */
export function onRoundTrip(state: RiskState, rt: RoundTrip, cfg: RiskConfig, nowMs: number): Fold {
  const n = rt.pnl < 0 ? state.consecutiveLosses + 1 : 0;
  const next: RiskState = { ...state, consecutiveLosses: n };
  const limit = cfg.breakers.consecutiveLosses;
  if (n >= limit && state.breakers.consecutive_losses === null) {
    return trip(
      next,
      "consecutive_losses",
      cfg.breakers.actions.consecutiveLosses,
      nowMs,
      `${n} losing round trips in a row (limit ${limit}); last ${rt.ticker} P&L ${rt.pnl} micro-dollars`,
      { consecutiveLosses: n, limit, lastPnl: rt.pnl },
    );
  }
  return { state: next, events: [] };
}

/**
 * One Kalshi REST call's outcome (`ok` false for failures the caller counts as errors:
 * 5xx, timeouts, network errors, 429s). Trips when the window holds at least `minRequests`
 * and the error share reaches `threshold`. The window is 10 buckets of a tenth of `windowMs`.
 */
export function onApiResult(state: RiskState, ok: boolean, nowMs: number, cfg: RiskConfig): Fold {
  const c = cfg.breakers.apiErrorRate;
  const bucketMs = Math.max(1, Math.ceil(c.windowMs / 10));
  const startMs = Math.floor(nowMs / bucketMs) * bucketMs;
  // A changed window width starts the count afresh rather than mixing bucket sizes.
  const kept = (state.api.bucketMs === bucketMs ? state.api.buckets : []).filter(
    (b) => b.startMs + bucketMs > nowMs - c.windowMs && b.startMs <= nowMs,
  );
  const last = kept[kept.length - 1];
  const buckets =
    last !== undefined && last.startMs === startMs
      ? [...kept.slice(0, -1), { startMs, ok: last.ok + (ok ? 1 : 0), errors: last.errors + (ok ? 0 : 1) }]
      : [...kept, { startMs, ok: ok ? 1 : 0, errors: ok ? 0 : 1 }];
  const next: RiskState = { ...state, api: { bucketMs, buckets } };
  let errors = 0;
  let requests = 0;
  for (const b of buckets) {
    errors += b.errors;
    requests += b.ok + b.errors;
  }
  if (
    state.breakers.api_error_rate === null &&
    requests >= c.minRequests &&
    errors / requests >= c.threshold
  ) {
    const rate = errors / requests;
    return trip(
      next,
      "api_error_rate",
      cfg.breakers.actions.apiErrorRate,
      nowMs,
      `${errors} of ${requests} API requests failed in the last ${Math.round(c.windowMs / 1000)} s (${(rate * 100).toFixed(1)} %, limit ${(c.threshold * 100).toFixed(1)} %)`,
      { errors, requests, errorRate: rate, threshold: c.threshold, windowMs: c.windowMs },
    );
  }
  return { state: next, events: [] };
}

/**
 * An equity mark. Starts a new trading day at the first mark past local midnight (that mark
 * is the start-of-day equity); trips when equity has fallen `dailyLossPct` of the start-of-day
 * equity below the baseline (the start of day, or the equity at a resume that day). A mark
 * dated before the current trading day (a clock step back) does not roll the day back.
 */
export function onEquity(state: RiskState, equity: MoneyMicros, nowMs: number, cfg: RiskConfig): Fold {
  const key = tradingDayOf(nowMs, cfg.tradingDayTimeZone);
  const events: RiskEvent[] = [];
  let next: RiskState;
  if (state.day.key === null || key > state.day.key) {
    next = {
      ...state,
      day: { key, startEquity: equity, baselineEquity: equity, lastEquity: equity, lastEquityMs: nowMs },
    };
    if (
      state.day.key !== null &&
      cfg.breakers.dailyLossClearsAtDayStart &&
      state.breakers.daily_loss !== null
    ) {
      next = { ...next, breakers: { ...next.breakers, daily_loss: null } };
      events.push(clearEvent("daily_loss", "new_trading_day", nowMs, `trading day ${key} starts`));
    }
  } else {
    next = { ...state, day: { ...state.day, lastEquity: equity, lastEquityMs: nowMs } };
  }
  const { startEquity, baselineEquity } = next.day;
  const pct = cfg.breakers.dailyLossPct;
  if (
    next.breakers.daily_loss === null &&
    startEquity !== null &&
    baselineEquity !== null &&
    startEquity > 0 &&
    (baselineEquity - equity) * 100 >= pct * startEquity
  ) {
    const dayPct = ((equity - startEquity) / startEquity) * 100;
    const f = trip(
      next,
      "daily_loss",
      cfg.breakers.actions.dailyLoss,
      nowMs,
      `equity ${equity} is ${dayPct.toFixed(2)} % against ${startEquity} at the start of ${key} (limit -${pct} %)`,
      { equity, startOfDayEquity: startEquity, baselineEquity, dailyLossPct: dayPct, limitPct: pct },
    );
    return { state: f.state, events: [...events, ...f.events] };
  }
  return { state: next, events };
}

/**
 * Feed health, on every heartbeat and transition. Trips after `feedLossMs` without a live
 * feed, counted from the first observation that it was not live; clears itself (and only
 * then) when the feed is live again.
 */
export function onFeedHealth(state: RiskState, live: boolean, nowMs: number, cfg: RiskConfig): Fold {
  if (live) {
    const next: RiskState = {
      ...state,
      feed: { live: true, downSinceMs: null, lastLiveMs: nowMs },
      breakers: { ...state.breakers, feed_loss: null },
    };
    const events =
      state.breakers.feed_loss === null
        ? []
        : [clearEvent("feed_loss", "feed_live", nowMs, "the feed is live again")];
    return { state: next, events };
  }
  const downSinceMs = state.feed.live || state.feed.downSinceMs === null ? nowMs : state.feed.downSinceMs;
  const next: RiskState = { ...state, feed: { ...state.feed, live: false, downSinceMs } };
  const down = nowMs - downSinceMs;
  const limit = cfg.breakers.feedLossMs;
  if (state.breakers.feed_loss === null && down >= limit) {
    return trip(
      next,
      "feed_loss",
      "entries_blocked",
      nowMs,
      `no live feed for ${down} ms (limit ${limit} ms)`,
      {
        downMs: down,
        limitMs: limit,
      },
    );
  }
  return { state: next, events: [] };
}

/** An admin halt: `halted` until resumed. Halting again keeps the first halt's time and reason. */
export function halt(state: RiskState, reason: string, nowMs: number): Fold {
  if (state.adminHalt !== null) return { state, events: [] };
  return {
    state: { ...state, adminHalt: { since: nowMs, reason } },
    events: [
      {
        kind: "trip",
        breaker: "admin",
        code: "admin_halt",
        atMs: nowMs,
        message: `halted: ${reason}`,
        numbers: {},
      },
    ],
  };
}

/**
 * An explicit resume: clears the admin halt and every tripped breaker except the feed's (which
 * clears itself when the feed is live). It also restarts what those breakers count, so they do
 * not trip again on the same evidence: the losing streak and the API window start from zero,
 * and a tripped daily loss is measured from the equity at the resume for the rest of the day.
 */
export function resume(state: RiskState, nowMs: number): Fold {
  const events: RiskEvent[] = [];
  if (state.adminHalt !== null) events.push(clearEvent("admin", "resumed", nowMs, "admin halt lifted"));
  for (const b of ["daily_loss", "consecutive_losses", "api_error_rate"] as const) {
    if (state.breakers[b] !== null)
      events.push(clearEvent(b, "resumed", nowMs, `${b} breaker reset by resume`));
  }
  const next: RiskState = {
    ...state,
    adminHalt: null,
    breakers: { ...state.breakers, daily_loss: null, consecutive_losses: null, api_error_rate: null },
    consecutiveLosses: 0,
    api: { bucketMs: state.api.bucketMs, buckets: [] },
    day:
      state.breakers.daily_loss === null
        ? state.day
        : { ...state.day, baselineEquity: state.day.lastEquity ?? state.day.baselineEquity },
  };
  return { state: next, events };
}

/** The trading state the breakers and the admin set, with every reason. */
export function tradingStateOf(state: RiskState): TradingStateView {
  const reasons: TradingStateReason[] = [];
  if (state.adminHalt !== null) {
    reasons.push({
      breaker: "admin",
      since: state.adminHalt.since,
      sets: "halted",
      message: `halted: ${state.adminHalt.reason}`,
      numbers: {},
    });
  }
  for (const b of BREAKERS) {
    const t = state.breakers[b];
    if (t !== null)
      reasons.push({ breaker: b, since: t.since, sets: t.sets, message: t.message, numbers: t.numbers });
  }
  const s: TradingState = reasons.some((r) => r.sets === "halted")
    ? "halted"
    : reasons.some((r) => r.sets === "reducing")
      ? "reducing"
      : "active";
  const entriesBlockedBy = reasons
    .filter(
      (r): r is TradingStateReason & { breaker: BreakerName } =>
        r.sets === "entries_blocked" && r.breaker !== "admin",
    )
    .map((r) => r.breaker);
  return { state: s, reasons, entriesBlockedBy };
}
