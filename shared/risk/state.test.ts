/**
 * Breakers and the trading state: each breaker just inside and just outside its threshold,
 * the state it sets, its trip and clear events, resume (which never clears the feed breaker),
 * the trading day across both 2026 DST switches in New York, and the persisted state's schema.
 */
import { describe, expect, it } from "vitest";
import type { RoundTrip } from "../domain.ts";
import { DEFAULT_RISK_CONFIG, RiskConfig } from "./config.ts";
import {
  type Fold,
  halt,
  initialRiskState,
  onApiResult,
  onEquity,
  onFeedHealth,
  onRoundTrip,
  RiskState,
  resume,
  tradingDayOf,
  tradingStateOf,
} from "./state.ts";

const CFG = DEFAULT_RISK_CONFIG;
const T = Date.parse("2026-06-01T14:00:00Z");
const S0 = initialRiskState();

function rt(pnl: number, closedMs = T): RoundTrip {
  return {
    positionId: `p${closedMs}`,
    ticker: "KXHIGHNY-26JUN01-T80",
    side: "yes",
    contracts: 10_000,
    avgEntry: 9_000,
    avgExit: pnl < 0 ? 8_900 : 9_200,
    openedMs: closedMs - 60_000,
    closedMs,
    reason: pnl < 0 ? "stop" : "take_profit",
    fees: 13_200,
    pnl,
  };
}

/** Applies folds in order, collecting events. */
function run(state: RiskState, steps: ((s: RiskState) => Fold)[]): Fold {
  let s = state;
  const events: Fold["events"] = [];
  for (const step of steps) {
    const f = step(s);
    s = f.state;
    events.push(...f.events);
  }
  return { state: s, events };
}

describe("the initial state", () => {
  it("is active with nothing tripped and matches its schema", () => {
    expect(tradingStateOf(S0)).toEqual({ state: "active", reasons: [], entriesBlockedBy: [] });
    expect(RiskState.parse(S0)).toEqual(S0);
  });
});

describe("consecutive losses", () => {
  const losses = (n: number) =>
    Array.from({ length: n }, (_, i) => (s: RiskState) => onRoundTrip(s, rt(-1, T + i), CFG, T + i));

  it("does not trip after 4 losses in a row", () => {
    const f = run(S0, losses(4));
    expect(f.state.consecutiveLosses).toBe(4);
    expect(tradingStateOf(f.state).state).toBe("active");
    expect(f.events).toEqual([]);
  });

  it("trips at the 5th loss in a row, sets reducing and says why", () => {
    const f = run(S0, losses(5));
    expect(tradingStateOf(f.state).state).toBe("reducing");
    expect(f.events).toEqual([
      {
        kind: "trip",
        breaker: "consecutive_losses",
        code: "consecutive_losses",
        atMs: T + 4,
        message: "5 losing round trips in a row (limit 5); last KXHIGHNY-26JUN01-T80 P&L -1 micro-dollars",
        numbers: { consecutiveLosses: 5, limit: 5, lastPnl: -1 },
      },
    ]);
  });

  it("restarts the count after a round trip that did not lose", () => {
    const f = run(S0, [...losses(4), (s) => onRoundTrip(s, rt(0), CFG, T + 10), ...losses(4)]);
    expect(f.state.consecutiveLosses).toBe(4);
    expect(f.state.breakers.consecutive_losses).toBeNull();
  });

  it("stays tripped after a win until resumed, then counts from zero", () => {
    const tripped = run(S0, [...losses(5), (s) => onRoundTrip(s, rt(5_000), CFG, T + 10)]);
    expect(tradingStateOf(tripped.state).state).toBe("reducing");
    const resumed = resume(tripped.state, T + 20);
    expect(tradingStateOf(resumed.state).state).toBe("active");
    expect(resumed.events).toEqual([
      {
        kind: "clear",
        breaker: "consecutive_losses",
        code: "resumed",
        atMs: T + 20,
        message: "consecutive_losses breaker reset by resume",
        numbers: {},
      },
    ]);
    expect(run(resumed.state, losses(4)).state.breakers.consecutive_losses).toBeNull();
  });
});

