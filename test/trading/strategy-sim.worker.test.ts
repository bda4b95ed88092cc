/**
 * End-to-end tests of the whole bot trading by its strategy inside workerd against the Kalshi
 * simulator: the account Durable Object's feed hands each changed book to the strategy
 * (`shared/strategy/`), the risk gate (`shared/risk/`) and the order path, over real signed REST
 * and a real loopback WebSocket. The markets are shaped with the simulator's control API
 * (`test/support/trading-sim.ts`: a deci-cent favourite, bid 0.899 x 3 000, ask 0.900 x 500); the
 * simulator's clock and the account's are stepped together. Every test asserts outcomes at the
 * simulator (what it received, what rests, fills, positions) and in the account (positions,
 * round trips, trading state, explanations).
 *
 * Numbers the shaped market gives under the default strategy: entry 0.9000 (the ask, snapped
 * down), take-profit 0.9200 (+2 points, snapped up), stop 0.8900 (-1 point); 500 contracts (the
 * size at the ask); `quadratic` fees: 0.07 x 500 x 0.90 x 0.10 = $3.15 to take the entry, no
 * maker fee on the take-profit.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Intent } from "../../shared/domain.ts";
import { resolveTarget } from "../../shared/environment.ts";
import { lazySigner, restClientFor, signedSocketOpener } from "../../workers/feed/feed-adapters.ts";
import type { SocketOpener } from "../../workers/feed/ports.ts";
import { simRestBase } from "../support/account-harness.ts";
import {
  CREATE_PATH,
  control,
  createsFor,
  entryCreates,
  gatedEntries,
  listMarket,
  quoteAsk,
  quoteBelow,
  SHAPE,
  simFills,
  simOrders,
  simPosition,
  type TradingSim,
  tradingSim,
} from "../support/trading-sim.ts";

const ENTRY = SHAPE.ask;
const TAKE_PROFIT = 9_200;
const STOP = 8_900;
const SIZE = SHAPE.askSize;
/** Taker fee of the entry: roundup(0.07 x 500 x 0.90 x 0.10) = $3.15. */
const ENTRY_FEE = 3_150_000;

beforeEach(async () => {
  await control.reset();
  await control.step(1_000); // the seeded market makers quote
});

/** Quotes a listed market up to a qualifying top and lets the bot act on it. */
async function qualify(t: TradingSim, ticker: string, askSize: number = SIZE): Promise<void> {
  await quoteBelow(ticker);
  await quoteAsk(ticker, askSize);
  await t.settle();
}

/** A book change in `ticker` that leaves its top as it is (a bid far below it). */
async function nudge(t: TradingSim, ticker: string): Promise<void> {
  await control.placeLiquidity(ticker, "bid", 8_000, 100);
  await t.settle();
}

/** Sweeps the bids down to the stop: the best bid becomes the catcher at 0.885. */
async function tradeThroughStop(t: TradingSim, ticker: string): Promise<void> {
  await control.tradeThrough(ticker, "ask", STOP);
  await t.settle();
}

/** What the strategy would do in `ticker` now (the trading state is the risk gate's, not its). */
async function verdict(t: TradingSim, ticker: string): Promise<string> {
  const why = await t.why(ticker);
  return "verdict" in why ? why.verdict : "unwatched";
}

/** The accepted entry creates at the simulator for `ticker`. */
async function acceptedEntries(ticker: string) {
  return (await entryCreates(ticker)).filter((r) => r.outcome === "accepted");
}

/** The bot's resting sells (take-profits) at the simulator in `ticker`. */
async function restingTakeProfits(ticker: string) {
  return (await simOrders(ticker)).filter((o) => o.bookSide === "ask" && o.status === "resting");
}

/** Sum of the simulator's `fee_cost` over the bot's fills in `ticker`. */
async function simFees(ticker: string): Promise<number> {
  return (await simFills(ticker)).reduce((n, f) => n + f.fee, 0);
}

