/**
 * End-to-end tests of the order path's exits and of reconciliation inside the account Durable
 * Object, against the Kalshi simulator (workerd, real signed REST, a real loopback WebSocket).
 * What each case asserts is the state the exchange and the journal end in: the resting
 * take-profit's size against the position, the order in which a stop's cancel and exit reached
 * the exchange and at what price, how many exits the exchange received after one was refused or
 * filled nothing, the simulator's position (never below zero), the journal's round trips and
 * reconciliation differences, the order group's state at the exchange and the account's.
 *
 * Every case lists its own market (`createMarket`) and gives it house liquidity only: a bid at
 * $0.40 and an ask at $0.60. The simulator's clock is never stepped, so its market makers never
 * quote (the seeded markets stay empty and unwatched) and its noise traders never trade: every
 * trade is one the test made (house liquidity crossing our orders, a `tradeThrough`, or an order
 * sent directly over REST with the account's key). The account's clock is moved by the test where
 * a wait matters (retry periods, the group's reset). Heartbeats and jobs are driven explicitly;
 * `quiesce` waits for the frames the simulator sent and the requests they started, a bounded
 * number of rounds. The strategy's automatic entries are off (no contract can earn the $10 asked
 * of it), so every position is one the test opened.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Intent } from "../../shared/domain.ts";
import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import { formatCount, formatPrice, parseCount, parseSignedCount } from "../../shared/kalshi/units.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import type { OrderRequestRecord } from "../../sim/server/faults.ts";
import type { Account } from "../../workers/account/account.ts";
import { lazySigner, restClientFor } from "../../workers/feed/feed-adapters.ts";
import type { SocketOpener } from "../../workers/feed/ports.ts";
import { accountHarness, simRestBase } from "../support/account-harness.ts";

const control = new SimControlClient(env.KALSHI_SIM_URL);
const CREATE_PATH = "/portfolio/events/orders";

/** Our entry price; the default exit plan puts the take-profit 2 points above it and the stop 1 below. */
const ENTRY = 5_000;
const TAKE_PROFIT = 5_200;
const STOP = 4_900;
/** The house's standing quotes in each case's market. */
const HOUSE_BID = 4_000;
const HOUSE_ASK = 6_000;

const BASE_CONFIG = {
  feed: { universe: { minFavouritePrice: 0, minVolume24h: 0, closingWithinMs: 0, maxMarkets: 50 } },
  // No automatic entries: no contract pays $10, so no entry ever has the expected value asked.
  strategy: { edge: { minEvPerContract: 10_000_000 } },
};

async function simNow(): Promise<number> {
  return (await control.state()).now_ms;
}

/** A REST client of the same account (the same key), acting behind the bot's back. */
function directRest(): KalshiRestClient {
  return restClientFor(simRestBase(), lazySigner(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY), {
    timeoutMs: 2_000,
  });
}

/** A socket opener that never gets through: the feed stays down. */
const refusingSocket: SocketOpener = async () => ({
  ok: false,
  failure: { kind: "network", message: "refused by the test" },
});

function buy(ticker: string, price: number, count: number): Intent {
  return {
    ticker,
    side: "yes",
    action: "buy",
    price,
    count,
    purpose: "manual",
    tif: "good_till_canceled",
    postOnly: false,
    reduceOnly: false,
    expirationMs: null,
    positionId: null,
    reason: "test",
  };
}