describe("API error rate", () => {
  const results = (ok: number, errors: number, at = T) => {
    const steps: ((s: RiskState) => Fold)[] = [];
    for (let i = 0; i < ok; i++) steps.push((s) => onApiResult(s, true, at, CFG));
    for (let i = 0; i < errors; i++) steps.push((s) => onApiResult(s, false, at, CFG));
    return steps;
  };

  // [case, ok, errors, trips]
  const CASES: [string, number, number, boolean][] = [
    ["2 of 20 failed (10 %, at the minimum count)", 18, 2, true],
    ["2 of 21 failed (9.5 %)", 19, 2, false],
    ["3 of 30 failed (exactly 10 %)", 27, 3, true],
    ["19 of 19 failed: below the minimum of 20 requests", 0, 19, false],
    ["20 of 20 failed", 0, 20, true],
  ];
  it.each(CASES)("%s -> trips %s", (_case, ok, errors, trips) => {
    const f = run(S0, results(ok, errors));
    expect(f.state.breakers.api_error_rate !== null).toBe(trips);
    expect(tradingStateOf(f.state).state).toBe(trips ? "reducing" : "active");
  });

  it("forgets requests older than the window", () => {
    // 19 failures 5.5 min ago have slid out (the window moves in 30 s buckets); 20 fresh
    // successes then 1 failure: 1 of 21
    const f = run(S0, [...results(0, 19, T), ...results(20, 1, T + 5 * 60_000 + 30_000)]);
    expect(f.state.breakers.api_error_rate).toBeNull();
    const kept = run(S0, [...results(0, 19, T), ...results(1, 0, T + 4 * 60_000)]);
    expect(kept.state.breakers.api_error_rate).not.toBeNull();
  });

  it("records the numbers of the trip", () => {
    const f = run(S0, results(18, 2));
    expect(f.events[0]).toMatchObject({
      kind: "trip",
      breaker: "api_error_rate",
      numbers: { errors: 2, requests: 20, errorRate: 0.1, threshold: 0.1, windowMs: 300_000 },
    });
  });

  it("sets the configured state: halted when so configured", () => {
    const cfg = RiskConfig.parse({ breakers: { actions: { apiErrorRate: "halted" } } });
    let s = S0;
    for (let i = 0; i < 20; i++) s = onApiResult(s, false, T, cfg).state;
    expect(tradingStateOf(s).state).toBe("halted");
  });

  it("starts a clean window after a resume", () => {
    const tripped = run(S0, results(0, 20)).state;
    const resumed = resume(tripped, T + 1).state;
    expect(run(resumed, results(18, 1, T + 2)).state.breakers.api_error_rate).toBeNull();
  });
});

