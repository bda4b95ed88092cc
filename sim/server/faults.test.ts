/**
 * Each fault the control API can inject, observed from the client's side: dropped and stalled
 * WebSockets, skipped and repeated seq numbers, slow responses, 5xx / 429 / timeouts, and the
 * accepted order whose response is lost. Also inspection and reset.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TestSim } from "./test-support.ts";
import { api, startTestSim, WsClient } from "./test-support.ts";

let t: TestSim;
let a: string;

beforeEach(async () => {
  t = await startTestSim();
  a = (await t.control.state()).markets.find((m) => m.status === "active")?.ticker as string;
});
afterEach(async () => {
  await t.close();
});

async function bookSub(): Promise<WsClient> {
  const c = await WsClient.open(t);
  c.send("subscribe", { channels: ["orderbook_delta"], market_ticker: a });
  await c.drain(); // subscribed + snapshot (seq 1)
  return c;
}

const seqs = (frames: Record<string, unknown>[]) =>
  frames.filter((f) => f.type === "orderbook_delta").map((f) => f.seq);

const order = (cid: string) => ({
  ticker: a,
  side: "bid",
  price: "0.3000",
  count: "1",
  time_in_force: "good_till_canceled",
  self_trade_prevention_type: "taker_at_cross",
  client_order_id: cid,
});

describe("WebSocket faults", () => {
  it("drops every socket without a close handshake", async () => {
    const c = await bookSub();
    expect(await t.control.dropWebSockets()).toBe(1);
    expect(await c.closed).toBe(1006);
  });

  it("skips a seq number once", async () => {
    const c = await bookSub();
    await t.control.skipSeq(1);
    await t.control.placeLiquidity(a, "bid", 4000, 100);
    await t.control.placeLiquidity(a, "bid", 4100, 100);
    expect(seqs(await c.drain())).toEqual([3, 4]);
    c.close();
  });

  it("repeats a seq number once", async () => {
    const c = await bookSub();
    await t.control.repeatSeq(1);
    await t.control.placeLiquidity(a, "bid", 4000, 100);
    await t.control.placeLiquidity(a, "bid", 4100, 100);
    expect(seqs(await c.drain())).toEqual([2, 2, 3]);
    c.close();
  });

  it("stalls the feed without closing, and resumes with a gap", async () => {
    const c = await bookSub();
    await t.control.stallFeed(true);
    await t.control.placeLiquidity(a, "bid", 4000, 100); // seq 2, never sent
    expect((await t.control.state()).ws_connections).toBe(1);
    await t.control.stallFeed(false);
    await t.control.placeLiquidity(a, "bid", 4100, 100);
    expect(seqs(await c.drain())).toEqual([3]);
    c.close();
  });
});

describe("REST faults", () => {
  it("slows responses down", async () => {
    await t.control.slowResponses(400);
    const err = await api(t, "GET", "/exchange/status", undefined, { signal: AbortSignal.timeout(50) }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe("TimeoutError");
    await t.control.slowResponses(0);
    expect((await api(t, "GET", "/exchange/status")).status).toBe(200);
  });

  it("answers the next requests with 5xx, then 429, then recovers", async () => {
    await t.control.addFailure({ kind: "5xx", next: 1, status: 502 });
    await t.control.addFailure({ kind: "429", next: 1 });
    const r1 = await api(t, "GET", "/portfolio/balance");
    expect(r1.status).toBe(502);
    expect(r1.body).toMatchObject({ error: { code: "service_unavailable" } });
    const r2 = await api(t, "GET", "/portfolio/balance");
    expect(r2.status).toBe(429);
    expect(r2.body).toEqual({ error: "too many requests" });
    expect((await api(t, "GET", "/portfolio/balance")).status).toBe(200);
  });

  it("answers a share of requests with failures, deterministically per seed", async () => {
    await t.control.addFailure({ kind: "5xx", share: 0.5, pathPrefix: "/exchange/" });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await api(t, "GET", "/exchange/status")).status);
    const failed = statuses.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(2);
    expect(failed).toBeLessThan(18);
    expect((await api(t, "GET", "/portfolio/balance")).status).toBe(200); // other paths untouched
  });

  it("times a request out by never answering", async () => {
    await t.control.addFailure({ kind: "timeout", next: 1 });
    const err = await api(t, "GET", "/portfolio/balance", undefined, {
      signal: AbortSignal.timeout(50),
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe("TimeoutError");
  });

  it("accepts an order but drops the connection, so only reconciliation can tell", async () => {
    await t.control.loseResponses(1, "drop");
    const err = await api(t, "POST", "/portfolio/events/orders", order("lost-1")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const list = (await api(t, "GET", `/portfolio/orders?ticker=${a}`)).body as {
      orders: { client_order_id: string; status: string }[];
    };
    expect(list.orders).toEqual([expect.objectContaining({ client_order_id: "lost-1", status: "resting" })]);
    // the retry with the same client_order_id is refused as a duplicate
    const retry = await api(t, "POST", "/portfolio/events/orders", order("lost-1"));
    expect(retry.status).toBe(409);
    const received = await t.control.ordersReceived();
    expect(received.map((r) => [r.clientOrderId, r.outcome, r.status])).toEqual([
      ["lost-1", "lost", 201],
      ["lost-1", "rejected", 409],
    ]);
    expect((await t.control.counters()).responses_lost).toBe(1);
  });

  it("accepts an order but never answers in timeout mode", async () => {
    await t.control.loseResponses(1, "timeout");
    const err = await api(t, "POST", "/portfolio/events/orders", order("lost-2"), {
      signal: AbortSignal.timeout(50),
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe("TimeoutError");
    expect((await t.control.orders()).map((o) => o.client_order_id)).toEqual(["lost-2"]);
  });
});

describe("control", () => {
  it("steps the clock only in stepped mode and moves exchange time", async () => {
    expect(await t.control.step(1500)).toBe((await t.control.state()).now_ms);
    const r = await api(t, "POST", "/portfolio/events/orders", order("c-1"));
    expect((r.body as { ts_ms: number }).ts_ms).toBe((await t.control.state()).now_ms);
  });

  it("pauses exchange trading: creates refused, status says trading_active false", async () => {
    await t.control.pauseExchange(true);
    expect((await api(t, "GET", "/exchange/status")).body).toMatchObject({ trading_active: false });
    const r = await api(t, "POST", "/portfolio/events/orders", order("p-1"));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: "trading_is_paused" } });
  });

  it("settles a market and pays the winner", async () => {
    await t.control.placeLiquidity(a, "ask", 4000, 100);
    const buy = { ...order("s-1"), price: "0.4000", time_in_force: "immediate_or_cancel" };
    expect((await api(t, "POST", "/portfolio/events/orders", buy)).body).toMatchObject({
      fill_count: "1.00",
    });
    await t.control.settleMarket(a);
    const s = (await api(t, "GET", "/portfolio/settlements")).body as {
      settlements: Record<string, unknown>[];
    };
    expect(s.settlements).toHaveLength(1);
    expect(Number.isInteger(s.settlements[0]?.revenue)).toBe(true);
    expect((await api(t, "GET", `/markets/${a}`)).body).toMatchObject({ market: { status: "finalized" } });
  });

  it("resets exchange state, faults and inspection", async () => {
    await api(t, "POST", "/portfolio/events/orders", order("r-1"));
    await t.control.skipSeq(3);
    await t.control.reset();
    expect(await t.control.ordersReceived()).toEqual([]);
    expect((await api(t, "GET", "/portfolio/orders")).body).toEqual({ orders: [], cursor: "" });
    expect((await t.control.call<{ faults: { skipSeq: number } }>("GET", "/state")).faults.skipSeq).toBe(0);
  });
});