function setup(name: string, config: { executor?: unknown; exits?: unknown } = {}) {
  const doc = {
    ...BASE_CONFIG,
    strategy: { ...BASE_CONFIG.strategy, ...(config.exits ? { exits: config.exits } : {}) },
    ...(config.executor ? { executor: config.executor } : {}),
  };
  const h = accountHarness(name, { config: doc, restTimeoutMs: 2_000 });
  let ticker = "";

  /** Lists the case's market with the house's quotes, starts the account on it and reconciles. */
  const boot = async () => {
    h.clock.now = await simNow();
    ticker = (await control.createMarket({ fair: ENTRY })).ticker;
    await control.placeLiquidity(ticker, "bid", HOUSE_BID, 1_000);
    await control.placeLiquidity(ticker, "ask", HOUSE_ASK, 1_000);
    await h.install();
    await h.start();
    await h.job("reconcile");
    expect(await h.inObj((a) => a.entryBlockers(ticker).map((c) => c.code))).toEqual([]);
    return ticker;
  };
  /** Waits, a bounded number of rounds, for every frame sent and every request those frames started. */
  const quiesce = async () => {
    for (let i = 0; i < 4; i++) {
      await h.barrier();
      await h.inObj((a) => a.settled());
    }
  };
  const held = () => h.inObj((a) => a.orders.journal.position(ticker) ?? null);
  const shard = () => h.inObj((a) => a.market(ticker)?.exchangeIndex ?? 0);
  const journalOrder = (intentId: string) => h.inObj((a) => a.orders.journal.order(intentId));
  const roundTrips = () => h.inObj((a) => a.orders.journal.roundTrips(10).filter((r) => r.ticker === ticker));
  /** The simulator's signed YES contracts of this account in the case's market (1/100). */
  const simPosition = async () => {
    const p = (await control.positions()).find((x) => x.ticker === ticker);
    return p ? parseSignedCount(String(p.position_fp)) : 0;
  };
  /** Every YES position of this account at the simulator is long or flat (an exit never over-sells). */
  const expectNeverShort = async () => {
    for (const p of await control.positions())
      expect({ ticker: p.ticker, position: parseSignedCount(String(p.position_fp)) >= 0 }).toEqual({
        ticker: p.ticker,
        position: true,
      });
  };
  /** Our resting orders in the case's market, at the simulator. */
  const restingAtSim = async () =>
    (await control.orders()).filter((o) => o.ticker === ticker && o.status === "resting");
  /** Our resting take-profits (sells of YES) at the simulator. */
  const takeProfitsAtSim = async () => (await restingAtSim()).filter((o) => o.book_side === "ask");
  /** Order writes the simulator received for the case's market (creates by ticker, others by order id). */
  const writes = async (orderIds: ReadonlySet<string>) =>
    (await control.ordersReceived()).filter((r) => {
      const body = (r.body ?? {}) as { ticker?: string };
      return body.ticker === ticker || [...orderIds].some((id) => r.path.includes(id));
    });

  /** Puts our GTC buy of `count` YES at the entry price to rest, with house bids queued behind it. */
  const restEntry = async (count: number) => {
    const r = await h.inObj((a) => a.submitManual(buy(ticker, ENTRY, count)));
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    await quiesce();
    expect((await journalOrder(r.intentId))?.state).toBe("resting");
    // After our bid fills the best bid stays at the entry, above the stop.
    await control.placeLiquidity(ticker, "bid", ENTRY, 1_000);
    await quiesce();
    return r.intentId;
  };
  /** A house ask at the entry price fills `count` of our resting buy (ours is first in the queue). */
  const fillEntry = async (count: number) => {
    await control.placeLiquidity(ticker, "ask", ENTRY, count);
    await quiesce();
  };
  /** Opens a position of `count` YES at the entry price, protected by its resting take-profit. */
  const openPosition = async (count: number) => {
    const intentId = await restEntry(count);
    await fillEntry(count);
    expect(await simPosition()).toBe(count);
    expect((await held())?.position.contracts).toBe(count);
    const [tp, ...more] = await takeProfitsAtSim();
    expect(more).toEqual([]);
    expect(tp?.yes_price_dollars).toBe(formatPrice(TAKE_PROFIT));
    expect(tp?.remaining_count_fp).toBe(formatCount(count));
    return { intentId, takeProfitId: String(tp?.order_id) };
  };

  return {
    ...h,
    boot,
    quiesce,
    held,
    shard,
    journalOrder,
    roundTrips,
    simPosition,
    expectNeverShort,
    restingAtSim,
    takeProfitsAtSim,
    writes,
    restEntry,
    fillEntry,
    openPosition,
    get ticker() {
      return ticker;
    },
  };
}

const isCreate = (r: OrderRequestRecord) => r.method === "POST" && r.path === CREATE_PATH;
const bodyOf = (r: OrderRequestRecord) => (r.body ?? {}) as Record<string, unknown>;

beforeEach(async () => {
  await control.reset();
});