describe("daily loss", () => {
  const start = 10_000_000_000; // $10 000 at the first mark of the day

  it("takes the first mark of the day as the start-of-day equity", () => {
    const f = onEquity(S0, start, T, CFG);
    expect(f.state.day).toEqual({
      key: "2026-06-01",
      startEquity: start,
      baselineEquity: start,
      lastEquity: start,
      lastEquityMs: T,
    });
  });

  // [case, equity, trips]
  const CASES: [string, number, boolean][] = [
    ["down $499.999999 (just under 5 %)", start - 499_999_999, false],
    ["down exactly 5 %", start - 500_000_000, true],
    ["down 6 %", start - 600_000_000, true],
    ["up 3 %", start + 300_000_000, false],
  ];
  it.each(CASES)("%s -> trips %s", (_case, equity, trips) => {
    const f = run(S0, [(s) => onEquity(s, start, T, CFG), (s) => onEquity(s, equity, T + 60_000, CFG)]);
    expect(f.state.breakers.daily_loss !== null).toBe(trips);
    expect(tradingStateOf(f.state).state).toBe(trips ? "halted" : "active");
  });

  it("records the loss against the start of day", () => {
    const f = run(S0, [
      (s) => onEquity(s, start, T, CFG),
      (s) => onEquity(s, start - 500_000_000, T + 1, CFG),
    ]);
    expect(f.events).toEqual([
      {
        kind: "trip",
        breaker: "daily_loss",
        code: "daily_loss",
        atMs: T + 1,
        message: "equity 9500000000 is -5.00 % against 10000000000 at the start of 2026-06-01 (limit -5 %)",
        numbers: {
          equity: 9_500_000_000,
          startOfDayEquity: start,
          baselineEquity: start,
          dailyLossPct: -5,
          limitPct: 5,
        },
      },
    ]);
  });

  it("after a resume measures further loss from the equity at the resume", () => {
    const tripped = run(S0, [
      (s) => onEquity(s, start, T, CFG),
      (s) => onEquity(s, start - 500_000_000, T + 1, CFG),
    ]);
    const resumed = resume(tripped.state, T + 2).state;
    expect(resumed.day.baselineEquity).toBe(start - 500_000_000);
    expect(tradingStateOf(resumed).state).toBe("active");
    // another 4.99 % of the start of day: still active; 5 % more: halted again
    expect(onEquity(resumed, start - 999_000_000, T + 3, CFG).state.breakers.daily_loss).toBeNull();
    expect(onEquity(resumed, start - 1_000_000_000, T + 3, CFG).state.breakers.daily_loss).not.toBeNull();
  });

  it("is not re-based by a resume of something else", () => {
    const down4 = run(S0, [
      (s) => onEquity(s, start, T, CFG),
      (s) => onEquity(s, start - 400_000_000, T + 1, CFG),
      (s) => halt(s, "manual check", T + 2),
      (s) => resume(s, T + 3),
    ]).state;
    expect(down4.day.baselineEquity).toBe(start);
    expect(onEquity(down4, start - 500_000_000, T + 4, CFG).state.breakers.daily_loss).not.toBeNull();
  });

  it("starts a new day at local midnight but stays tripped until resumed", () => {
    const tripped = run(S0, [
      (s) => onEquity(s, start, T, CFG),
      (s) => onEquity(s, start - 600_000_000, T + 1, CFG),
    ]);
    const nextDay = onEquity(tripped.state, start - 600_000_000, Date.parse("2026-06-02T04:00:00Z"), CFG);
    expect(nextDay.state.day).toMatchObject({ key: "2026-06-02", startEquity: start - 600_000_000 });
    expect(tradingStateOf(nextDay.state).state).toBe("halted");
  });

  it("clears at the new day when configured to", () => {
    const cfg = RiskConfig.parse({ breakers: { dailyLossClearsAtDayStart: true } });
    const tripped = run(S0, [
      (s) => onEquity(s, start, T, cfg),
      (s) => onEquity(s, start - 600_000_000, T + 1, cfg),
    ]);
    const at = Date.parse("2026-06-02T04:00:00Z");
    const nextDay = onEquity(tripped.state, start - 600_000_000, at, cfg);
    expect(tradingStateOf(nextDay.state).state).toBe("active");
    expect(nextDay.events).toEqual([
      {
        kind: "clear",
        breaker: "daily_loss",
        code: "new_trading_day",
        atMs: at,
        message: "trading day 2026-06-02 starts",
        numbers: {},
      },
    ]);
  });

  it("does not roll the day back when the clock steps back over midnight", () => {
    const s = onEquity(S0, start, Date.parse("2026-06-02T04:00:01Z"), CFG).state;
    const back = onEquity(s, start - 1, Date.parse("2026-06-02T03:59:59Z"), CFG).state;
    expect(back.day).toMatchObject({ key: "2026-06-02", startEquity: start, lastEquity: start - 1 });
  });
});

