/**
 * REST conformance: every method of the bot's `KalshiRestClient`, signed by a real
 * `KalshiSigner`, against the simulator. Each call must parse through the client's zod
 * schemas (`ok: true`), and the converted domain values (integer units) must agree with the
 * simulator's own state as the control API reports it.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  toBalance,
  toCreateOrderResult,
  toFill,
  toMarketInfo,
  toOrderbookLevels,
  toOrderInfo,
  toPosition,
  toSeriesFees,
  toSettlement,
} from "../../shared/kalshi/rest-schemas.ts";
import { isOnGrid } from "../../shared/kalshi/tick-grid.ts";
import { notional, parseCount, parseMoney, parseSignedCount } from "../../shared/kalshi/units.ts";
import type { Conformance } from "./harness.ts";
import { must, orderBody, startConformance, T0 } from "./harness.ts";

let c: Conformance;
/** linear_cent, shard 0, series KXHIGHNY (quadratic: takers pay, makers do not). */
let A: string;
/** deci_cent, shard 2, series KXBTCD (quadratic_with_maker_fees). */
let B: string;

beforeEach(async () => {
  c = await startConformance();
  const markets = (await c.control.state()).markets;
  A = markets.find((m) => m.ticker.startsWith("KXHIGHNY-"))?.ticker as string;
  B = markets.find((m) => m.ticker.startsWith("KXBTCD-"))?.ticker as string;
});
afterEach(async () => {
  await c.close();
});

function conv<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

async function simBalance(): Promise<number> {
  const b = (await c.control.balances()).find((x) => x.user !== "");
  return parseMoney(b?.balance_dollars);
}

async function simOrder(orderId: string): Promise<Record<string, unknown>> {
  const o = (await c.control.orders()).find((x) => x.order_id === orderId);
  if (!o) throw new Error(`order ${orderId} not in the simulator`);
  return o;
}

describe("market data", () => {
  it("follows the markets cursor to the end with a small page size and matches the simulator's list", async () => {
    const markets = must(await c.client.listMarkets({ limit: 3 }));
    const st = await c.control.state();
    expect(markets.map((m) => m.ticker)).toEqual(st.markets.map((m) => m.ticker));
    expect(markets.map((m) => m.status)).toEqual(st.markets.map((m) => m.status));
    // 8 markets at 3 a page: 3 pages, the last with an empty cursor
    expect((await c.control.counters())["rest GET /markets"]).toBe(3);
    for (const m of markets) {
      const info = conv(toMarketInfo(m));
      expect(info.openTimeMs).toBeLessThanOrEqual(T0);
      expect(info.closeTimeMs).toBeGreaterThan(T0);
      // every whole cent is on every Kalshi grid
      expect(isOnGrid(info.grid, 4500)).toBe(true);
    }
  });

  it("filters markets by status and tickers", async () => {
    expect(must(await c.client.listMarkets({ tickers: [A, B] })).map((m) => m.ticker)).toEqual([A, B]);
    const open = must(await c.client.listMarkets({ status: "open" }));
    expect(open.every((m) => m.status === "active")).toBe(true);
  });

  it("reads one market, its orderbook and several orderbooks as integer levels", async () => {
    await c.control.placeLiquidity(A, "bid", 4000, 1000);
    await c.control.placeLiquidity(A, "bid", 3900, 250);
    await c.control.placeLiquidity(A, "ask", 4500, 500); // a NO bid at 0.55
    await c.control.placeLiquidity(B, "bid", 1230, 100);

    const info = conv(toMarketInfo(must(await c.client.getMarket(A))));
    expect([info.yesBid, info.yesAsk, info.noBid, info.noAsk]).toEqual([4000, 4500, 5500, 6000]);
    expect(info.priceLevelStructure).toBe("linear_cent");

    const book = conv(toOrderbookLevels(must(await c.client.getOrderbook(A))));
    expect(book).toEqual({
      yesBids: [
        [4000, 1000],
        [3900, 250],
      ],
      noBids: [[5500, 500]],
    });
    const top = conv(toOrderbookLevels(must(await c.client.getOrderbook(A, 1))));
    expect(top.yesBids).toEqual([[4000, 1000]]);

    const many = must(await c.client.getOrderbooks([A, B]));
    expect(many.map((x) => x.ticker)).toEqual([A, B]);
    expect(conv(toOrderbookLevels((many[1] as (typeof many)[number]).orderbook_fp))).toEqual({
      yesBids: [[1230, 100]],
      noBids: [],
    });
  });

  it("reads a series' fee type and multiplier as the simulator publishes them", async () => {
    const fees = toSeriesFees(must(await c.client.getSeries("KXHIGHNY")));
    expect(fees).toEqual({ ticker: "KXHIGHNY", feeType: "quadratic", feeMultiplier: 1 });
    const raw = (await (await fetch(`${c.sim.apiUrl}/series`)).json()) as {
      series: { ticker: string; fee_type: string; fee_multiplier: number }[];
    };
    for (const s of raw.series) {
      expect(toSeriesFees(must(await c.client.getSeries(s.ticker)))).toEqual({
        ticker: s.ticker,
        feeType: s.fee_type,
        feeMultiplier: s.fee_multiplier,
      });
    }
  });
});