describe("exits against the simulator", () => {
  it("partial fills of an entry resize its take-profit to the whole position", async () => {
    const t = setup("exits-partial");
    await t.boot();
    await t.restEntry(200);

    await t.fillEntry(100);
    expect(await t.simPosition()).toBe(100);
    const [first, ...more1] = await t.takeProfitsAtSim();
    expect(more1).toEqual([]);
    expect(first?.yes_price_dollars).toBe(formatPrice(TAKE_PROFIT));
    expect(first?.remaining_count_fp).toBe(formatCount(100));
    await t.expectNeverShort();

    await t.fillEntry(100);
    expect(await t.simPosition()).toBe(200);
    const [second, ...more2] = await t.takeProfitsAtSim();
    expect(more2).toEqual([]);
    // The same order, amended to the whole position: not a second take-profit.
    expect(second?.order_id).toBe(first?.order_id);
    expect(parseCount(second?.remaining_count_fp)).toBe(await t.simPosition());
    expect(second?.yes_price_dollars).toBe(formatPrice(TAKE_PROFIT));
    const h = await t.held();
    expect(h?.position.contracts).toBe(200);
    expect(h?.position.exits).toMatchObject({ takeProfit: TAKE_PROFIT, stop: STOP });
    await t.expectNeverShort();
  });

  it("a take-profit fill closes the position and disarms its stop", async () => {
    const t = setup("exits-take-profit");
    await t.boot();
    const { takeProfitId } = await t.openPosition(100);
    await t.expectNeverShort();

    // A house bid at the take-profit lifts it.
    await control.placeLiquidity(t.ticker, "bid", TAKE_PROFIT, 100);
    await t.quiesce();
    expect(await t.simPosition()).toBe(0);
    expect(await t.held()).toBeNull();
    expect((await t.roundTrips()).map((r) => r.reason)).toEqual(["take_profit"]);
    await t.expectNeverShort();
    const createsBefore = (await t.writes(new Set([takeProfitId]))).filter(isCreate).length;

    // The price falls through the old stop: nothing is held, so nothing is sold.
    expect(await control.tradeThrough(t.ticker, "ask", STOP)).toBeGreaterThan(0);
    await t.quiesce();
    await t.alarm();
    await t.quiesce();
    expect(await t.inObj((a) => a.book(t.ticker)?.top.yesBid)).toBe(HOUSE_BID);
    expect((await t.writes(new Set([takeProfitId]))).filter(isCreate)).toHaveLength(createsBefore);
    expect(await t.simPosition()).toBe(0);
    expect(await t.restingAtSim()).toEqual([]);
    await t.expectNeverShort();
  });

  it("a stop cancels the take-profit before its exit goes out, and the exit sells at the bid", async () => {
    const t = setup("exits-stop");
    await t.boot();
    const { takeProfitId } = await t.openPosition(100);

    // A sweep of every bid at or above the entry: the best bid falls to the house's 0.40, below the stop.
    expect(await control.tradeThrough(t.ticker, "ask", ENTRY)).toBeGreaterThan(0);
    await t.quiesce();
    await t.expectNeverShort();

    const writes = await t.writes(new Set([takeProfitId]));
    const cancel = writes.findIndex(
      (r) => r.method === "DELETE" && r.path.endsWith(`/${takeProfitId}`) && r.outcome === "accepted",
    );
    const exits = writes.filter(
      (r) => isCreate(r) && bodyOf(r).time_in_force === "immediate_or_cancel" && bodyOf(r).side === "ask",
    );
    expect(cancel).toBeGreaterThanOrEqual(0);
    expect(exits).toHaveLength(1);
    const exit = exits[0] as OrderRequestRecord;
    expect(writes.indexOf(exit)).toBeGreaterThan(cancel);
    // The first attempt sells at the best bid (no slippage allowance yet), reduce-only, the whole position.
    expect(bodyOf(exit)).toMatchObject({
      reduce_only: true,
      price: formatPrice(HOUSE_BID),
      count: formatCount(100),
    });
    expect(exit.outcome).toBe("accepted");

    expect(await t.simPosition()).toBe(0);
    expect(await t.held()).toBeNull();
    expect((await t.roundTrips()).map((r) => r.reason)).toEqual(["stop"]);
    expect(await t.restingAtSim()).toEqual([]);
    await t.expectNeverShort();
  });

  it("with the socket down, the stop fires from a REST order-book read and the position ends flat", async () => {
    const t = setup("exits-rest-stop");
    await t.boot();
    const { takeProfitId } = await t.openPosition(100);

    // A new instance whose socket never opens: no frame reaches it from here on.
    await t.install({ openSocket: refusingSocket });
    await t.job("universe");
    await t.alarm();
    expect(await t.inObj((a) => a.feed.status().socket)).not.toBe("open");
    expect(await t.inObj((a) => a.book(t.ticker)?.fresh ?? false)).toBe(false);
    // Still protected: the take-profit rests and nothing was sold.
    expect((await t.takeProfitsAtSim()).map((o) => o.order_id)).toEqual([takeProfitId]);
    expect(await t.simPosition()).toBe(100);

    expect(await control.tradeThrough(t.ticker, "ask", ENTRY)).toBeGreaterThan(0);
    // The heartbeat: REST reads of held markets without a fresh book, then the keeper on what they show.
    t.clock.now += 2_000;
    await t.alarm();
    t.clock.now += 2_000;
    await t.alarm();
    await t.expectNeverShort();

    const writes = await t.writes(new Set([takeProfitId]));
    const cancel = writes.findIndex((r) => r.method === "DELETE" && r.path.endsWith(`/${takeProfitId}`));
    const exits = writes.filter((r) => isCreate(r) && bodyOf(r).time_in_force === "immediate_or_cancel");
    expect(cancel).toBeGreaterThanOrEqual(0);
    expect(exits).toHaveLength(1);
    expect(writes.indexOf(exits[0] as OrderRequestRecord)).toBeGreaterThan(cancel);
    // Priced from the REST book's best bid: the only place the bot could have seen 0.40.
    expect(bodyOf(exits[0] as OrderRequestRecord)).toMatchObject({
      price: formatPrice(HOUSE_BID),
      reduce_only: true,
      count: formatCount(100),
    });
    expect(await t.simPosition()).toBe(0);
    expect(await t.inObj((a) => a.book(t.ticker)?.fresh ?? false)).toBe(false);

    // The exit's fill never came over the socket; reconciliation reads it and closes the round trip.
    await t.job("reconcile");
    expect(await t.held()).toBeNull();
    expect((await t.roundTrips()).map((r) => r.reason)).toEqual(["stop"]);
    expect(await t.simPosition()).toBe(0);
    await t.expectNeverShort();
  });

  it("a take-profit the exchange refuses is tried again on a later heartbeat, not in a loop", async () => {
    const t = setup("exits-refused-take-profit");
    await t.boot();
    const { takeProfitId } = await t.openPosition(100);

    // Unheard by the bot: its take-profit is cancelled, and a bid above the take-profit appears.
    await control.stallFeed(true);
    const gone = await directRest().cancelOrder(takeProfitId, { exchange_index: await t.shard() });
    if (!gone.ok) throw new Error(gone.failure.message);
    await control.placeLiquidity(t.ticker, "bid", TAKE_PROFIT + 100, 100);
    const refused = async () =>
      (await control.ordersReceived()).filter(
        (r) => isCreate(r) && r.outcome === "rejected" && bodyOf(r).ticker === t.ticker,
      );

    // Reconciliation finds it gone; the new post-only take-profit would cross the bid: refused.
    await t.job("reconcile");
    await t.inObj((a) => a.settled());
    const first = await refused();
    expect(first.map((r) => [bodyOf(r).price, bodyOf(r).post_only, r.error])).toEqual([
      [formatPrice(TAKE_PROFIT), true, "invalid_order"],
    ]);
    // Regression: each refusal re-ran the keeper, which sent the same order again at once, forever.
    // Now the next try waits `requestRetryMs` (2 s), then comes from the heartbeat.
    t.clock.now += 1_999;
    await t.alarm();
    expect(await refused()).toHaveLength(1);
    t.clock.now += 1;
    await t.alarm();
    expect(await refused()).toHaveLength(2);
    expect(await t.simPosition()).toBe(100);
    await t.expectNeverShort();
    await control.stallFeed(false);
  });

  it("a stop exit that comes back empty is not resent in a loop, and reconciliation settles why", async () => {
    const t = setup("exits-empty-stop");
    await t.boot();
    const { takeProfitId } = await t.openPosition(100);
    await t.install({ openSocket: refusingSocket });
    await t.job("universe");
    await t.alarm();

    // Unheard by the bot: the position is sold directly over REST, then the bids under it go.
    const sold = await directRest().createOrder(
      {
        ticker: t.ticker,
        client_order_id: crypto.randomUUID(),
        side: "ask",
        count: formatCount(100),
        price: formatPrice(ENTRY),
        time_in_force: "immediate_or_cancel",
        self_trade_prevention_type: "taker_at_cross",
        exchange_index: await t.shard(),
      },
      "reduce",
    );
    if (!sold.ok) throw new Error(sold.failure.message);
    expect(await t.simPosition()).toBe(0);
    expect(await control.tradeThrough(t.ticker, "ask", ENTRY)).toBeGreaterThan(0);
    const exits = async () =>
      (await t.writes(new Set([takeProfitId]))).filter(
        (r) =>
          isCreate(r) &&
          bodyOf(r).time_in_force === "immediate_or_cancel" &&
          r.clientOrderId !== sold.value.client_order_id,
      );

    // The stop fires from the REST book; its reduce-only exit finds nothing to reduce.
    t.clock.now += 2_000;
    await t.alarm();
    expect((await exits()).map((r) => [r.outcome, bodyOf(r).reduce_only])).toEqual([["accepted", true]]);
    expect(await t.takeProfitsAtSim()).toEqual([]);
    await t.expectNeverShort();
    // Regression: the keeper sent the next attempt the moment the last came back, without end.
    // Now, with the bid unchanged, the next waits `requestRetryMs`, then comes from the heartbeat.
    t.clock.now += 1_999;
    await t.alarm();
    expect(await exits()).toHaveLength(1);
    t.clock.now += 1;
    await t.alarm();
    expect(await exits()).toHaveLength(2);
    await t.expectNeverShort();

    // Reconciliation reads the sale and closes the position; no exit goes out after.
    await t.job("reconcile");
    expect(await t.held()).toBeNull();
    expect((await t.roundTrips()).map((r) => r.reason)).toEqual(["external"]);
    t.clock.now += 5_000;
    await t.alarm();
    expect(await exits()).toHaveLength(2);
    expect(await t.simPosition()).toBe(0);
    await t.expectNeverShort();
  });

  it("a stop exit cancelled by self-trade prevention waits for the bid to move, then sells into it at once", async () => {
    const t = setup("exits-self-trade");
    await t.boot();
    const { takeProfitId } = await t.openPosition(100);
    // Our own bid under the entry: once the bids above it go, it is the best bid.
    const ownBid = await t.inObj((a) => a.submitManual(buy(t.ticker, 4_500, 100)));
    if (!ownBid.ok) throw new Error(`${ownBid.code}: ${ownBid.message}`);
    await t.quiesce();
    const exits = async () =>
      (await t.writes(new Set([takeProfitId]))).filter(
        (r) => isCreate(r) && bodyOf(r).time_in_force === "immediate_or_cancel",
      );

    // The stop fires; its exit at our own bid is cancelled by self-trade prevention, filling nothing.
    expect(await control.tradeThrough(t.ticker, "ask", ENTRY)).toBeGreaterThan(0);
    await t.quiesce();
    expect((await exits()).map((r) => [bodyOf(r).price, r.outcome])).toEqual([
      [formatPrice(4_500), "accepted"],
    ]);
    expect(await t.simPosition()).toBe(100);
    // Nothing new to sell into: no second attempt (it was sent at once, again and again).
    await t.alarm();
    expect(await exits()).toHaveLength(1);

    // A new, higher bid: the next attempt goes at once, without waiting for the heartbeat.
    await control.placeLiquidity(t.ticker, "bid", 4_600, 100);
    await t.quiesce();
    const sent = await exits();
    expect(sent).toHaveLength(2);
    expect(bodyOf(sent[1] as OrderRequestRecord)).toMatchObject({
      reduce_only: true,
      count: formatCount(100),
    });
    expect(await t.simPosition()).toBe(0);
    expect(await t.held()).toBeNull();
    expect((await t.roundTrips()).map((r) => r.reason)).toEqual(["stop"]);
    // Our own bid was never touched.
    expect((await t.journalOrder(ownBid.intentId))?.state).toBe("resting");
    await t.expectNeverShort();
  });
});

