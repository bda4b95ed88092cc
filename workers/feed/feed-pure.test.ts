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
import type { MarketInfo } from "./universe.ts";
import { selectUniverse } from "./universe.ts";

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
    for (const rare of ["trade", "fill", "user_orders", "market_positions", "market_lifecycle_v2"] as const)
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

function market(over: Partial<MarketInfo> = {}): MarketInfo {
  return {
    ticker: "FED-23DEC-T3.00",
    eventTicker: "FED-23DEC",
    seriesTicker: "FED",
    status: "active",
    closeTimeMs: 10 * 3_600_000,
    // YES bid 0.90 x 1000 contracts, NO bid 0.09 -> YES ask 0.91
    top: { yesBid: 9_000, yesBidSize: 100_000, noBid: 900, noBidSize: 5_000 },
    volume24h: 2_000_000, // 20 000 contracts x 0.90 = $18 000
    priceLevelStructure: "linear_cent",
    priceRanges: [{ start: 0, end: 10_000, step: 100 }],
    exchangeIndex: 0,
    ...over,
  };
}

describe("selectUniverse", () => {
  const c = DEFAULT_FEED_CONFIG.universe;
  it("selects a liquid favourite priced 0.90 with a 1 c spread", () => {
    const r = selectUniverse([market()], undefined, c, 0);
    expect(r.selected).toEqual([{ ticker: "FED-23DEC-T3.00", side: "yes", bid: 9_000, ask: 9_100 }]);
  });
  it("picks the NO side when it is the favourite", () => {
    const m = market({ top: { yesBid: 900, yesBidSize: 100, noBid: 9_000, noBidSize: 100_000 } });
    expect(selectUniverse([m], undefined, c, 0).selected[0]?.side).toBe("no");
  });
  it.each<[string, Partial<MarketInfo>, string]>([
    ["an inactive market", { status: "inactive" }, "status inactive"],
    ["a market closing within the exit window", { closeTimeMs: 3_600_000 }, "closes within the exit window"],
    [
      "a favourite under 0.85",
      { top: { yesBid: 8_400, yesBidSize: 100_000, noBid: 1_500, noBidSize: 100 } },
      "favourite priced below the floor",
    ],
    [
      "$499 at the best bid",
      { top: { yesBid: 9_000, yesBidSize: 55_444, noBid: 900, noBidSize: 100 } },
      "too little resting at the best bid",
    ],
    ["$9 999 of 24 h volume", { volume24h: 1_111_000 }, "24 h volume too low"],
    [
      "a 3 c spread",
      { top: { yesBid: 9_000, yesBidSize: 100_000, noBid: 700, noBidSize: 100 } },
      "spread too wide",
    ],
    [
      "a target above 0.99",
      { top: { yesBid: 9_700, yesBidSize: 100_000, noBid: 200, noBidSize: 100 } },
      "no room for the target",
    ],
    [
      "an empty side",
      { top: { yesBid: 9_000, yesBidSize: 100_000, noBid: null, noBidSize: 0 } },
      "one side of the book is empty",
    ],
  ])("rejects %s", (_name, over, reason) => {
    const r = selectUniverse([market(over)], undefined, c, 0);
    expect(r.selected).toEqual([]);
    expect(r.rejected[0]?.reason).toBe(reason);
  });
  it("accepts exactly $500 at the best bid and exactly $10 000 of volume", () => {
    // 0.90 x 555.56 contracts = $500.004; 0.90 x 11 111.12 = $10 000.008
    const m = market({
      top: { yesBid: 9_000, yesBidSize: 55_556, noBid: 900, noBidSize: 100 },
      volume24h: 1_111_112,
    });
    expect(selectUniverse([m], undefined, c, 0).selected).toHaveLength(1);
  });
  it("prefers live book tops over the REST quotes", () => {
    const live = { yesBid: 8_000, yesBidSize: 100_000, noBid: 1_900, noBidSize: 100 };
    const r = selectUniverse([market()], () => live, c, 0);
    expect(r.rejected[0]?.reason).toBe("favourite priced below the floor");
  });
  it("keeps the highest-volume markets when over maxMarkets", () => {
    const ms = [market({ ticker: "A", volume24h: 2_000_000 }), market({ ticker: "B", volume24h: 3_000_000 })];
    const r = selectUniverse(ms, undefined, { ...c, maxMarkets: 1 }, 0);
    expect(r.selected.map((e) => e.ticker)).toEqual(["B"]);
    expect(r.rejected).toEqual([{ ticker: "A", reason: "over maxMarkets" }]);
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