describe("entry and exits by the strategy", () => {
  it("enters a qualifying favourite at the ask with one IOC, rests the take-profit 2 points up, and books the round trip when it is lifted", async () => {
    const m = await listMarket();
    const t = tradingSim("strategy-take-profit");
    await t.boot([m.ticker]);
    await quoteBelow(m.ticker);
    await t.settle();
    expect(await entryCreates(m.ticker)).toEqual([]); // only the maker's ask, cents away: too wide
    await quoteAsk(m.ticker);
    await t.settle();

    // One immediate-or-cancel buy at the ask, for the size resting there.
    const entries = await entryCreates(m.ticker);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.outcome).toBe("accepted");
    expect(entries[0]?.req).toMatchObject({
      side: "bid",
      price: "0.9000",
      count: "500.00",
      time_in_force: "immediate_or_cancel",
    });
    expect(entries[0]?.req.post_only).toBeUndefined();
    expect(await simPosition(m.ticker)).toBe(SIZE);
    // The take-profit rests at entry + 2 points, post-only, for the whole position.
    const tps = await restingTakeProfits(m.ticker);
    expect(tps).toHaveLength(1);
    expect(tps[0]).toMatchObject({ yesPrice: TAKE_PROFIT, remaining: SIZE, filled: 0 });
    const tpCreate = (await createsFor(m.ticker)).find((r) => r.orderId === tps[0]?.orderId);
    expect(tpCreate?.req).toMatchObject({
      side: "ask",
      time_in_force: "good_till_canceled",
      post_only: true,
    });
    expect(await t.position(m.ticker)).toMatchObject({
      side: "yes",
      contracts: SIZE,
      avgEntry: ENTRY,
      fees: ENTRY_FEE,
      takeProfit: TAKE_PROFIT,
      stop: STOP,
      exitMode: "protect",
      takeProfitWorking: SIZE,
    });

    await control.tradeThrough(m.ticker, "bid", TAKE_PROFIT); // a buyer lifts every ask up to 0.92
    await t.settle();

    expect(await simPosition(m.ticker)).toBe(0);
    expect(await t.position(m.ticker)).toBeNull();
    const fills = await simFills(m.ticker);
    expect(
      fills.map((f) => ({ side: f.bookSide, price: f.yesPrice, count: f.count, taker: f.isTaker })),
    ).toEqual([
      { side: "bid", price: ENTRY, count: SIZE, taker: true },
      { side: "ask", price: TAKE_PROFIT, count: SIZE, taker: false },
    ]);
    const fees = await simFees(m.ticker);
    expect(fees).toBe(ENTRY_FEE); // the take-profit pays no maker fee on a quadratic series
    const trades = await t.trades();
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({
      ticker: m.ticker,
      side: "yes",
      contracts: SIZE,
      avgEntry: ENTRY,
      avgExit: TAKE_PROFIT,
      reason: "take_profit",
      fees,
      pnl: (TAKE_PROFIT - ENTRY) * SIZE - fees,
    });
  });
});