describe("a reconciliation racing an exit", () => {
  it("does not adopt a position its read saw if the stop sold it while the read was on its way", async () => {
    const t = setup("reconcile-race");
    await t.boot();
    await t.openPosition(100);
    const ticker = t.ticker;

    // The positions read answers with the exchange as it was (100 held) only after the stop has
    // fired, filled and been folded: the read is older than the journal when it arrives.
    let armed = false;
    let account: Account | undefined;
    const real = directRest();
    const racing = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === "getPositions")
          return async (...args: Parameters<KalshiRestClient["getPositions"]>) => {
            const read = await target.getPositions(...args);
            if (!armed || !account) return read;
            armed = false;
            await control.tradeThrough(ticker, "ask", ENTRY);
            for (let i = 0; i < 50 && account.orders.journal.position(ticker); i++) {
              await account.feed.barrier();
              await account.orders.settled();
            }
            return read;
          };
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    await t.install({ rest: racing });
    await t.job("universe");
    await t.beat();
    await t.job("reconcile");
    account = await t.inObj((a) => a);
    expect(await t.held()).not.toBeNull();

    armed = true;
    await t.job("reconcile");
    expect(armed).toBe(false); // the race happened
    expect(await t.simPosition()).toBe(0);
    expect(await t.held()).toBeNull();
    // The next reconciliation reads the exchange as it is now and finds nothing to adopt.
    await t.job("reconcile");
    await t.quiesce();
    expect(await t.held()).toBeNull();
    expect(await t.simPosition()).toBe(0);
    expect((await t.roundTrips()).map((r) => r.reason)).toEqual(["stop"]);
    const diffs = await t.inObj((a) => a.orders.journal.diffs(10).map((d) => d.kind));
    expect(diffs).toEqual([]);
    await t.expectNeverShort();
  });
});

