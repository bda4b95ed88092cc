/**
 * Conformance of the order flags the bot sends, through its own REST client: `post_only`,
 * `expiration_time`, `reduce_only`, `cancel_order_on_pause`, and the pauses they interact with
 * (an exchange-wide trading pause with `GET /exchange/status`, a market deactivated and
 * reactivated), plus `GET /exchange/user_data_timestamp`. Each answer must parse through the
 * client's schemas and say what Kalshi documents.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toOrderInfo, toPosition } from "../../shared/kalshi/rest-schemas.ts";
import type { Conformance } from "./harness.ts";
import { must, orderBody, startConformance, T0 } from "./harness.ts";

let c: Conformance;
/** linear_cent, shard 0. */
let A: string;

beforeEach(async () => {
  c = await startConformance();
  A = (await c.control.state()).markets.find((m) => m.ticker.startsWith("KXHIGHNY-"))?.ticker as string;
});
afterEach(async () => {
  await c.close();
});

async function orderInfo(id: string) {
  const r = toOrderInfo(must(await c.client.getOrder(id)));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe("order flags", () => {
  it("refuses a crossing post-only order with Kalshi's invalid_order / post only cross, leaving the book alone", async () => {
    await c.control.placeLiquidity(A, "ask", 4500, 500);
    const r = await c.client.createOrder(orderBody(A, "bid", "0.4500", "1.00", { post_only: true }), "open");
    expect(r).toMatchObject({
      ok: false,
      outcome: "rejected",
      failure: { status: 400, code: "invalid_order" },
    });
    if (r.ok) return;
    expect(r.failure.message).toContain("post only cross");
    expect(must(await c.client.getOrderbook(A)).yes_dollars).toEqual([]);
    const rests = must(
      await c.client.createOrder(orderBody(A, "bid", "0.4400", "1.00", { post_only: true }), "open"),
    );
    expect((await orderInfo(rests.order_id)).status).toBe("resting");
  });

  it("expires a good-till-time order at expiration_time with ExpiryCancel, and refuses IOC or past expirations with Kalshi's messages", async () => {
    const exp = Math.floor(T0 / 1000) + 30;
    const gtt = must(
      await c.client.createOrder(orderBody(A, "bid", "0.3000", "1.00", { expiration_time: exp }), "open"),
    );
    await c.control.step(29_000);
    expect((await orderInfo(gtt.order_id)).status).toBe("resting");
    await c.control.step(1_000);
    expect(await orderInfo(gtt.order_id)).toMatchObject({
      status: "canceled",
      lastUpdateReason: "ExpiryCancel",
    });

    const ioc = await c.client.createOrder(
      orderBody(A, "bid", "0.3000", "1.00", {
        time_in_force: "immediate_or_cancel",
        expiration_time: exp + 60,
      }),
      "open",
    );
    expect(ioc).toMatchObject({ ok: false, outcome: "rejected", failure: { status: 400 } });
    if (!ioc.ok)
      expect(ioc.failure.message).toContain("Cannot specify both immediate_or_cancel and expiration_ts");
    const past = await c.client.createOrder(
      orderBody(A, "bid", "0.3000", "1.00", { expiration_time: exp }),
      "open",
    );
    if (!past.ok) expect(past.failure.message).toContain("Expiration timestamp must be in the future");
    expect(past.ok).toBe(false);
  });

  it("caps a reduce-only exit at the position so it never flips it, and refuses reduce_only on a resting order", async () => {
    await c.control.placeLiquidity(A, "ask", 4000, 300);
    must(
      await c.client.createOrder(
        orderBody(A, "bid", "0.4000", "3.00", { time_in_force: "immediate_or_cancel" }),
        "open",
      ),
    );
    await c.control.placeLiquidity(A, "bid", 3900, 1000);
    const exit = must(
      await c.client.createOrder(
        orderBody(A, "ask", "0.3900", "5.00", { reduce_only: true, time_in_force: "immediate_or_cancel" }),
        "reduce",
      ),
    );
    expect([exit.fill_count, exit.remaining_count]).toEqual(["3.00", "0.00"]);
    expect(await orderInfo(exit.order_id)).toMatchObject({ initialCount: 500, fillCount: 300 });
    const pos = must(await c.client.getPositions({ ticker: A })).market_positions.map((p) => toPosition(p));
    expect(pos.map((p) => p.ok && p.value.position)).toEqual([0]);

    const gtc = await c.client.createOrder(
      orderBody(A, "ask", "0.3900", "1.00", { reduce_only: true }),
      "reduce",
    );
    expect(gtc).toMatchObject({
      ok: false,
      outcome: "rejected",
      failure: { status: 400, code: "invalid_order" },
    });
  });
});

describe("pauses", () => {
  it("an exchange pause sets trading_active false, cancels only cancel_order_on_pause orders (HaltCancel), refuses creates, allows cancels", async () => {
    const keep = must(await c.client.createOrder(orderBody(A, "bid", "0.3000", "1.00"), "open"));
    const pulled = must(
      await c.client.createOrder(
        orderBody(A, "bid", "0.3100", "1.00", { cancel_order_on_pause: true }),
        "open",
      ),
    );
    await c.control.pauseExchange(true);
    expect(must(await c.client.getExchangeStatus())).toMatchObject({
      exchange_active: true,
      trading_active: false,
    });
    expect(await orderInfo(pulled.order_id)).toMatchObject({
      status: "canceled",
      lastUpdateReason: "HaltCancel",
    });
    expect((await orderInfo(keep.order_id)).status).toBe("resting");
    const refused = await c.client.createOrder(orderBody(A, "bid", "0.3000", "1.00"), "open");
    expect(refused).toMatchObject({ ok: false, outcome: "rejected", failure: { code: "trading_is_paused" } });
    expect((await c.client.cancelOrder(keep.order_id, { exchange_index: 0 })).ok).toBe(true);

    await c.control.pauseExchange(false);
    expect(must(await c.client.getExchangeStatus()).trading_active).toBe(true);
    expect((await c.client.createOrder(orderBody(A, "bid", "0.3000", "1.00"), "open")).ok).toBe(true);
  });

  it("deactivating a market cancels cancel_order_on_pause orders; reactivating it cancels every resting order", async () => {
    const keep = must(await c.client.createOrder(orderBody(A, "bid", "0.3000", "1.00"), "open"));
    const pulled = must(
      await c.client.createOrder(
        orderBody(A, "bid", "0.3100", "1.00", { cancel_order_on_pause: true }),
        "open",
      ),
    );
    await c.control.pauseMarket(A, true);
    expect((await orderInfo(pulled.order_id)).status).toBe("canceled");
    expect((await orderInfo(keep.order_id)).status).toBe("resting");
    await c.control.pauseMarket(A, false);
    expect((await orderInfo(keep.order_id)).status).toBe("canceled");
    expect(must(await c.client.listOrders({ ticker: A, status: "resting" }))).toEqual([]);
  });

  it("serves user_data_timestamp as the exchange's current time: the REST portfolio view is never behind", async () => {
    expect(must(await c.client.getUserDataTimestamp())).toBe(Math.floor(T0 / 1000) * 1000);
    await c.control.step(5_000);
    expect(must(await c.client.getUserDataTimestamp())).toBe(Math.floor(T0 / 1000) * 1000 + 5_000);
  });
});