describe("exits", () => {
  it("a trade-through to the stop cancels the take-profit first, then sells the position at the bid: a stop round trip", async () => {
    const m = await listMarket();
    const t = tradingSim("strategy-stop");
    await t.boot([m.ticker]);
    await qualify(t, m.ticker);
    expect(await simPosition(m.ticker)).toBe(SIZE);
    const [tp] = await restingTakeProfits(m.ticker);

    await tradeThroughStop(t, m.ticker); // the best bid drops to 0.885, below the stop at 0.89

    expect(await simPosition(m.ticker)).toBe(0);
    expect(await t.position(m.ticker)).toBeNull();
    const writes = (await control.ordersReceived()).filter((r) => r.outcome === "accepted");
    const cancel = writes.find((r) => r.method === "DELETE" && r.path === `${CREATE_PATH}/${tp?.orderId}`);
    const exit = writes.find(
      (r) =>
        r.method === "POST" &&
        (r.body as { side?: string; ticker?: string }).side === "ask" &&
        r.n > (cancel?.n ?? 0),
    );
    expect(cancel).toBeDefined();
    expect(exit?.body).toMatchObject({
      ticker: m.ticker,
      side: "ask",
      price: "0.8850",
      count: "500.00",
      time_in_force: "immediate_or_cancel",
      reduce_only: true,
    });
    expect((await simOrders(m.ticker)).find((o) => o.orderId === tp?.orderId)?.status).toBe("canceled");
    const fees = await simFees(m.ticker);
    expect(fees).toBeGreaterThan(ENTRY_FEE); // the exit is a taker too
    const [rt] = await t.trades();
    expect(rt).toMatchObject({
      reason: "stop",
      contracts: SIZE,
      avgEntry: ENTRY,
      avgExit: SHAPE.catcherBid,
      fees,
      pnl: (SHAPE.catcherBid - ENTRY) * SIZE - fees,
    });
  });

  it("leaves a position at the bid once its hold timeout has passed, not a step before", async () => {
    const hold = 20_000;
    const m = await listMarket();
    const t = tradingSim("strategy-timeout", { config: { strategy: { exits: { holdTimeoutMs: hold } } } });
    await t.boot([m.ticker]);
    await qualify(t, m.ticker);
    const opened = await t.position(m.ticker);
    expect(opened?.deadlineMs).toBe((opened?.openedMs ?? 0) + hold);

    await t.step(hold - 2_000);
    await t.alarm(); // 2 s before the deadline: kept
    expect(await t.position(m.ticker)).toMatchObject({ contracts: SIZE, exitMode: "protect" });
    expect(await restingTakeProfits(m.ticker)).toHaveLength(1);

    await t.step(2_000);
    await t.alarm(); // at the deadline: out
    expect(await simPosition(m.ticker)).toBe(0);
    expect(await t.position(m.ticker)).toBeNull();
    expect(await restingTakeProfits(m.ticker)).toEqual([]);
    const exit = (await createsFor(m.ticker)).find(
      (r) => r.req.time_in_force === "immediate_or_cancel" && r.req.side === "ask",
    );
    expect(exit?.req).toMatchObject({ price: "0.8990", count: "500.00", reduce_only: true }); // at the bid
    const [rt] = await t.trades();
    expect(rt).toMatchObject({ reason: "timeout", contracts: SIZE, avgExit: SHAPE.bid });
  });

  it("leaves a held market when its close comes inside the pre-close window, and enters nothing there", async () => {
    const window = 3_600_000; // the default pre-close window
    const m = await listMarket({ closeInMs: window + 30_000 });
    const t = tradingSim("strategy-pre-close");
    await t.boot([m.ticker]);
    await qualify(t, m.ticker);
    expect(await t.position(m.ticker)).toMatchObject({ contracts: SIZE });

    await t.step(30_000); // the market now closes within the window
    await t.alarm();
    expect(await simPosition(m.ticker)).toBe(0);
    const [rt] = await t.trades();
    expect(rt).toMatchObject({ reason: "pre_close", contracts: SIZE });

    await quoteAsk(m.ticker); // the top qualifies again on everything but the time left
    await t.settle();
    expect(await entryCreates(m.ticker)).toHaveLength(1); // the first entry only
    const why = await t.why(m.ticker);
    if (!("criteria" in why)) throw new Error("not explained");
    expect(why.verdict).toBe("skip");
    const failed = why.criteria.filter((c) => !c.pass);
    expect(failed.map((c) => c.name)).toEqual(["pre_close_window"]);
    expect(failed[0]).toMatchObject({
      value: m.closeTimeMs - t.clock.now,
      threshold: window,
    });
  });

  it("a partly filled entry holds what filled, and its take-profit is that size", async () => {
    const m = await listMarket();
    const real = restClientFor(simRestBase(), lazySigner(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY), {
      timeoutMs: 2_000,
    });
    const gate = gatedEntries(real);
    const t = tradingSim("strategy-partial", { overrides: { rest: gate.rest } });
    await t.boot([m.ticker]);
    await quoteBelow(m.ticker);
    await quoteAsk(m.ticker); // the bot decides on 500 at the ask; its create waits at the gate
    for (let i = 0; i < 5 && (await t.inObj(() => gate.waiting())) === 0; i++) await t.barrier();
    expect(await t.inObj(() => gate.waiting())).toBe(1);
    // Before the order arrives, someone else takes 300 of the 500 offered.
    await control.pullLiquidity(m.ticker, "ask", ENTRY);
    await quoteAsk(m.ticker, 20_000);
    await t.inObj(() => gate.open());
    await t.settle();

    const [entry] = await entryCreates(m.ticker);
    expect(entry?.req).toMatchObject({ count: "500.00", time_in_force: "immediate_or_cancel" });
    const order = (await simOrders(m.ticker)).find((o) => o.orderId === entry?.orderId);
    expect(order).toMatchObject({ filled: 20_000, remaining: 0 });
    expect(await simPosition(m.ticker)).toBe(20_000);
    expect(await t.position(m.ticker)).toMatchObject({ contracts: 20_000, takeProfitWorking: 20_000 });
    const tps = await restingTakeProfits(m.ticker);
    expect(tps).toHaveLength(1);
    expect(tps[0]).toMatchObject({ yesPrice: TAKE_PROFIT, remaining: 20_000 });
  });

  it("an exit the exchange refuses is tried again after a pause, not in a loop, and goes through once it is accepted", async () => {
    const m = await listMarket();
    const t = tradingSim("strategy-exit-refused");
    await t.boot([m.ticker]);
    await qualify(t, m.ticker);
    await control.pauseExchange(true); // creates are refused (400 trading_is_paused); cancels go through

    await t.inObj((x) => x.requestExit(m.ticker, "flatten"));
    await t.settle();
    const exits = async () =>
      (await createsFor(m.ticker)).filter(
        (r) => r.req.side === "ask" && r.req.time_in_force === "immediate_or_cancel",
      );
    expect((await exits()).map((r) => [r.status, r.error])).toEqual([[400, "trading_is_paused"]]);
    expect(await restingTakeProfits(m.ticker)).toEqual([]); // cancelled first, as always
    expect(await simPosition(m.ticker)).toBe(SIZE);

    await control.pauseExchange(false);
    await t.step(2_000);
    await t.alarm();
    expect((await exits()).map((r) => r.status)).toEqual([400, 201]);
    expect(await simPosition(m.ticker)).toBe(0);
    expect((await t.trades()).map((r) => r.reason)).toEqual(["flatten"]);
  });

  it("an exit still open after maxAttempts sells raises one critical alert and keeps trying", async () => {
    const m = await listMarket();
    const t = tradingSim("strategy-exit-stuck", { config: { strategy: { exitOrders: { maxAttempts: 2 } } } });
    await t.boot([m.ticker]);
    await qualify(t, m.ticker);
    // The bot's own buy becomes the best bid: each exit sell would trade with it, and Kalshi's
    // self-trade prevention (taker_at_cross) cancels the sell instead. Nothing else bids above.
    const own = await t.inObj((x) =>
      x.submitManual({ ...restingBuy(m.ticker), price: ENTRY, postOnly: false }),
    );
    if (!own.ok) throw new Error(`${own.code}: ${own.message}`);
    await t.settle();
    await t.inObj((x) => x.requestExit(m.ticker, "flatten"));
    await t.settle();
    const exitSells = async () =>
      (await createsFor(m.ticker)).filter(
        (r) => r.req.side === "ask" && r.req.time_in_force === "immediate_or_cancel",
      ).length;
    const stuckAlerts = async () => (await t.history("alerts")).filter((a) => a.kind === "critical_error");
    expect(await exitSells()).toBe(1);
    expect(await stuckAlerts()).toEqual([]); // one empty sell is not yet a stuck exit

    for (let i = 0; i < 10 && (await exitSells()) < 4; i++) {
      await t.step(2_000);
      await t.alarm();
    }
    expect(await exitSells()).toBeGreaterThanOrEqual(4); // it keeps trying past the limit ...
    const alerts = await stuckAlerts(); // ... and said so once, at the second
    expect(alerts).toEqual([
      expect.objectContaining({
        severity: "critical",
        details: expect.objectContaining({ where: `exit ${m.ticker}` }),
      }),
    ]);
    expect(await simPosition(m.ticker)).toBe(SIZE);

    // The own bid goes: the next sell trades.
    await t.inObj((x) => x.orders.cancelAll("test", (o) => o.purpose === "manual"));
    await t.settle();
    for (let i = 0; i < 5 && (await simPosition(m.ticker)) !== 0; i++) {
      await t.step(2_000);
      await t.alarm();
    }
    expect(await simPosition(m.ticker)).toBe(0);
    expect(await stuckAlerts()).toHaveLength(1);
  });
});