describe("orders", () => {
  it("creates a resting order and reads it back by id and in the order list", async () => {
    const body = orderBody(A, "bid", "0.4200", "10.00", { post_only: true });
    const created = await c.client.createOrder(body, "open");
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const res = conv(toCreateOrderResult(created.value));
    expect(res).toMatchObject({
      clientOrderId: body.client_order_id,
      fillCount: 0,
      remainingCount: 1000,
      averageFillPrice: null,
      tsMs: T0,
    });

    const order = conv(toOrderInfo(must(await c.client.getOrder(res.orderId))));
    expect(order).toMatchObject({
      orderId: res.orderId,
      clientOrderId: body.client_order_id,
      ticker: A,
      outcomeSide: "yes",
      bookSide: "bid",
      status: "resting",
      yesPrice: 4200,
      fillCount: 0,
      remainingCount: 1000,
      initialCount: 1000,
      fees: 0,
      exchangeIndex: 0,
    });
    const sim = await simOrder(res.orderId);
    expect(sim.status).toBe("resting");
    expect(parseCount(sim.remaining_count_fp)).toBe(order.remainingCount);
  });

  it("lists orders across pages with a small limit, newest first, matching the simulator", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      await c.control.step(1000); // distinct created times; refills the write bucket too
      const r = await c.client.createOrder(orderBody(A, "bid", `0.${30 + i}00`, "1.00"), "open");
      ids.push(must(r).order_id);
    }
    const listed = must(await c.client.listOrders({ ticker: A, limit: 2 }));
    expect(listed.map((o) => o.order_id)).toEqual([...ids].reverse());
    expect((await c.control.counters())["rest GET /portfolio/orders"]).toBe(3);
    const simIds = (await c.control.orders()).map((o) => o.order_id).sort();
    expect(listed.map((o) => o.order_id).sort()).toEqual(simIds);
    expect(must(await c.client.listOrders({ status: "resting" }))).toHaveLength(5);
    expect(must(await c.client.listOrders({ status: "canceled" }))).toHaveLength(0);
  });

  it("amends, decreases (to and by) and cancels an order, each visible in the simulator", async () => {
    const body = orderBody(A, "bid", "0.4000", "10.00");
    const id = must(await c.client.createOrder(body, "open")).order_id;

    const amended = must(
      await c.client.amendOrder(
        id,
        { ticker: A, side: "bid", price: "0.4100", count: "8.00", client_order_id: body.client_order_id },
        "open",
      ),
    );
    expect(amended.order_id).toBe(id);
    let sim = await simOrder(id);
    expect([sim.yes_price_dollars, sim.remaining_count_fp]).toEqual(["0.4100", "8.00"]);

    const to = must(await c.client.decreaseOrder(id, { reduce_to: "6.00" }));
    expect(parseCount(to.remaining_count)).toBe(600);
    const by = must(await c.client.decreaseOrder(id, { reduce_by: "1.50" }));
    expect(parseCount(by.remaining_count)).toBe(450);
    sim = await simOrder(id);
    expect(sim.remaining_count_fp).toBe("4.50");
    // the simulator sends last_update_reason and the bot's Order schema keeps it
    expect(conv(toOrderInfo(must(await c.client.getOrder(id)))).lastUpdateReason).toBe("Decrease");

    const cancelled = must(await c.client.cancelOrder(id, { exchange_index: 0 }));
    expect(cancelled).toMatchObject({ order_id: id, client_order_id: body.client_order_id, ts_ms: T0 });
    expect(parseCount(cancelled.reduced_by)).toBe(450);
    sim = await simOrder(id);
    expect(sim.status).toBe("canceled");
    expect(conv(toOrderInfo(must(await c.client.getOrder(id)))).status).toBe("canceled");
  });

  it("batch-creates with a per-item error and batch-cancels, billed and applied per order", async () => {
    const good1 = orderBody(A, "bid", "0.2000", "1.00");
    const good2 = orderBody(B, "ask", "0.8010", "2.00");
    const offGrid = orderBody(A, "bid", "0.2050", "1.00"); // A is linear_cent
    const batch = must(await c.client.batchCreateOrders([good1, good2, offGrid], "open"));
    expect(batch.orders).toHaveLength(3);
    const [r1, r2, r3] = batch.orders;
    expect(r1?.client_order_id).toBe(good1.client_order_id);
    expect(r2?.client_order_id).toBe(good2.client_order_id);
    expect(r3?.error?.code).toBe("invalid_price");
    expect(r3?.order_id ?? null).toBeNull();
    expect((await c.control.orders()).filter((o) => o.status === "resting")).toHaveLength(2);

    await c.control.step(1000);
    const ids = [r1?.order_id, r2?.order_id].filter((x): x is string => typeof x === "string");
    const cancelled = must(
      await c.client.batchCancelOrders([
        { order_id: ids[0] as string, exchange_index: 0 },
        { order_id: ids[1] as string, market_ticker: B },
        { order_id: "no-such-order" },
      ]),
    );
    expect(cancelled.orders.map((o) => [o.order_id, o.reduced_by, o.error?.code ?? null])).toEqual([
      [ids[0], "1.00", null],
      [ids[1], "2.00", null],
      ["no-such-order", "0.00", "not_found"],
    ]);
    expect((await c.control.orders()).every((o) => o.status === "canceled")).toBe(true);
  });

  it("cancels every resting order with cancel-all", async () => {
    for (const [t, p] of [
      [A, "0.1000"],
      [A, "0.1100"],
      [B, "0.1010"],
    ] as const) {
      must(await c.client.createOrder(orderBody(t, "bid", p, "1.00"), "open"));
    }
    const r = await c.client.cancelAllOrders();
    expect(r.ok).toBe(true);
    const orders = await c.control.orders();
    expect(orders).toHaveLength(3);
    expect(orders.every((o) => o.status === "canceled")).toBe(true);
    expect(must(await c.client.listOrders({ status: "resting" }))).toEqual([]);
  });
});

