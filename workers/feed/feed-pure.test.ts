/**
 * Node tests of the feed's pure modules: backoff, liveness decision, universe filter,
 * subscription planning and quiet-sid proofs.
 */
import { describe, expect, it } from "vitest";
import { nextBackoffMs } from "./backoff.ts";
import { DEFAULT_FEED_CONFIG, FeedConfig } from "./feed-config.ts";
import type { LivenessState } from "./liveness.ts";
import { checkLiveness } from "./liveness.ts";
import type { QuietSid } from "./quiet-proof.ts";
import { proofParams, proofsDue } from "./quiet-proof.ts";
import type { LiveSubscriptions } from "./subscriptions.ts";
import { applyConfirmed, planSubscriptions } from "./subscriptions.ts";

describe("nextBackoffMs", () => {
  const b = { baseMs: 1_000, maxMs: 30_000, jitter: 0.2 };
  it.each([
    [0, 0, 1_000],
    [1, 0, 2_000],
    [4, 0, 16_000],
    [5, 0, 30_000],
    [50, 0, 30_000],
    [0, 0.5, 1_100],
    [3, 0.999, 9_598],
  ])("attempt %i with random %f waits %i ms", (attempt, random, want) => {
    expect(nextBackoffMs(attempt, random, b)).toBe(want);
  });
  it("never exceeds the cap, even with full jitter", () => {
    expect(nextBackoffMs(10, 0.999, b)).toBe(30_000);
  });
  it("treats a bad attempt or random as the first attempt without jitter", () => {
    expect(nextBackoffMs(Number.NaN, Number.NaN, b)).toBe(1_000);
  });
});

describe("checkLiveness", () => {
  const limits = {
    probeAfterMs: 10_000,
    silentReconnectMs: 20_000,
    commandTimeoutMs: 5_000,
    breakerMs: 15_000,
  };
  const open: LivenessState = {
    socket: "open",
    openedAtMs: 0,
    lastFrameMs: 1_000,
    downSinceMs: null,
    probeSentMs: null,
    nextReconnectAtMs: null,
    breakerTripped: false,
    booksFresh: true,
    running: true,
  };
  it("does nothing while frames flow", () => {
    expect(checkLiveness(open, 5_000, limits)).toEqual([]);
  });
  it("probes a socket that has been silent past probeAfterMs", () => {
    expect(checkLiveness(open, 11_000, limits)).toEqual([{ kind: "probe" }]);
  });
  it("reconnects when the probe goes unanswered", () => {
    const s = { ...open, probeSentMs: 11_000 };
    expect(checkLiveness(s, 16_000, limits)).toContainEqual({
      kind: "reconnect",
      reason: "probe unanswered",
    });
  });
  it("trips the breaker after 15 s of silence", () => {
    expect(checkLiveness({ ...open, probeSentMs: 14_000 }, 16_000, limits)).toEqual([
      { kind: "trip-breaker", reason: "feed silent for 15000 ms" },
    ]);
  });
  it("reconnects a closed socket once its backoff has elapsed, not before", () => {
    const closed: LivenessState = { ...open, socket: "closed", downSinceMs: 1_000, nextReconnectAtMs: 3_000 };
    expect(checkLiveness(closed, 2_000, limits)).toEqual([]);
    expect(checkLiveness(closed, 3_000, limits)).toEqual([{ kind: "reconnect", reason: "socket closed" }]);
  });
  it("trips the breaker when down for 15 s", () => {
    const closed: LivenessState = {
      ...open,
      socket: "closed",
      downSinceMs: 1_000,
      nextReconnectAtMs: 99_000,
    };
    expect(checkLiveness(closed, 16_000, limits)).toEqual([
      { kind: "trip-breaker", reason: "feed down for 15000 ms" },
    ]);
  });
  it("clears the breaker only once the socket is open and every book is fresh", () => {
    const tripped = { ...open, breakerTripped: true, lastFrameMs: 20_000 };
    expect(checkLiveness({ ...tripped, booksFresh: false }, 21_000, limits)).toEqual([]);
    expect(checkLiveness(tripped, 21_000, limits)).toEqual([{ kind: "clear-breaker" }]);
  });
  it("does nothing when stopped", () => {
    expect(checkLiveness({ ...open, running: false, socket: "closed" }, 99_000, limits)).toEqual([]);
  });

  describe("per channel", () => {
    // The socket itself is chatty (frames every second); only the orderbook sid has gone quiet.
    const book = { channel: "orderbook_delta", sinceMs: 0, limitMs: 60_000 };
    const chatty: LivenessState = {
      ...open,
      lastFrameMs: 59_500,
      channels: [book],
      probeAnsweredSentMs: null,
    };
    it("leaves a channel alone within its silence limit", () => {
      expect(checkLiveness(chatty, 59_999, limits)).toEqual([]);
    });
    it("probes the socket when a channel passes its limit", () => {
      expect(checkLiveness({ ...chatty, lastFrameMs: 60_000 }, 60_000, limits)).toEqual([{ kind: "probe" }]);
    });
    it("does not probe again while a probe is in flight", () => {
      expect(checkLiveness({ ...chatty, lastFrameMs: 60_000, probeSentMs: 60_000 }, 61_000, limits)).toEqual(
        [],
      );
    });
    it("resubscribes the channel once a probe sent after the limit has been answered", () => {
      const s = { ...chatty, lastFrameMs: 60_100, probeAnsweredSentMs: 60_000 };
      expect(checkLiveness(s, 61_000, limits)).toEqual([
        { kind: "resubscribe", channel: "orderbook_delta", reason: "orderbook_delta silent for 61000 ms" },
      ]);
    });
    it("does not trust a probe answered before the channel went silent", () => {
      const s = { ...chatty, lastFrameMs: 60_100, probeAnsweredSentMs: 59_000 };
      expect(checkLiveness(s, 61_000, limits)).toEqual([{ kind: "probe" }]);
    });
    it("leaves channel checks to the reconnect when the whole socket is dead", () => {
      const s = { ...chatty, lastFrameMs: 0, probeSentMs: 55_000 };
      expect(checkLiveness(s, 61_000, limits).map((a) => a.kind)).toEqual(["reconnect", "trip-breaker"]);
    });
  });
});