/** A resting buy far below the market: adds risk, never fills. */
function restingBuy(ticker: string): Intent {
  return {
    ticker,
    side: "yes",
    action: "buy",
    price: 8_000,
    count: 100,
    purpose: "manual",
    tif: "good_till_canceled",
    postOnly: true,
    reduceOnly: false,
    expirationMs: null,
    positionId: null,
    reason: "test",
  };
}

/** Polls (through I/O, at most `n` reads) until the simulator's order `orderId` has `status`. */
async function untilOrderStatus(orderId: string | null | undefined, status: string, n = 20) {
  let o: Awaited<ReturnType<typeof simOrders>>[number] | undefined;
  for (let i = 0; i < n; i++) {
    o = (await simOrders()).find((x) => x.orderId === orderId);
    if (o?.status === status) break;
  }
  return o;
}

describe("circuit breakers and the trading state", () => {
  it("daily loss: a losing stop halts trading, cancels the working buy, keeps the other position protected, and only resume() lets the bot enter again", async () => {
    const [a, b, c] = [await listMarket(), await listMarket(), await listMarket()];
    // 0.1 % of $10 000 = $10: the two entries' fees and spreads (~$7.30) stay under it, a stop does not.
    const t = tradingSim("strategy-daily-loss", { config: { risk: { breakers: { dailyLossPct: 0.1 } } } });
    await t.boot([a.ticker, b.ticker, c.ticker]);
    await qualify(t, a.ticker);
    await qualify(t, b.ticker);
    await quoteBelow(c.ticker);
    await t.settle();
    const manual = await t.inObj((x) => x.submitManual(restingBuy(c.ticker)));
    if (!manual.ok) throw new Error(`${manual.code}: ${manual.message}`);
    await t.settle();
    const buy = await t.inObj((x) => x.orders.journal.order(manual.intentId));
    expect((await simOrders(c.ticker)).find((o) => o.orderId === buy?.orderId)?.status).toBe("resting");
    expect(await t.tradingState()).toMatchObject({ state: "active" });

    await tradeThroughStop(t, a.ticker);
    await t.job("balance"); // the equity mark after the loss
    await t.settle();

    const [loss] = await t.trades();
    expect(loss).toMatchObject({ ticker: a.ticker, reason: "stop" });
    const trading = await t.tradingState();
    expect(trading.state).toBe("halted");
    expect(trading.reasons).toEqual([
      expect.objectContaining({
        breaker: "daily_loss",
        sets: "halted",
        numbers: expect.objectContaining({ startOfDayEquity: 10_000_000_000, limitPct: 0.1 }),
      }),
    ]);
    const { equity = 0, dailyLossPct = 0 } = trading.reasons[0]?.numbers ?? {};
    expect(equity).toBeLessThanOrEqual(10_000_000_000 - 10_000_000); // $10 down at least
    expect(dailyLossPct).toBeLessThanOrEqual(-0.1);
    expect((await untilOrderStatus(buy?.orderId, "canceled"))?.status).toBe("canceled");
    // The other position keeps its take-profit resting.
    expect(await restingTakeProfits(b.ticker)).toHaveLength(1);
    expect(await t.position(b.ticker)).toMatchObject({ contracts: SIZE, exitMode: "protect" });
    // A qualifying book: no entry.
    await quoteAsk(c.ticker);
    await t.settle();
    expect(await verdict(t, c.ticker)).toBe("enter");
    await t.alarm(); // and the heartbeat does not clear a daily loss
    expect(await entryCreates(c.ticker)).toEqual([expect.objectContaining({ outcome: "accepted" })]); // the manual buy only
    expect((await t.tradingState()).state).toBe("halted");

    await t.inObj((x) => x.resume());
    expect((await t.tradingState()).state).toBe("active");
    await nudge(t, c.ticker);
    expect(await acceptedEntries(c.ticker)).toHaveLength(2);
    expect(await simPosition(c.ticker)).toBe(SIZE);
  });

  it("daily loss counts an exit's proceeds before the next balance read: a take-profit on a position worth more than the limit does not trip it", async () => {
    const m = await listMarket();
    // 1 % of $10 000 = $100, and the position is worth $450: marked without the take-profit's
    // proceeds (the balance read before the exit, the position gone after it) the day looks 4.5 % down.
    const t = tradingSim("strategy-exit-cash", { config: { risk: { breakers: { dailyLossPct: 1 } } } });
    await t.boot([m.ticker]);
    await qualify(t, m.ticker);
    await t.job("balance"); // the balance after the entry
    expect(await t.position(m.ticker)).toMatchObject({ contracts: SIZE });

    await control.tradeThrough(m.ticker, "bid", TAKE_PROFIT);
    await t.settle();
    expect(await t.position(m.ticker)).toBeNull();
    await t.alarm(); // a heartbeat marks the equity before the balance is read again
    expect(await t.tradingState()).toMatchObject({ state: "active", reasons: [] });
    const [trade] = await t.trades();
    expect(trade).toMatchObject({ reason: "take_profit", pnl: (TAKE_PROFIT - ENTRY) * SIZE - ENTRY_FEE });
    const start = 10_000_000_000;
    expect((await t.status()).equity).toBe(start + (trade?.pnl ?? 0));
    // The exchange's balance, read again, agrees to the micro-dollar.
    await t.job("balance");
    expect((await t.status()).equity).toBe(start + (trade?.pnl ?? 0));
    expect((await t.tradingState()).state).toBe("active");
  });

  it("daily loss is not marked from a balance read that raced a fill: the read answered before the take-profit filled reaches the bot after it, and a new read settles it", async () => {
    const m = await listMarket();
    const real = restClientFor(simRestBase(), lazySigner(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY), {
      timeoutMs: 2_000,
    });
    // Balance answers held back on request: the exchange has answered, the bot has not heard yet.
    const held = { hold: null as Promise<void> | null, answered: 0 };
    const rest = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === "getBalance")
          return async () => {
            const r = await target.getBalance();
            held.answered++;
            if (held.hold) await held.hold;
            return r;
          };
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const t = tradingSim("strategy-raced-balance", {
      config: { risk: { breakers: { dailyLossPct: 1 } } },
      overrides: { rest },
    });
    await t.boot([m.ticker]);
    await qualify(t, m.ticker);
    await t.job("balance");
    expect(await t.inObj((a) => a.orders.cash()?.certain)).toBe(true);

    let release = () => {};
    held.hold = new Promise<void>((r) => {
      release = r;
    });
    const answeredBefore = held.answered;
    const reading = t.job("balance");
    for (let i = 0; i < 50 && held.answered === answeredBefore; i++) await t.barrier();
    expect(held.answered).toBe(answeredBefore + 1); // the exchange answered: $450 in the position
    await control.tradeThrough(m.ticker, "bid", TAKE_PROFIT); // ... and then the take-profit filled
    for (let i = 0; i < 6; i++) await t.barrier();
    expect(await t.position(m.ticker)).toBeNull();
    held.hold = null;
    release();
    await reading;

    // That answer holds neither the position nor its proceeds: not a mark to trust.
    expect(await t.inObj((a) => a.orders.cash()?.certain)).toBe(false);
    expect(await t.tradingState()).toMatchObject({ state: "active", reasons: [] });
    // A new read, due at once, settles it.
    await t.step(1_000, 1_000);
    await t.alarm();
    expect(await t.inObj((a) => a.orders.cash()?.certain)).toBe(true);
    const [trade] = await t.trades();
    expect((await t.status()).equity).toBe(10_000_000_000 + (trade?.pnl ?? 0));
    expect((await t.tradingState()).state).toBe("active");
  });

  it("consecutive losses: one losing round trip with a limit of 1 sets reducing: no entries, exits go on, until resume()", async () => {
    const [a, b] = [await listMarket(), await listMarket()];
    const t = tradingSim("strategy-losses", { config: { risk: { breakers: { consecutiveLosses: 1 } } } });
    await t.boot([a.ticker, b.ticker]);
    await qualify(t, a.ticker);
    await qualify(t, b.ticker);
    await tradeThroughStop(t, a.ticker);

    const trading = await t.tradingState();
    expect(trading.state).toBe("reducing");
    expect(trading.reasons).toEqual([
      expect.objectContaining({
        breaker: "consecutive_losses",
        sets: "reducing",
        numbers: expect.objectContaining({ consecutiveLosses: 1, limit: 1 }),
      }),
    ]);
    await quoteBelow(a.ticker); // a qualifying top again in the market just left ...
    await quoteAsk(a.ticker);
    await t.settle();
    expect(await verdict(t, a.ticker)).toBe("enter"); // ... which the strategy would enter
    expect(await acceptedEntries(a.ticker)).toHaveLength(1);
    // Exits go on: the other position's take-profit fills.
    await control.tradeThrough(b.ticker, "bid", TAKE_PROFIT);
    await t.settle();
    expect(await simPosition(b.ticker)).toBe(0);
    expect((await t.trades()).map((r) => [r.ticker, r.reason])).toEqual([
      [b.ticker, "take_profit"],
      [a.ticker, "stop"],
    ]);
    await t.alarm();
    expect((await t.tradingState()).state).toBe("reducing"); // neither a win nor time clears it

    await t.inObj((x) => x.resume());
    await nudge(t, a.ticker);
    expect(await acceptedEntries(a.ticker)).toHaveLength(2);
    expect(await simPosition(a.ticker)).toBe(SIZE);
  });
});