describe("fills, positions, balance and settlements", () => {
  it("a taker buy fills against house liquidity: fill count, fee, YES position and balance change agree", async () => {
    const before = conv(toBalance(must(await c.client.getBalance())));
    expect(before.balance).toBe(await simBalance());

    await c.control.placeLiquidity(A, "ask", 4500, 1000);
    const body = orderBody(A, "bid", "0.4500", "4.00", { time_in_force: "immediate_or_cancel" });
    const res = conv(toCreateOrderResult(must(await c.client.createOrder(body, "open"))));
    expect(res.fillCount).toBe(400);
    expect(res.remainingCount).toBe(0);
    expect(res.averageFillPrice).toBe(450_000); // $0.45 in micro-dollars per contract

    // quadratic taker fee: 0.07 x 4 x 0.45 x 0.55 = $0.0693 (already on the $0.0001 grid)
    const TAKER_FEE = 69_300;
    const fills = must(await c.client.listFills({ order_id: res.orderId })).map((f) => conv(toFill(f)));
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({
      orderId: res.orderId,
      ticker: A,
      outcomeSide: "yes",
      bookSide: "bid",
      count: 400,
      yesPrice: 4500,
      noPrice: 5500,
      isTaker: true,
      fee: TAKER_FEE,
      createdTimeMs: T0,
    });
    const simFills = await c.control.fills();
    expect(simFills.map((f) => [f.fill_id, parseMoney(f.fee_cost)])).toEqual([[fills[0]?.fillId, TAKER_FEE]]);

    const order = conv(toOrderInfo(must(await c.client.getOrder(res.orderId))));
    expect([order.status, order.fillCount, order.fees]).toEqual(["executed", 400, TAKER_FEE]);

    const pos = must(await c.client.getPositions());
    const mine = pos.market_positions.map((p) => conv(toPosition(p)));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ ticker: A, position: 400, feesPaid: TAKER_FEE, exchangeIndex: 0 });
    const simPos = await c.control.positions();
    expect(simPos.map((p) => [p.ticker, parseSignedCount(p.position_fp)])).toEqual([[A, 400]]);
    expect(pos.event_positions.map((e) => e.event_ticker)).toEqual([A.replace(/-T\d+$/, "")]);

    const after = conv(toBalance(must(await c.client.getBalance())));
    expect(before.balance - after.balance).toBe(notional(4500, 400) + TAKER_FEE);
    expect(after.balance).toBe(await simBalance());
  });

  it("buying NO (a YES ask) leaves a negative position", async () => {
    await c.control.placeLiquidity(B, "bid", 6000, 500); // someone bids YES at 0.60
    const body = orderBody(B, "ask", "0.6000", "2.50", { time_in_force: "fill_or_kill" });
    const res = conv(toCreateOrderResult(must(await c.client.createOrder(body, "open"))));
    expect(res.fillCount).toBe(250);
    const pos = must(await c.client.getPositions({ ticker: B })).market_positions.map((p) =>
      conv(toPosition(p)),
    );
    expect(pos.map((p) => [p.ticker, p.position])).toEqual([[B, -250]]);
    const fills = must(await c.client.listFills({ ticker: B })).map((f) => conv(toFill(f)));
    expect(fills.map((f) => [f.outcomeSide, f.bookSide, f.count, f.yesPrice, f.noPrice])).toEqual([
      ["no", "ask", 250, 6000, 4000],
    ]);
    const simFee = parseMoney((await c.control.fills())[0]?.fee_cost);
    expect(fills[0]?.fee).toBe(simFee);
  });

  it("settles a determined market: the settlement record and the balance credit agree", async () => {
    await c.control.placeLiquidity(A, "ask", 3000, 1000);
    must(
      await c.client.createOrder(
        orderBody(A, "bid", "0.3000", "5.00", { time_in_force: "immediate_or_cancel" }),
        "open",
      ),
    );
    const before = conv(toBalance(must(await c.client.getBalance())));

    await c.control.determineMarket(A, "yes");
    await c.control.settleMarket(A);

    const settlements = must(await c.client.listSettlements()).map((s) => conv(toSettlement(s)));
    expect(settlements).toHaveLength(1);
    expect(settlements[0]).toMatchObject({
      ticker: A,
      eventTicker: A.replace(/-T\d+$/, ""),
      result: "yes",
      yesCount: 500,
      noCount: 0,
      yesCost: notional(3000, 500),
      revenue: 5_000_000, // 5 contracts x $1, sent as 500 cents
      fee: 0,
    });
    const after = conv(toBalance(must(await c.client.getBalance())));
    expect(after.balance - before.balance).toBe(5_000_000);
    expect(after.balance).toBe(await simBalance());
    // only unsettled positions are listed
    const open = must(await c.client.getPositions()).market_positions.map((p) => conv(toPosition(p)));
    expect(open.filter((p) => p.ticker === A)).toEqual([]);
    expect(conv(toMarketInfo(must(await c.client.getMarket(A)))).status).toBe("finalized");
  });
});