describe("a market that settles under a held position", () => {
  it.each([
    { result: "yes", value: 10_000 },
    { result: "no", value: 0 },
  ] as const)(
    "closes it at the settlement value ($result) with reason settled, and nothing to review",
    async ({ result, value }) => {
      const t = setup(`exits-settled-${result}`);
      await t.boot();
      await t.openPosition(100);
      const before = await t.held();
      const fees = before?.position.fees ?? -1;
      expect(fees).toBeGreaterThanOrEqual(0);

      await control.closeMarket(t.ticker);
      await control.determineMarket(t.ticker, result);
      await control.settleMarket(t.ticker);
      await t.quiesce();
      await t.job("reconcile");
      await t.quiesce();

      expect(await t.simPosition()).toBe(0);
      expect(await t.held()).toBeNull();
      const [trip, ...more] = await t.roundTrips();
      expect(more).toEqual([]);
      // One contract bought at $0.50, paid $1 or nothing: P&L is that less the entry's fees.
      expect(trip).toMatchObject({ reason: "settled", contracts: 100, avgEntry: ENTRY, avgExit: value });
      expect(trip?.pnl).toBe((value - ENTRY) * 100 - fees);
      const diffs = await t.inObj((a) => a.orders.journal.diffs(10).filter((d) => d.ticker === t.ticker));
      expect(diffs).toEqual([]);
    },
  );
});