describe("circuit breakers that clear or trip on the exchange's health", () => {
  it("API error rate: failing order creates set reducing, the unanswered entry is never created, and resume() lets the bot enter again", async () => {
    const [a, b] = [await listMarket(), await listMarket()];
    // 4 requests at least, half of them failing, trip it.
    const t = tradingSim("strategy-api-errors", {
      config: { risk: { breakers: { apiErrorRate: { minRequests: 4, threshold: 0.5 } } } },
    });
    await t.boot([a.ticker, b.ticker]);
    await qualify(t, a.ticker); // the entry and the take-profit: 2 answered requests
    expect(await simPosition(a.ticker)).toBe(SIZE);

    await control.addFailure({ kind: "5xx", next: 2, pathPrefix: CREATE_PATH, method: "POST" });
    await qualify(t, b.ticker); // the entry's create gets a 503: its outcome is unknown
    expect(await entryCreates(b.ticker)).toEqual([expect.objectContaining({ outcome: "fault" })]);
    expect((await t.tradingState()).state).toBe("active"); // 1 failure in 3 requests
    await t.step(1_000);
    await t.job("resolve"); // the resend gets the second 503: 2 of 4 failed

    const trading = await t.tradingState();
    expect(trading.state).toBe("reducing");
    expect(trading.reasons).toEqual([
      expect.objectContaining({
        breaker: "api_error_rate",
        sets: "reducing",
        numbers: expect.objectContaining({ errors: 2, requests: 4 }),
      }),
    ]);
    // The exchange answers again, but the entry decided before the trip is not created now: it is
    // looked up, found absent and dropped.
    for (let i = 0; i < 3; i++) {
      await t.step(2_000);
      await t.job("resolve");
    }
    expect((await entryCreates(b.ticker)).filter((r) => r.outcome !== "fault")).toEqual([]);
    expect(await simPosition(b.ticker)).toBe(0);
    expect(await t.inObj((x) => x.orders.workingOrders(b.ticker))).toEqual([]);
    // Exits go on meanwhile.
    expect(await restingTakeProfits(a.ticker)).toHaveLength(1);
    await t.alarm();
    expect((await t.tradingState()).state).toBe("reducing"); // a heartbeat does not clear it

    await t.inObj((x) => x.resume());
    await nudge(t, b.ticker);
    expect(await acceptedEntries(b.ticker)).toHaveLength(1);
    expect(await simPosition(b.ticker)).toBe(SIZE);
  });

  it("feed loss: a feed down past feedLossMs blocks entries, and the breaker clears itself once the books are fresh again", async () => {
    const m = await listMarket();
    // The socket opener the account uses, behind a switch: while `down`, connects fail at once.
    const target = resolveTarget(env);
    if (!target.ok) throw new Error(target.code);
    const real = signedSocketOpener(target.wsUrl, lazySigner(env.KALSHI_KEY_ID, env.KALSHI_PRIVATE_KEY));
    const net = { down: false };
    const openSocket: SocketOpener = () =>
      net.down
        ? Promise.resolve({ ok: false, failure: { kind: "network", message: "network down (test)" } })
        : real();
    const t = tradingSim("strategy-feed-loss", { overrides: { openSocket } });
    await t.boot([m.ticker]);
    await quoteBelow(m.ticker);
    await t.settle();
    const reasons = async () => (await t.tradingState()).reasons.map((r) => r.breaker);
    /** Heartbeats 5 s apart (the account's alarm period) until `done`, at most 10. */
    const beatUntil = async (done: () => Promise<boolean>) => {
      for (let i = 0; i < 10 && !(await done()); i++) {
        await control.step(5_000);
        t.clock.now = await t.simNow();
        await t.alarm();
      }
    };

    net.down = true;
    await control.dropWebSockets();
    await t.alarm(); // the first heartbeat without a feed: the outage starts here
    const downSince = t.clock.now;
    expect((await t.inObj((x) => x.feed.status())).feedLive).toBe(false);
    await beatUntil(async () => (await reasons()).includes("feed_loss"));

    const trading = await t.tradingState();
    expect(trading.state).toBe("active"); // the feed's breaker blocks entries, nothing more
    expect(trading.reasons).toEqual([
      expect.objectContaining({
        breaker: "feed_loss",
        sets: "entries_blocked",
        since: downSince + 15_000, // the first heartbeat at feedLossMs (15 s) without a feed
        numbers: { downMs: 15_000, limitMs: 15_000 },
      }),
    ]);
    expect(await t.inObj((x) => x.entryBlockers(m.ticker).map((c) => c.code))).toContain("feed_loss");

    net.down = false;
    await quoteAsk(m.ticker); // a qualifying top, in the snapshot the reconnect brings
    await beatUntil(async () => !(await reasons()).includes("feed_loss"));
    expect(await reasons()).toEqual([]); // cleared by itself: no resume()
    expect(await entryCreates(m.ticker)).toEqual([]); // nothing went out while it was down
    await t.job("reconcile"); // a new socket: the private channels are reconciled before entries
    expect(await t.inObj((x) => x.entryBlockers(m.ticker))).toEqual([]);
    await nudge(t, m.ticker);
    expect(await acceptedEntries(m.ticker)).toHaveLength(1);
    expect(await simPosition(m.ticker)).toBe(SIZE);
  });
});