describe("exchange and account", () => {
  it("reads exchange status (and a trading pause) and the schedule", async () => {
    const st = must(await c.client.getExchangeStatus());
    expect([st.exchange_active, st.trading_active]).toEqual([true, true]);
    await c.control.pauseExchange(true);
    expect(must(await c.client.getExchangeStatus()).trading_active).toBe(false);
    const sched = must(await c.client.getExchangeSchedule());
    expect(sched.schedule.standard_hours.length).toBeGreaterThan(0);
    expect(sched.schedule.standard_hours[0]?.monday[0]).toEqual({ open_time: "00:00", close_time: "23:59" });
    expect(sched.schedule.maintenance_windows).toEqual([]);
  });

  it("reads the account limits and endpoint costs and sizes the limiter from them", async () => {
    const limits = must(await c.client.getAccountLimits());
    expect(limits).toMatchObject({
      usage_tier: "basic",
      read: { refill_rate: 200, bucket_capacity: 400 },
      write: { refill_rate: 100, bucket_capacity: 100 },
    });
    const costs = must(await c.client.getEndpointCosts());
    expect(costs.default_cost).toBe(10);

    const applied = await c.client.configureLimiter();
    expect(applied).toEqual({ limits: true, costs: true, failures: [] });
    expect([c.limiter.capacity("read"), c.limiter.capacity("write")]).toEqual([400, 100]);
    for (const e of costs.endpoint_costs) {
      const concrete = e.path.replace(/\{[^}]+\}/g, "ord-1");
      expect(c.limiter.costOf(e.method, concrete, 1), `${e.method} ${e.path}`).toBe(e.cost);
    }
    expect(c.limiter.costOf("GET", "/markets")).toBe(10);
  });
});
