import { describe, expect, it } from "vitest";
import { C, code, gtc, harness, ok, START_MS, T, USD } from "./test-helpers.ts";

describe("matching", () => {
  it("fills the best price first, then the oldest order at a level, at the maker's price", () => {
    const { ex } = harness();
    const bob = ok(ex.createOrder("bob", gtc("ask", 5500, 5))).order;
    const carol = ok(ex.createOrder("carol", gtc("ask", 5500, 5))).order;
    ok(ex.createOrder("dave", gtc("ask", 5400, 3)));
    const out = ok(ex.createOrder("alice", gtc("bid", 5600, 10)));
    expect(out.fills.map((f) => [f.yesPrice, f.count])).toEqual([
      [5400, 3 * C],
      [5500, 5 * C],
      [5500, 2 * C],
    ]);
    expect(out.order.status).toBe("executed");
    expect(ex.order("bob", bob.orderId)?.status).toBe("executed");
    expect(ex.order("carol", carol.orderId)?.remainingCount).toBe(3 * C);
    // an ask at YES 0.55 rests as a NO bid at 0.45
    expect(ex.book(T)).toEqual({ yesBids: [], noBids: [[4500, 3 * C]] });
  });

  it("charges the taker cost plus a fee per fill rounded up to $0.0001", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5500, 7)));
    ok(ex.createOrder("dave", gtc("ask", 5400, 3)));
    const out = ok(ex.createOrder("alice", gtc("bid", 5600, 10)));
    // 3 @ 0.54: fee 0.052164 -> 0.0522; 7 @ 0.55: 0.121275 -> 0.1213
    expect(out.fills.map((f) => f.fee)).toEqual([52_200, 121_300]);
    expect(ex.balance("alice")).toBe(1_000 * USD - (3 * 540_000 + 7 * 550_000) - 52_200 - 121_300);
    // bob sold YES = bought NO at 0.45 as a maker on a taker-only series: no fee
    expect(ex.balance("bob")).toBe(1_000 * USD - 7 * 450_000);
    expect(ex.positions("bob")[0]?.position).toBe(-7 * C);
    expect(ex.positions("alice")[0]?.position).toBe(10 * C);
  });

  it("rests the unfilled part of a partially filled GTC order", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5500, 4)));
    const out = ok(ex.createOrder("alice", gtc("bid", 5500, 10)));
    expect(out.order).toMatchObject({ status: "resting", fillCount: 4 * C, remainingCount: 6 * C });
    expect(ex.book(T)).toEqual({ yesBids: [[5500, 6 * C]], noBids: [] });
  });

  it("holds cost plus maximum fee for a resting buy and releases it on cancel", () => {
    const { ex } = harness();
    const o = ok(ex.createOrder("alice", gtc("bid", 4000, 10))).order;
    // 10 x 0.40 + taker fee at 0.40 (0.07 x 10 x 0.24 = 0.168)
    expect(ex.availableBalance("alice")).toBe(1_000 * USD - 4 * USD - 168_000);
    expect(ex.balance("alice")).toBe(1_000 * USD);
    ok(ex.cancelOrder("alice", o.orderId));
    expect(ex.availableBalance("alice")).toBe(1_000 * USD);
  });
});

describe("time in force", () => {
  it("kills a fill-or-kill order that cannot fill completely, leaving the book alone", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5500, 4)));
    const killed = ok(ex.createOrder("alice", gtc("bid", 5500, 5, { timeInForce: "fill_or_kill" })));
    expect(killed.fills).toEqual([]);
    expect(killed.order).toMatchObject({ status: "canceled", fillCount: 0, remainingCount: 0 });
    expect(ex.book(T)?.noBids).toEqual([[4500, 4 * C]]);
    const filled = ok(ex.createOrder("alice", gtc("bid", 5500, 4, { timeInForce: "fill_or_kill" })));
    expect(filled.order.status).toBe("executed");
  });

  it("cancels the remainder of an immediate-or-cancel order", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5500, 4)));
    const out = ok(ex.createOrder("alice", gtc("bid", 5600, 10, { timeInForce: "immediate_or_cancel" })));
    expect(out.order).toMatchObject({ status: "canceled", fillCount: 4 * C, remainingCount: 0 });
    expect(ex.book(T)).toEqual({ yesBids: [], noBids: [] });
  });

  it("expires a good-till-time order at its expiration with ExpiryCancel", () => {
    const { ex, events } = harness();
    const exp = START_MS / 1000 + 60;
    const o = ok(ex.createOrder("alice", gtc("bid", 4000, 1, { expirationTimeSec: exp }))).order;
    ex.step(59_000);
    expect(ex.order("alice", o.orderId)?.status).toBe("resting");
    ex.step(1_000);
    expect(ex.order("alice", o.orderId)).toMatchObject({
      status: "canceled",
      lastUpdateReason: "ExpiryCancel",
    });
    expect(ex.book(T)?.yesBids).toEqual([]);
    expect(
      events.filter((e) => e.kind === "book_delta").map((e) => e.kind === "book_delta" && e.delta),
    ).toEqual([C, -C]);
  });

  it("rejects an expiration with immediate-or-cancel and one in the past", () => {
    const { ex } = harness();
    const ioc = ex.createOrder(
      "alice",
      gtc("bid", 4000, 1, { timeInForce: "immediate_or_cancel", expirationTimeSec: START_MS / 1000 + 60 }),
    );
    expect(ioc).toMatchObject({
      ok: false,
      code: "invalid_order",
      message: "Cannot specify both immediate_or_cancel and expiration_ts",
    });
    const past = ex.createOrder("alice", gtc("bid", 4000, 1, { expirationTimeSec: START_MS / 1000 }));
    expect(past).toMatchObject({
      ok: false,
      code: "invalid_order",
      message: "Expiration timestamp must be in the future",
    });
  });
});