describe("why a market is skipped", () => {
  it("names every failed criterion with its value and threshold: a whole-cent favourite with a 1 c spread and a thin bid", async () => {
    const m = await listMarket({ structure: "linear_cent" });
    const t = tradingSim("strategy-why");
    await t.boot([m.ticker]);
    await control.placeLiquidity(m.ticker, "bid", 8_900, 30_000); // 300 contracts: $267 at the bid
    await quoteAsk(m.ticker); // 0.90 x 500
    await t.settle();

    expect(await entryCreates(m.ticker)).toEqual([]);
    const why = await t.why(m.ticker);
    if (!("criteria" in why)) throw new Error("not explained");
    expect(why).toMatchObject({
      verdict: "skip",
      side: "yes",
      prices: { bid: 8_900, ask: 9_000, entry: 9_000, takeProfit: 9_200, stop: 8_900 },
    });
    const failed = Object.fromEntries(
      why.criteria.filter((c) => !c.pass).map((c) => [c.name, { value: c.value, threshold: c.threshold }]),
    );
    expect(Object.keys(failed)).toEqual(["best_bid_depth", "stop_room", "expected_value", "confidence"]);
    expect(failed.best_bid_depth).toEqual({ value: 267_000_000, threshold: 500_000_000 });
    // On a whole-cent grid the -1 point stop sits on the bid: it would fire at once.
    expect(failed.stop_room).toEqual({ value: 8_900, threshold: 8_900 });
    expect(failed.expected_value?.threshold).toBe(0);
    expect(failed.expected_value?.value).toBe(why.ev?.ev);
    expect(why.ev?.ev).toBeLessThan(0);
    expect(failed.confidence?.threshold).toBe(0.5);
    expect(failed.confidence?.value).toBe(why.confidence?.score);
    expect(why.confidence?.components).toMatchObject({ imbalance: 300 / 800, spread: 0, volume: 1 });
    const stop = why.criteria.find((c) => c.name === "stop_room");
    expect(stop?.detail).toBe("bid 0.8900 must be above the stop 0.8900, or the stop fires at once");
  });
});