describe("reconciliation adopts what was done behind the bot's back", () => {
  it("an order placed directly over REST is journaled as external and blocks entries until reviewed", async () => {
    const t = setup("recon-external-order");
    await t.boot();
    const rest = directRest();
    const placed = await rest.createOrder(
      {
        ticker: t.ticker,
        client_order_id: crypto.randomUUID(),
        side: "bid",
        count: formatCount(100),
        price: formatPrice(4_500),
        time_in_force: "good_till_canceled",
        self_trade_prevention_type: "taker_at_cross",
        exchange_index: await t.shard(),
      },
      "open",
    );
    if (!placed.ok) throw new Error(placed.failure.message);
    const orderId = placed.value.order_id;
    await t.quiesce();
    await t.job("reconcile");

    const adopted = await t.inObj((a) => a.orders.journal.orderByOrderId(orderId));
    expect(adopted).toMatchObject({
      ticker: t.ticker,
      side: "yes",
      action: "buy",
      price: 4_500,
      count: 100,
      state: "resting",
      purpose: "manual",
      reason: "adopted",
    });
    const diffs = await t.inObj((a) => a.orders.journal.diffs(50, true));
    expect(diffs.map((d) => [d.kind, d.ticker, d.blocking])).toEqual([["unknown_order", t.ticker, true]]);

    const blocked = await t.inObj((a) => a.submitManual(buy(t.ticker, 4_400, 100)));
    expect(blocked.ok).toBe(false);
    expect(await t.inObj((a) => a.entryBlockers(t.ticker).length)).toBeGreaterThan(0);

    const id = (diffs[0] as { id: string }).id;
    expect(await t.inObj((a) => a.orders.journal.reviewDiff(id, t.clock.now))).toBe(true);
    expect(await t.inObj((a) => a.entryBlockers(t.ticker))).toEqual([]);
    const allowed = await t.inObj((a) => a.submitManual(buy(t.ticker, 4_400, 100)));
    expect(allowed.ok).toBe(true);
    await t.quiesce();
    expect((await t.restingAtSim()).map((o) => o.yes_price_dollars).sort()).toEqual([
      formatPrice(4_400),
      formatPrice(4_500),
    ]);
  });

  it.each([
    ["while the bot hears the fill", false],
    ["while the bot's socket is stalled and only reconciliation finds the fill", true],
  ])(
    "a position opened directly over REST is adopted with an exit plan and a resting take-profit, %s",
    async (_name, stalled) => {
      // Bought at the ask, one tick over the best bid: a stop 2 points under the entry keeps it protected.
      const t = setup(`recon-external-position-${stalled ? "stalled" : "live"}`, {
        exits: { stopPoints: 200 },
      });
      await t.boot();
      // House quotes one tick apart around the entry; the IOC buy lifts the ask.
      await control.placeLiquidity(t.ticker, "bid", ENTRY, 1_000);
      await control.placeLiquidity(t.ticker, "ask", ENTRY + 100, 100);
      await t.quiesce();
      if (stalled) await control.stallFeed(true);
      const rest = directRest();
      const bought = await rest.createOrder(
        {
          ticker: t.ticker,
          client_order_id: crypto.randomUUID(),
          side: "bid",
          count: formatCount(100),
          price: formatPrice(ENTRY + 100),
          time_in_force: "immediate_or_cancel",
          self_trade_prevention_type: "taker_at_cross",
          exchange_index: await t.shard(),
        },
        "open",
      );
      if (!bought.ok) throw new Error(bought.failure.message);
      expect(parseCount(bought.value.fill_count)).toBe(100);
      expect(await t.simPosition()).toBe(100);
      if (!stalled) await t.quiesce();
      await t.job("reconcile");
      await t.inObj((a) => a.settled());
      if (!stalled) await t.quiesce();

      const h = await t.held();
      expect(h?.position.contracts).toBe(100);
      expect(h?.position.side).toBe("yes");
      expect(h?.position.exits).toMatchObject({ takeProfit: ENTRY + 300, stop: ENTRY - 100 });
      const [tp, ...more] = await t.takeProfitsAtSim();
      expect(more).toEqual([]);
      expect(tp?.yes_price_dollars).toBe(formatPrice(ENTRY + 300));
      expect(parseCount(tp?.remaining_count_fp)).toBe(await t.simPosition());
      // Nobody placed it through the bot: a difference to review, and entries wait for the review.
      const diffs = await t.inObj((a) => a.orders.journal.diffs(50, true));
      expect(diffs.filter((d) => d.blocking).map((d) => [d.kind, d.ticker])).toEqual([
        ["unknown_fill", t.ticker],
      ]);
      expect(await t.inObj((a) => a.entryBlockers(t.ticker).length)).toBeGreaterThan(0);
      await t.expectNeverShort();
      if (stalled) await control.stallFeed(false);
    },
  );

  it.each<{ what: string; clientOrderId: string | undefined; recorded: string[] }>([
    {
      what: "names a client order id the journal does not know",
      clientOrderId: "not-placed-by-the-bot",
      recorded: ["unknown_fill"],
    },
    // It may be that order's fill, arrived before the answer: not a stranger's until shown to be.
    {
      what: "names none while an order of ours awaits the answer that names its id",
      clientOrderId: undefined,
      recorded: [],
    },
  ])(
    "a socket fill of an order the journal does not know that $what is recorded as $recorded",
    async ({ clientOrderId, recorded: kinds }) => {
      const t = setup(`recon-socket-fill-${clientOrderId ?? "orphan"}`);
      await t.boot();
      // The fill is made up (the exchange holds nothing): at the house bid, so its stop (a point
      // under it) is not hit and no exit goes out for a position the exchange does not hold.
      const recorded = await t.inObj((a) => {
        // Our create leaves now; its answer cannot arrive before this callback returns.
        const r = a.submitManual(buy(t.ticker, HOUSE_BID + 100, 100));
        if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
        a.orders.onFill(
          {
            fillId: crypto.randomUUID(),
            orderId: crypto.randomUUID(),
            ticker: t.ticker,
            yesPrice: HOUSE_BID,
            count: 100,
            yesDelta: 100,
            fee: 0,
            isTaker: false,
            tsMs: t.clock.now,
          },
          clientOrderId,
        );
        return a.orders.journal.diffs(50, true).map((d) => d.kind);
      });
      expect(recorded).toEqual(kinds);
      await t.inObj((a) => a.settled());
    },
  );

  it("an order cancelled directly over REST while the socket is stalled is journaled as cancelled by reconciliation", async () => {
    const t = setup("recon-cancelled-remotely");
    await t.boot();
    const r = await t.inObj((a) => a.submitManual(buy(t.ticker, 4_500, 100)));
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    await t.quiesce();
    const mine = await t.journalOrder(r.intentId);
    expect(mine?.state).toBe("resting");

    await control.stallFeed(true); // the user_order of the cancel never reaches the bot
    const rest = directRest();
    const cancelled = await rest.cancelOrder(String(mine?.orderId), { exchange_index: await t.shard() });
    if (!cancelled.ok) throw new Error(cancelled.failure.message);
    expect(await t.restingAtSim()).toEqual([]);
    expect((await t.journalOrder(r.intentId))?.state).toBe("resting");

    await t.job("reconcile");
    expect((await t.journalOrder(r.intentId))?.state).toBe("cancelled");
    const diffs = await t.inObj((a) => a.orders.journal.diffs(50));
    expect(diffs.map((d) => [d.kind, d.ticker, d.blocking])).toEqual([
      ["order_closed_remotely", t.ticker, false],
    ]);
    expect(await t.inObj((a) => a.orders.blockers())).toEqual([]);
    await control.stallFeed(false);
  });
});