describe("order flags", () => {
  it("rejects a post-only order that would cross and rests one that would not", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5500, 4)));
    const crossing = ex.createOrder("alice", gtc("bid", 5500, 1, { postOnly: true }));
    // Kalshi's Order Errors page: code invalid_order, message "invalid order", details "post only cross"
    expect(crossing).toMatchObject({
      ok: false,
      status: 400,
      code: "invalid_order",
      message: "invalid order",
      details: "post only cross",
    });
    expect(ex.book(T)?.yesBids).toEqual([]);
    expect(ok(ex.createOrder("alice", gtc("bid", 5400, 1, { postOnly: true }))).order.status).toBe("resting");
  });

  // reduce_only caps the order at the position it closes (Kalshi's V2 spec); the capped part is
  // ReduceOnlyCancel (the AsyncAPI reason list). Which time in force it takes is our choice.
  it.each([
    ["with no position: nothing to reduce, accepted and cancelled whole", 0, 5, 0],
    ["one contract under the position: not capped", 5, 4, 4],
    ["exactly the position: not capped", 5, 5, 5],
    ["one contract over the position: capped, never flips it", 5, 6, 5],
  ])("reduce-only %s", (_name, held, asked, filled) => {
    const { ex } = harness();
    if (held > 0) {
      ok(ex.createOrder("bob", gtc("ask", 5500, held)));
      ok(ex.createOrder("alice", gtc("bid", 5500, held, { timeInForce: "immediate_or_cancel" })));
    }
    ok(ex.createOrder("carol", gtc("bid", 6000, 20)));
    const out = ok(
      ex.createOrder(
        "alice",
        gtc("ask", 6000, asked, { reduceOnly: true, timeInForce: "immediate_or_cancel" }),
      ),
    );
    // the capped amount fills whole, so nothing is left: executed, or cancelled when it was zero
    expect(out.order).toMatchObject({
      status: filled === 0 ? "canceled" : "executed",
      fillCount: filled * C,
      remainingCount: 0,
      initialCount: asked * C,
      lastUpdateReason: filled === 0 ? "ReduceOnlyCancel" : "Trade",
    });
    // a YES holder sold down, never below zero
    expect(ex.positions("alice").find((p) => p.ticker === T)?.position ?? 0).toBe((held - filled) * C);
  });

  it("caps a reduce-only order it cannot fill at once at the position and marks the cut ReduceOnlyCancel", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5500, 3)));
    ok(ex.createOrder("alice", gtc("bid", 5500, 3, { timeInForce: "immediate_or_cancel" })));
    // nobody bids: the capped IOC finds nothing; its record shows the cut, not a flip
    const out = ok(
      ex.createOrder("alice", gtc("ask", 6000, 8, { reduceOnly: true, timeInForce: "immediate_or_cancel" })),
    );
    expect(out.order).toMatchObject({
      status: "canceled",
      initialCount: 8 * C,
      fillCount: 0,
      lastUpdateReason: "ReduceOnlyCancel",
    });
  });

  it.each([
    ["good_till_canceled", "invalid_order"],
    ["fill_or_kill", "invalid_order"],
    ["immediate_or_cancel", "ok"],
  ] as const)("takes reduce-only with %s: %s", (tif, expected) => {
    const { ex } = harness();
    expect(code(ex.createOrder("alice", gtc("ask", 6000, 1, { reduceOnly: true, timeInForce: tif })))).toBe(
      expected,
    );
  });

  it("with taker_at_cross stops at the user's own resting order and cancels the incoming rest", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5400, 2)));
    const own = ok(ex.createOrder("alice", gtc("ask", 5500, 5))).order;
    const out = ok(ex.createOrder("alice", gtc("bid", 5600, 10)));
    expect(out.fills.map((f) => f.count)).toEqual([2 * C]);
    expect(out.order).toMatchObject({
      status: "canceled",
      lastUpdateReason: "SelfTradeCancel",
      fillCount: 2 * C,
    });
    expect(ex.order("alice", own.orderId)?.status).toBe("resting");
  });

  it("with maker STP cancels the user's own resting order and keeps matching", () => {
    const { ex } = harness();
    ok(ex.createOrder("bob", gtc("ask", 5400, 2)));
    const own = ok(ex.createOrder("alice", gtc("ask", 5500, 5))).order;
    ok(ex.createOrder("carol", gtc("ask", 5600, 3)));
    const out = ok(ex.createOrder("alice", gtc("bid", 5600, 10, { selfTradePrevention: "maker" })));
    expect(out.fills.map((f) => [f.yesPrice, f.count])).toEqual([
      [5400, 2 * C],
      [5600, 3 * C],
    ]);
    expect(ex.order("alice", own.orderId)).toMatchObject({
      status: "canceled",
      lastUpdateReason: "SelfTradeCancel",
    });
    expect(out.order).toMatchObject({ status: "resting", remainingCount: 5 * C });
    expect(ex.book(T)).toEqual({ yesBids: [[5600, 5 * C]], noBids: [] });
  });
});