describe("feed config", () => {
  it("beats at least every 30 s and refuses a slower heartbeat", () => {
    expect(DEFAULT_FEED_CONFIG.heartbeatMs).toBeLessThanOrEqual(30_000);
    expect(FeedConfig.safeParse({ heartbeatMs: 30_001 }).success).toBe(false);
  });
  it("limits the silence of the chatty channels only", () => {
    const c = DEFAULT_FEED_CONFIG.channelSilenceMs;
    expect(c.orderbook_delta).toBeGreaterThan(0);
    expect(c.ticker).toBeGreaterThan(0);
    for (const rare of [
      "trade",
      "fill",
      "user_orders",
      "market_positions",
      "market_lifecycle_v2",
      "order_group_updates",
    ] as const)
      expect(c[rare]).toBeNull();
  });
  it("proves a quiet sid before its books reach maxBookAgeMs, even a heartbeat late", () => {
    const c = DEFAULT_FEED_CONFIG;
    expect(c.quietProofMs).toBeLessThan(c.maxBookAgeMs);
    expect(c.quietProofMs + c.heartbeatMs).toBeLessThan(c.maxBookAgeMs);
  });
  it("refuses a quietProofMs at or above maxBookAgeMs", () => {
    expect(FeedConfig.safeParse({ quietProofMs: 10_000 }).success).toBe(false);
    expect(FeedConfig.safeParse({ quietProofMs: 2_000, maxBookAgeMs: 2_000 }).success).toBe(false);
    expect(FeedConfig.safeParse({ quietProofMs: 9_999 }).success).toBe(true);
  });
  it("takes a partial override of the silence limits", () => {
    const c = FeedConfig.parse({ channelSilenceMs: { ticker: null } }).channelSilenceMs;
    expect(c).toMatchObject({ orderbook_delta: 60_000, ticker: null });
  });
});

