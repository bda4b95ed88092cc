import { describe, expect, it } from "vitest";
import { ORDER_GROUP_WINDOW_MS } from "./order-groups.ts";
import { C, code, gtc, harness, ok, T } from "./test-helpers.ts";
import type { ExchangeEvent } from "./types.ts";

/** alice's group with a limit of `contracts`; bob rests asks at 0.50 for her bids to take. */
function setUp(contracts: number) {
  const h = harness();
  const g = ok(h.ex.createOrderGroup("alice", { contractsLimit: contracts * C }));
  return { ...h, g };
}

function groupEvents(events: ExchangeEvent[]): string[] {
  return events.flatMap((e) => (e.kind === "order_group" ? [`${e.eventType} ${e.groupId}`] : []));
}

describe("order group limit over a rolling 15 s window", () => {
  // Kalshi: the group triggers when the rolling total *exceeds* the limit.
  it.each([
    ["exactly at the limit stays active", 1000, false],
    ["one hundredth of a contract over triggers", 1001, true],
  ])("%s", (_name, filled, triggered) => {
    const { ex, g } = setUp(10);
    ok(ex.createOrder("bob", gtc("ask", 5000, 20)));
    ok(
      ex.createOrder(
        "alice",
        gtc("bid", 5000, filled / C, { orderGroupId: g.id, timeInForce: "immediate_or_cancel" }),
      ),
    );
    expect(ex.orderGroup("alice", g.id)?.triggered).toBe(triggered);
  });

  it.each([
    ["a fill 15 s old no longer counts", ORDER_GROUP_WINDOW_MS, false],
    ["a fill just under 15 s old still counts", ORDER_GROUP_WINDOW_MS - 1, true],
  ])("%s", (_name, gapMs, triggered) => {
    const { ex, g } = setUp(10);
    ok(ex.createOrder("bob", gtc("ask", 5000, 20)));
    const ioc = { orderGroupId: g.id, timeInForce: "immediate_or_cancel" } as const;
    ok(ex.createOrder("alice", gtc("bid", 5000, 6, ioc)));
    ex.step(gapMs);
    ok(ex.createOrder("alice", gtc("bid", 5000, 6, ioc)));
    expect(ex.orderGroup("alice", g.id)?.triggered).toBe(triggered);
  });

  it("counts the group's maker fills too, and on trigger cancels every resting order of the group only", () => {
    const { ex, g, events } = setUp(5);
    const inGroup = ok(ex.createOrder("alice", gtc("bid", 4000, 10, { orderGroupId: g.id }))).order;
    const other = ok(ex.createOrder("alice", gtc("bid", 3000, 4, { orderGroupId: g.id }))).order;
    const outside = ok(ex.createOrder("alice", gtc("bid", 2000, 4))).order;
    // bob sells 6 into alice's resting bid: her maker fills (6) exceed the group's 5
    ok(ex.createOrder("bob", gtc("ask", 4000, 6, { timeInForce: "immediate_or_cancel" })));
    expect(ex.orderGroup("alice", g.id)).toMatchObject({ triggered: true, rollingVolume: 6 * C });
    expect(ex.order("alice", inGroup.orderId)).toMatchObject({ status: "canceled", fillCount: 6 * C });
    expect(ex.order("alice", other.orderId)?.status).toBe("canceled");
    expect(ex.order("alice", outside.orderId)?.status).toBe("resting");
    expect(ex.book(T)?.yesBids).toEqual([[2000, 4 * C]]);
    expect(groupEvents(events)).toEqual([`created ${g.id}`, `triggered ${g.id}`]);
  });

  it("lets an order whose own fills trigger its group finish matching, then cancels its remainder", () => {
    const { ex, g } = setUp(3);
    ok(ex.createOrder("bob", gtc("ask", 5000, 4)));
    const out = ok(ex.createOrder("alice", gtc("bid", 5000, 10, { orderGroupId: g.id })));
    expect(out.order).toMatchObject({ status: "canceled", fillCount: 4 * C, remainingCount: 0 });
    expect(ex.book(T)).toEqual({ yesBids: [], noBids: [] });
  });

  it("refuses new orders while triggered and takes them again after a reset", () => {
    const { ex, g, events } = setUp(5);
    ok(ex.triggerOrderGroup("alice", g.id));
    const refused = ex.createOrder("alice", gtc("bid", 4000, 1, { orderGroupId: g.id }));
    expect(refused).toMatchObject({ ok: false, status: 400, code: "invalid_order" });
    ok(ex.resetOrderGroup("alice", g.id));
    expect(ex.orderGroup("alice", g.id)).toMatchObject({ triggered: false, rollingVolume: 0 });
    expect(code(ex.createOrder("alice", gtc("bid", 4000, 1, { orderGroupId: g.id })))).toBe("ok");
    expect(groupEvents(events)).toEqual([`created ${g.id}`, `triggered ${g.id}`, `reset ${g.id}`]);
  });

  it("triggers when a new limit falls below the rolling volume, and not when it stays above", () => {
    const { ex, g, events } = setUp(10);
    ok(ex.createOrder("bob", gtc("ask", 5000, 20)));
    ok(
      ex.createOrder(
        "alice",
        gtc("bid", 5000, 6, { orderGroupId: g.id, timeInForce: "immediate_or_cancel" }),
      ),
    );
    const resting = ok(ex.createOrder("alice", gtc("bid", 4000, 1, { orderGroupId: g.id }))).order;
    ok(ex.updateOrderGroupLimit("alice", g.id, 6 * C));
    expect(ex.orderGroup("alice", g.id)?.triggered).toBe(false);
    ok(ex.updateOrderGroupLimit("alice", g.id, 5 * C));
    expect(ex.orderGroup("alice", g.id)).toMatchObject({ triggered: true, contractsLimit: 5 * C });
    expect(ex.order("alice", resting.orderId)?.status).toBe("canceled");
    expect(groupEvents(events)).toEqual([
      `created ${g.id}`,
      `limit_updated ${g.id}`,
      `limit_updated ${g.id}`,
      `triggered ${g.id}`,
    ]);
  });

  it("deletes a group, cancelling what rests in it; the id is then unknown", () => {
    const { ex, g } = setUp(10);
    const resting = ok(ex.createOrder("alice", gtc("bid", 4000, 2, { orderGroupId: g.id }))).order;
    ok(ex.deleteOrderGroup("alice", g.id));
    expect(ex.order("alice", resting.orderId)).toMatchObject({ status: "canceled", orderGroupId: g.id });
    expect(ex.orderGroup("alice", g.id)).toBeUndefined();
    expect(code(ex.createOrder("alice", gtc("bid", 4000, 1, { orderGroupId: g.id })))).toBe("not_found");
    expect(code(ex.resetOrderGroup("alice", g.id))).toBe("not_found");
  });
});