describe("validation", () => {
  it("rejects off-grid, $0 and $1 prices with invalid_price", () => {
    const { ex } = harness();
    for (const p of [5550, 0, 10_000, -100])
      expect(code(ex.createOrder("alice", gtc("bid", p, 1)))).toBe("invalid_price");
  });

  it("accepts sub-penny prices only on a market whose grid has them", () => {
    const { ex } = harness({ structure: "deci_cent" });
    expect(code(ex.createOrder("alice", gtc("bid", 5550, 1)))).toBe("ok");
    expect(code(ex.createOrder("alice", gtc("bid", 5555, 1)))).toBe("invalid_price");
  });

  it("rejects zero and fractional-unit counts with invalid_order_size and accepts 0.01 contracts", () => {
    const { ex } = harness();
    expect(code(ex.createOrder("alice", { ...gtc("bid", 5000, 0) }))).toBe("invalid_order_size");
    expect(code(ex.createOrder("alice", { ...gtc("bid", 5000, 1), count: 1.5 }))).toBe("invalid_order_size");
    expect(code(ex.createOrder("alice", { ...gtc("bid", 5000, 1), count: 1 }))).toBe("ok");
  });

  it("answers an unknown ticker with 404 not_found and a wrong shard with invalid_order", () => {
    const { ex } = harness();
    expect(ex.createOrder("alice", { ...gtc("bid", 5000, 1), ticker: "NOPE" })).toMatchObject({
      status: 404,
      code: "not_found",
    });
    expect(code(ex.createOrder("alice", gtc("bid", 5000, 1, { exchangeIndex: 2 })))).toBe("invalid_order");
    expect(code(ex.createOrder("alice", gtc("bid", 5000, 1, { exchangeIndex: 0 })))).toBe("ok");
    expect(code(ex.createOrder("alice", gtc("bid", 5000, 1, { exchangeIndex: -1 })))).toBe("ok");
  });

  it("rejects a buy the available balance cannot cover", () => {
    const { ex } = harness({ balance: 1 * USD });
    expect(code(ex.createOrder("alice", gtc("bid", 5000, 10)))).toBe("available_balance_too_low");
    expect(code(ex.createOrder("alice", gtc("bid", 5000, 1)))).toBe("ok");
  });

  it("answers a repeated client_order_id with 409 order_already_exists and records both requests", () => {
    const { ex } = harness();
    ok(ex.createOrder("alice", gtc("bid", 5000, 1, { clientOrderId: "c-1" })));
    expect(ex.createOrder("alice", gtc("bid", 5000, 1, { clientOrderId: "c-1" }))).toMatchObject({
      ok: false,
      status: 409,
      code: "order_already_exists",
    });
    expect(ex.orders("alice")).toHaveLength(1);
    expect(ex.requests("alice").map((r) => [r.op, r.clientOrderId, r.outcome])).toEqual([
      ["create", "c-1", "ok"],
      ["create", "c-1", "order_already_exists"],
    ]);
    expect(ex.counters().requestsByOutcome).toEqual({ ok: 1, order_already_exists: 1 });
  });
});