describe("a halted bot", () => {
  it("places no entry and keeps every position protected: its take-profit rests and a stop still exits", async () => {
    const [a, b] = [await listMarket(), await listMarket()];
    const t = tradingSim("strategy-halted");
    await t.boot([a.ticker, b.ticker]);
    await qualify(t, a.ticker);
    expect(await simPosition(a.ticker)).toBe(SIZE);

    await t.inObj((x) => x.halt("operator"));
    await qualify(t, b.ticker);
    await nudge(t, b.ticker);
    await t.alarm();
    expect(await verdict(t, b.ticker)).toBe("enter");
    expect(await entryCreates(b.ticker)).toEqual([]);
    const [tp] = await restingTakeProfits(a.ticker);
    expect(tp).toMatchObject({ yesPrice: TAKE_PROFIT, remaining: SIZE });

    await tradeThroughStop(t, a.ticker);
    expect(await simPosition(a.ticker)).toBe(0);
    expect((await t.trades()).map((r) => r.reason)).toEqual(["stop"]);
    expect(await entryCreates(b.ticker)).toEqual([]);
    expect((await t.tradingState()).state).toBe("halted");
  });
});

describe("the exchange-side order group", () => {
  it("triggered by fast round trips, it halts entries while the other position's take-profit is placed again outside it, once", async () => {
    const [a, b] = [await listMarket(), await listMarket()];
    // A cap of 1 000 contracts filled per rolling 15 s. Two entries (1 000) reach it; the
    // stop's 500 more, within the same 15 s, pass it.
    const t = tradingSim("strategy-order-group", {
      config: { executor: { orderGroup: { contractsLimit: 100_000 } } },
    });
    await t.boot([a.ticker, b.ticker]);
    await qualify(t, a.ticker);
    await qualify(t, b.ticker);
    const [tpB] = await restingTakeProfits(b.ticker);
    expect(tpB).toBeDefined();

    await control.tradeThrough(a.ticker, "ask", STOP); // the stop fires; its exit triggers the group
    // Not settle(): a keeper that never stops would hang it. The exit is a REST request the
    // barrier does not wait for: read until the exchange shows the trigger, a bounded number of times.
    for (let i = 0; i < 50 && !(await control.orderGroups())[0]?.triggered; i++) await t.barrier();
    const [group] = await control.orderGroups();
    expect(group?.triggered).toBe(true);
    expect(await simPosition(a.ticker)).toBe(0);
    // The exchange cancelled the group's resting orders: B's take-profit among them.
    expect((await simOrders(b.ticker)).find((o) => o.orderId === tpB?.orderId)?.status).toBe("canceled");

    await t.step(2_000); // past any hold on a refused exit
    await t.alarm();
    const trading = await t.tradingState();
    expect(trading.state).toBe("halted");
    expect(trading.reasons[0]?.message).toContain("order group");
    // B is protected again: one take-profit resting, sent without the triggered group.
    const resting = await restingTakeProfits(b.ticker);
    expect(resting).toHaveLength(1);
    expect(resting[0]).toMatchObject({ yesPrice: TAKE_PROFIT, remaining: SIZE });
    const tpCreates = (await createsFor(b.ticker)).filter((r) => r.req.side === "ask");
    const replaced = tpCreates.find((r) => r.orderId === resting[0]?.orderId);
    expect(replaced?.req).not.toHaveProperty("order_group_id");
    // Placed, cancelled by the exchange, placed again: no storm of refused creates.
    expect(tpCreates.length).toBeLessThanOrEqual(3);
  });
});