describe("order group membership", () => {
  it("refuses another user's group as not found, and an order on another shard or subaccount", () => {
    const { ex, g } = setUp(10);
    expect(code(ex.createOrder("bob", gtc("bid", 4000, 1, { orderGroupId: g.id })))).toBe("not_found");
    expect(ex.orderGroup("bob", g.id)).toBeUndefined();
    const wrongSub = ex.createOrder("alice", gtc("bid", 4000, 1, { orderGroupId: g.id, subaccount: 2 }));
    expect(wrongSub).toMatchObject({ ok: false, code: "invalid_order" });
    // a crypto market lives on shard 2: a shard-0 group cannot hold its orders
    const crypto = ok(ex.createMarket({ ticker: "KXBTCD-TEST-T1", seriesTicker: "KXBTCD" }));
    expect(crypto.exchangeIndex).toBe(2);
    const spans = ex.createOrder("alice", {
      ...gtc("bid", 4000, 1),
      ticker: crypto.ticker,
      orderGroupId: g.id,
    });
    expect(spans).toMatchObject({ ok: false, code: "invalid_order" });
    const g2 = ok(ex.createOrderGroup("alice", { contractsLimit: 10 * C, exchangeIndex: 2 }));
    expect(
      code(ex.createOrder("alice", { ...gtc("bid", 4000, 1), ticker: crypto.ticker, orderGroupId: g2.id })),
    ).toBe("ok");
  });

  it("lists the group's orders and only this user's groups, by subaccount when asked", () => {
    const { ex, g } = setUp(10);
    const o = ok(ex.createOrder("alice", gtc("bid", 4000, 1, { orderGroupId: g.id }))).order;
    const g1 = ok(ex.createOrderGroup("alice", { contractsLimit: 3 * C, subaccount: 1 }));
    ok(ex.createOrderGroup("bob", { contractsLimit: 3 * C }));
    expect(ex.orderGroup("alice", g.id)?.orderIds).toEqual([o.orderId]);
    expect(ex.orderGroups("alice").map((x) => x.id)).toEqual([g.id, g1.id]);
    expect(ex.orderGroups("alice", 1).map((x) => x.id)).toEqual([g1.id]);
  });

  it.each([
    ["zero", 0, "invalid_parameters"],
    ["a fraction of a contract", 150, "invalid_parameters"],
    ["one contract", 100, "ok"],
    ["a million contracts", 100_000_000, "ok"],
    ["over a million", 100_000_100, "invalid_parameters"],
  ])("takes a limit of %s only if it is 1 to 1 000 000 whole contracts", (_name, limit, expected) => {
    const { ex } = harness();
    expect(code(ex.createOrderGroup("alice", { contractsLimit: limit }))).toBe(expected);
  });

  it("announces created with its limit", () => {
    const { ex, events } = harness();
    const g = ok(ex.createOrderGroup("alice", { contractsLimit: 7 * C }));
    expect(events.filter((e) => e.kind === "order_group")).toEqual([
      {
        kind: "order_group",
        user: "alice",
        eventType: "created",
        groupId: g.id,
        contractsLimit: 7 * C,
        tsMs: g.createdMs,
      },
    ]);
  });
});