describe("the trading day in America/New_York across the 2026 DST switches", () => {
  // [instant, trading day]
  const DAYS: [string, string][] = [
    // spring forward, Sunday 8 March (a 23-hour day): midnight is 05:00Z before, 04:00Z after
    ["2026-03-08T04:59:59Z", "2026-03-07"],
    ["2026-03-08T05:00:00Z", "2026-03-08"],
    ["2026-03-08T06:59:59Z", "2026-03-08"], // 01:59:59 EST
    ["2026-03-08T07:00:00Z", "2026-03-08"], // 03:00:00 EDT
    ["2026-03-09T03:59:59Z", "2026-03-08"],
    ["2026-03-09T04:00:00Z", "2026-03-09"],
    // fall back, Sunday 1 November (a 25-hour day): midnight is 04:00Z before, 05:00Z after
    ["2026-11-01T03:59:59Z", "2026-10-31"],
    ["2026-11-01T04:00:00Z", "2026-11-01"],
    ["2026-11-01T05:30:00Z", "2026-11-01"], // 01:30 EDT
    ["2026-11-01T06:30:00Z", "2026-11-01"], // 01:30 EST, the repeated hour
    ["2026-11-02T04:59:59Z", "2026-11-01"],
    ["2026-11-02T05:00:00Z", "2026-11-02"],
  ];
  it.each(DAYS)("%s is trading day %s", (instant, day) => {
    expect(tradingDayOf(Date.parse(instant), "America/New_York")).toBe(day);
  });

  it("resets the start-of-day equity at the first mark after local midnight in both switches", () => {
    for (const [before, after] of [
      ["2026-03-09T03:59:59Z", "2026-03-09T04:00:00Z"],
      ["2026-11-02T04:59:59Z", "2026-11-02T05:00:00Z"],
    ] as const) {
      const s = run(S0, [
        (x) => onEquity(x, 1_000_000_000, Date.parse(before) - 3_600_000, CFG),
        (x) => onEquity(x, 900_000_000, Date.parse(before), CFG),
      ]).state;
      expect(s.day.startEquity).toBe(1_000_000_000);
      const next = onEquity(s, 900_000_000, Date.parse(after), CFG).state;
      expect(next.day.startEquity).toBe(900_000_000);
    }
  });

  it("follows the configured time zone", () => {
    expect(tradingDayOf(Date.parse("2026-06-01T23:30:00Z"), "UTC")).toBe("2026-06-01");
    expect(tradingDayOf(Date.parse("2026-06-01T23:30:00Z"), "Asia/Tokyo")).toBe("2026-06-02");
  });
});