describe("the order group caps what the account can fill", () => {
  it("fills past the cap trigger the group: the exchange refuses its orders, trading halts, and exits resume after the reset", async () => {
    const t = setup("group-cap", {
      executor: { orderGroup: { enabled: true, contractsLimit: 200, resetAfterMs: 5_000 } },
    });
    await t.boot();
    const group = await t.inObj((a) => {
      const m = a.market(t.ticker);
      return m ? a.orders.journal.orderGroup(m.exchangeIndex) : undefined;
    });
    expect(group?.contracts_limit).toBe(200);
    const simGroup = (await control.orderGroups()).find((g) => g.id === group?.group_id);
    expect(simGroup).toMatchObject({ contracts_limit_fp: formatCount(200), triggered: false });

    const entry = await t.restEntry(300);
    expect((await t.journalOrder(entry))?.orderGroupId).toBe(group?.group_id);
    await t.fillEntry(300); // 3 contracts filled within the window: over the cap of 2
    expect(await t.simPosition()).toBe(300);
    await t.expectNeverShort();

    const simTriggered = async () =>
      (await control.orderGroups()).find((g) => g.id === group?.group_id)?.triggered;
    const refusedCreates = async () =>
      (await control.ordersReceived()).filter(
        (r) => isCreate(r) && r.outcome === "rejected" && bodyOf(r).ticker === t.ticker,
      ).length;
    expect(await simTriggered()).toBe(true);
    // The take-profit the first fill asked for may reach the exchange before the trigger message
    // reaches the bot, and is refused; it is not re-placed while the group is triggered.
    // (Regression: each refusal re-ran the keeper, which re-placed it at once, without end.)
    expect(await refusedCreates()).toBeLessThanOrEqual(1);
    expect(await t.inObj((a) => a.risk.view().state)).toBe("halted");
    expect(
      (await t.inObj((a) => a.orders.journal.orderGroup(group?.exchange_index ?? -1)))?.triggered_ms,
    ).not.toBeNull();
    // The exchange refuses an order in the triggered group.
    const refused = await directRest().createOrder(
      {
        ticker: t.ticker,
        client_order_id: crypto.randomUUID(),
        side: "bid",
        count: formatCount(100),
        price: formatPrice(HOUSE_BID),
        time_in_force: "good_till_canceled",
        self_trade_prevention_type: "taker_at_cross",
        order_group_id: String(group?.group_id),
        exchange_index: group?.exchange_index ?? 0,
      },
      "open",
    );
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect([refused.failure.status, refused.failure.code]).toEqual([400, "invalid_order"]);
    const refusedBefore = await refusedCreates();

    // Heartbeats while triggered: the keeper sends nothing the exchange would refuse.
    await t.alarm();
    await t.quiesce();
    await t.alarm();
    expect(await refusedCreates()).toBe(refusedBefore);
    expect(await t.takeProfitsAtSim()).toEqual([]);

    // `resetAfterMs` after the trigger (on the account's clock: stepping the simulator's would let
    // its crowd trade in the market) the group is reset, and not a millisecond before.
    const triggeredMs = Number(
      (await t.inObj((a) => a.orders.journal.orderGroup(group?.exchange_index ?? -1)))?.triggered_ms,
    );
    t.clock.now = triggeredMs + 4_999;
    await t.job("orderGroups");
    expect(await simTriggered()).toBe(true);
    t.clock.now = triggeredMs + 5_000;
    await t.job("orderGroups");
    expect(await simTriggered()).toBe(false);
    // The next heartbeat places the take-profit, in the group again.
    await t.alarm();
    await t.quiesce();
    const [tp, ...more] = await t.takeProfitsAtSim();
    expect(more).toEqual([]);
    expect(tp).toMatchObject({
      yes_price_dollars: formatPrice(TAKE_PROFIT),
      remaining_count_fp: formatCount(300),
      order_group_id: group?.group_id,
    });
    expect(await t.inObj((a) => a.risk.view().state)).toBe("halted"); // entries stay halted
    expect(await t.simPosition()).toBe(300);
    await t.expectNeverShort();
  });
});