describe("planSubscriptions", () => {
  it("subscribes every channel on a fresh socket, orderbook with use_yes_price set", () => {
    const plan = planSubscriptions(["B", "A"], {});
    expect(plan.map((c) => c.cmd === "subscribe" && c.channel)).toEqual([
      "orderbook_delta",
      "ticker",
      "trade",
      "fill",
      "user_orders",
      "market_positions",
      "market_lifecycle_v2",
      "order_group_updates",
    ]);
    expect(plan[0]?.params).toEqual({
      channels: ["orderbook_delta"],
      market_tickers: ["A", "B"],
      use_yes_price: true,
    });
    expect(plan[1]?.params).toEqual({ channels: ["ticker"], market_tickers: ["A", "B"] });
    expect(plan[3]?.params).toEqual({ channels: ["fill"] });
  });
  it("leaves the market channels out while the universe is empty", () => {
    expect(planSubscriptions([], {}).map((c) => c.channel)).toEqual([
      "fill",
      "user_orders",
      "market_positions",
      "market_lifecycle_v2",
      "order_group_updates",
    ]);
  });
  it("adds and removes markets with update_subscription, then is in sync", () => {
    let live: LiveSubscriptions = {};
    let sid = 1;
    for (const c of planSubscriptions(["A", "B"], live)) live = applyConfirmed(live, c, sid++);
    const plan = planSubscriptions(["B", "C"], live);
    expect(plan.filter((c) => c.channel === "orderbook_delta").map((c) => c.params)).toEqual([
      { sids: [1], action: "add_markets", market_tickers: ["C"] },
      { sids: [1], action: "delete_markets", market_tickers: ["A"] },
    ]);
    for (const c of plan) live = applyConfirmed(live, c);
    expect(planSubscriptions(["B", "C"], live)).toEqual([]);
    expect(live.orderbook_delta).toEqual({ sid: 1, markets: ["B", "C"] });
  });
  it("unsubscribes a market channel when the universe empties", () => {
    const live: LiveSubscriptions = { orderbook_delta: { sid: 4, markets: ["A"] } };
    expect(planSubscriptions([], live)[0]).toMatchObject({ cmd: "unsubscribe", params: { sids: [4] } });
  });
});

describe("proofsDue", () => {
  const QUIET = 4_000;
  const quiet: QuietSid = {
    sid: 1,
    heardMs: 0,
    markets: ["FED-23DEC-T3.00", "KXHIGHNY-26JAN09-T60"],
    lastProofSentMs: null,
    proofInFlight: false,
    resyncPending: false,
  };
  it.each<[string, Partial<QuietSid>, number, boolean]>([
    ["proves a sid quiet for exactly quietProofMs", {}, 4_000, true],
    ["leaves a sid heard from within quietProofMs alone", { heardMs: 1_000 }, 4_999, false],
    [
      "proves again once quietProofMs has passed since the last proof",
      { lastProofSentMs: 1_000 },
      5_000,
      true,
    ],
    ["sends at most one proof per sid per quietProofMs", { lastProofSentMs: 1_000 }, 4_999, false],
    ["waits for the reply of a proof in flight", { lastProofSentMs: 0, proofInFlight: true }, 60_000, false],
    ["sends none while a resync of the sid is pending", { resyncPending: true }, 60_000, false],
    ["sends none on a sid holding no wanted market", { markets: [] }, 60_000, false],
  ])("%s", (_name, over, nowMs, due) => {
    expect(proofsDue([{ ...quiet, ...over }], nowMs, QUIET).length > 0).toBe(due);
  });
  it("re-adds the first wanted market already on the sid, per sid", () => {
    const other: QuietSid = { ...quiet, sid: 7, markets: ["KXHIGHNY-26JAN09-T60"] };
    expect(proofsDue([quiet, other], 10_000, QUIET)).toEqual([
      { sid: 1, ticker: "FED-23DEC-T3.00" },
      { sid: 7, ticker: "KXHIGHNY-26JAN09-T60" },
    ]);
  });
});

describe("proofParams", () => {
  it("builds update_subscription add_markets on the sid for the one market", () => {
    expect(proofParams({ sid: 3, ticker: "FED-23DEC-T3.00" })).toEqual({
      sid: 3,
      action: "add_markets",
      market_tickers: ["FED-23DEC-T3.00"],
    });
  });
  it("refuses a ticker Kalshi would reject instead of throwing", () => {
    expect(proofParams({ sid: 3, ticker: "not a ticker" })).toBeNull();
  });
});