describe("feed loss", () => {
  // [case, ms without a live feed, trips]
  const CASES: [string, number, boolean][] = [
    ["14.999 s without a feed", 14_999, false],
    ["15 s without a feed", 15_000, true],
  ];
  it.each(CASES)("%s -> trips %s", (_case, ms, trips) => {
    const f = run(S0, [
      (s) => onFeedHealth(s, true, T, CFG),
      (s) => onFeedHealth(s, false, T + 1_000, CFG),
      (s) => onFeedHealth(s, false, T + 1_000 + ms, CFG),
    ]);
    expect(f.state.breakers.feed_loss !== null).toBe(trips);
  });

  it("blocks entries without changing the trading state, and clears itself when the feed is back", () => {
    const lost = run(S0, [
      (s) => onFeedHealth(s, false, T, CFG),
      (s) => onFeedHealth(s, false, T + 15_000, CFG),
    ]);
    expect(tradingStateOf(lost.state)).toMatchObject({ state: "active", entriesBlockedBy: ["feed_loss"] });
    expect(lost.events[0]).toMatchObject({
      kind: "trip",
      breaker: "feed_loss",
      numbers: { downMs: 15_000, limitMs: 15_000 },
    });
    const back = onFeedHealth(lost.state, true, T + 20_000, CFG);
    expect(tradingStateOf(back.state)).toEqual({ state: "active", reasons: [], entriesBlockedBy: [] });
    expect(back.events).toEqual([
      {
        kind: "clear",
        breaker: "feed_loss",
        code: "feed_live",
        atMs: T + 20_000,
        message: "the feed is live again",
        numbers: {},
      },
    ]);
  });

  it("is not cleared by a resume", () => {
    const lost = run(S0, [
      (s) => onFeedHealth(s, false, T, CFG),
      (s) => onFeedHealth(s, false, T + 15_000, CFG),
    ]).state;
    const resumed = resume(lost, T + 16_000);
    expect(resumed.state.breakers.feed_loss).not.toBeNull();
    expect(resumed.events).toEqual([]);
  });

  it("counts the outage from when it began, not from the last heartbeat", () => {
    const f = run(S0, [
      (s) => onFeedHealth(s, false, T, CFG),
      (s) => onFeedHealth(s, false, T + 5_000, CFG),
      (s) => onFeedHealth(s, false, T + 10_000, CFG),
      (s) => onFeedHealth(s, false, T + 15_000, CFG),
    ]);
    expect(f.state.breakers.feed_loss).not.toBeNull();
  });
});

describe("admin halt and resume", () => {
  it("halts until resumed, keeping the first reason", () => {
    const f = run(S0, [(s) => halt(s, "investigating fills", T), (s) => halt(s, "again", T + 5)]);
    expect(tradingStateOf(f.state)).toEqual({
      state: "halted",
      reasons: [
        { breaker: "admin", since: T, sets: "halted", message: "halted: investigating fills", numbers: {} },
      ],
      entriesBlockedBy: [],
    });
    expect(f.events).toHaveLength(1);
    const r = resume(f.state, T + 10);
    expect(tradingStateOf(r.state).state).toBe("active");
    expect(r.events.map((e) => [e.kind, e.breaker, e.code])).toEqual([["clear", "admin", "resumed"]]);
  });

  it("reports the worst state and every reason when several breakers have tripped", () => {
    let s = S0;
    for (let i = 0; i < 5; i++) s = onRoundTrip(s, rt(-1), CFG, T + i).state;
    s = onFeedHealth(s, false, T, CFG).state;
    s = onFeedHealth(s, false, T + 15_000, CFG).state;
    s = halt(s, "manual", T + 20_000).state;
    const view = tradingStateOf(s);
    expect(view.state).toBe("halted");
    expect(view.reasons.map((r) => [r.breaker, r.sets])).toEqual([
      ["admin", "halted"],
      ["consecutive_losses", "reducing"],
      ["feed_loss", "entries_blocked"],
    ]);
    const after = resume(s, T + 30_000).state;
    expect(tradingStateOf(after)).toMatchObject({ state: "active", entriesBlockedBy: ["feed_loss"] });
  });
});

describe("persistence", () => {
  it("round-trips every fold's state through JSON and the schema", () => {
    const f = run(S0, [
      (s) => onEquity(s, 10_000_000_000, T, CFG),
      (s) => onEquity(s, 9_000_000_000, T + 1, CFG),
      (s) => onApiResult(s, false, T + 2, CFG),
      (s) => onRoundTrip(s, rt(-5), CFG, T + 3),
      (s) => onFeedHealth(s, false, T + 4, CFG),
      (s) => halt(s, "x", T + 5),
    ]);
    expect(RiskState.parse(JSON.parse(JSON.stringify(f.state)))).toEqual(f.state);
  });

  it("rejects a stored state that is not one", () => {
    expect(RiskState.safeParse({ ...S0, version: 2 }).success).toBe(false);
    expect(RiskState.safeParse({ ...S0, consecutiveLosses: -1 }).success).toBe(false);
  });
});