describe("amend, decrease, cancel", () => {
  it("keeps queue priority when an amendment only lowers the size", () => {
    const { ex } = harness();
    const a = ok(ex.createOrder("alice", gtc("bid", 5000, 10))).order;
    const b = ok(ex.createOrder("bob", gtc("bid", 5000, 10))).order;
    ok(ex.amendOrder("alice", a.orderId, { ticker: T, side: "bid", price: 5000, count: 8 * C }));
    ok(ex.createOrder("carol", gtc("ask", 5000, 5)));
    expect(ex.order("alice", a.orderId)).toMatchObject({ fillCount: 5 * C, remainingCount: 3 * C });
    expect(ex.order("bob", b.orderId)?.fillCount).toBe(0);
  });

  it("sends an order to the back of the queue when an amendment raises the size", () => {
    const { ex } = harness();
    const a = ok(ex.createOrder("alice", gtc("bid", 5000, 10))).order;
    const b = ok(ex.createOrder("bob", gtc("bid", 5000, 10))).order;
    ok(ex.amendOrder("alice", a.orderId, { ticker: T, side: "bid", price: 5000, count: 12 * C }));
    ok(ex.createOrder("carol", gtc("ask", 5000, 5)));
    expect(ex.order("bob", b.orderId)?.fillCount).toBe(5 * C);
    expect(ex.order("alice", a.orderId)).toMatchObject({
      fillCount: 0,
      remainingCount: 12 * C,
      lastUpdateReason: "Amend",
    });
  });

  it("treats the amended count as the new total including what already filled", () => {
    const { ex } = harness();
    const a = ok(ex.createOrder("alice", gtc("bid", 5000, 10))).order;
    ok(ex.createOrder("carol", gtc("ask", 5000, 4)));
    const amended = ok(
      ex.amendOrder("alice", a.orderId, { ticker: T, side: "bid", price: 4900, count: 6 * C }),
    ).order;
    expect(amended).toMatchObject({
      price: 4900,
      fillCount: 4 * C,
      remainingCount: 2 * C,
      initialCount: 6 * C,
    });
    expect(ex.book(T)?.yesBids).toEqual([[4900, 2 * C]]);
    expect(
      code(ex.amendOrder("alice", a.orderId, { ticker: T, side: "ask", price: 4900, count: 6 * C })),
    ).toBe("order_side_mismatch");
  });

  it("trades when an amended price crosses the book", () => {
    const { ex } = harness();
    const a = ok(ex.createOrder("alice", gtc("bid", 5000, 3))).order;
    ok(ex.createOrder("bob", gtc("ask", 5200, 3)));
    const out = ok(ex.amendOrder("alice", a.orderId, { ticker: T, side: "bid", price: 5200, count: 3 * C }));
    expect(out.fills.map((f) => [f.yesPrice, f.count, f.isTaker])).toEqual([[5200, 3 * C, true]]);
    expect(out.order.status).toBe("executed");
  });

  it("decreases by or to a size keeping priority, and cancels at zero", () => {
    const { ex } = harness();
    const a = ok(ex.createOrder("alice", gtc("bid", 5000, 10))).order;
    ok(ex.createOrder("bob", gtc("bid", 5000, 10)));
    expect(ok(ex.decreaseOrder("alice", a.orderId, { reduceBy: 2 * C })).remainingCount).toBe(8 * C);
    expect(ok(ex.decreaseOrder("alice", a.orderId, { reduceTo: 3 * C })).remainingCount).toBe(3 * C);
    expect(code(ex.decreaseOrder("alice", a.orderId, { reduceBy: C, reduceTo: C }))).toBe("invalid_order");
    ok(ex.createOrder("carol", gtc("ask", 5000, 1)));
    expect(ex.order("alice", a.orderId)?.fillCount).toBe(C);
    expect(ok(ex.decreaseOrder("alice", a.orderId, { reduceTo: 0 }))).toMatchObject({
      status: "canceled",
      lastUpdateReason: "Decrease",
    });
    expect(ex.book(T)?.yesBids).toEqual([[5000, 10 * C]]);
  });

  it("cancels with reduced_by and answers a second cancel with not_found", () => {
    const { ex } = harness();
    const a = ok(ex.createOrder("alice", gtc("bid", 5000, 10))).order;
    expect(ok(ex.cancelOrder("alice", a.orderId)).reducedBy).toBe(10 * C);
    expect(ex.cancelOrder("alice", a.orderId)).toMatchObject({ status: 404, code: "not_found" });
    expect(ex.cancelOrder("bob", a.orderId)).toMatchObject({ status: 404 });
  });

  it("cancels every resting order of a user with cancel-all and batches per item", () => {
    const { ex } = harness();
    const results = ex.batchCreateOrders("alice", [
      gtc("bid", 5000, 1),
      gtc("bid", 5550, 1),
      gtc("ask", 6000, 1),
    ]);
    expect(results.map(code)).toEqual(["ok", "invalid_price", "ok"]);
    expect(ex.cancelAll("alice").map((o) => o.status)).toEqual(["canceled", "canceled"]);
    expect(ex.book(T)).toEqual({ yesBids: [], noBids: [] });
    expect(ex.requests("alice").filter((r) => r.batch)).toHaveLength(3);
  });
});
