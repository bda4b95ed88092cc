/**
 * Order-group conformance: the bot's REST client (`createOrderGroup` ... `deleteOrderGroup`,
 * `order_group_id` on creates) and its WebSocket parser (`order_group_updates`) against the
 * simulator. Every answer must parse through the client's schemas, every frame through
 * `parseWsMessage`, and the group must behave as Kalshi documents: fills past the limit in the
 * rolling window trigger it, its resting orders go, new ones are refused until a reset.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toOrderGroupInfo, toOrderInfo } from "../../shared/kalshi/rest-schemas.ts";
import type { WsMessage } from "../../shared/kalshi/ws-messages.ts";
import { listSubscriptionsCmd, subscribeCmd, toOrderGroupUpdate } from "../../shared/kalshi/ws-messages.ts";
import type { Conformance } from "./harness.ts";
import { must, orderBody, startConformance, WsRecorder } from "./harness.ts";

let c: Conformance;
let ws: WsRecorder;
/** linear_cent, shard 0. */
let A: string;

beforeEach(async () => {
  c = await startConformance();
  A = (await c.control.state()).markets.find((m) => m.ticker.startsWith("KXHIGHNY-"))?.ticker as string;
  ws = await WsRecorder.openSigned(c.sim.wsUrl, c.signer, c.clock.ms);
});
afterEach(async () => {
  ws.close();
  await c.close();
});

type Of<T extends WsMessage["type"]> = Extract<WsMessage, { type: T }>;
const is =
  <T extends WsMessage["type"]>(type: T, f: (m: Of<T>) => boolean = () => true) =>
  (m: WsMessage): m is Of<T> =>
    m.type === type && f(m as Of<T>);

describe("order groups through the bot's client", () => {
  it("triggers on fills past the limit, cancels the group's resting orders, refuses new ones until reset, and says so on order_group_updates", async () => {
    const sub = ws.id();
    ws.send(subscribeCmd(sub, { channels: ["order_group_updates", "user_orders"] }));
    await ws.waitFor(
      is("subscribed", (m) => m.id === sub && m.msg.channel === "order_group_updates"),
      "subscribed",
    );

    const created = must(await c.client.createOrderGroup({ contracts_limit_fp: "5.00", exchange_index: 0 }));
    const id = created.order_group_id;
    expect(created).toMatchObject({ subaccount: 0, exchange_index: 0 });
    const createdMsg = await ws.waitFor(
      is("order_group_updates", (m) => m.msg.event_type === "created"),
      "created",
    );
    expect(toOrderGroupUpdate(createdMsg)).toMatchObject({ orderGroupId: id, contractsLimit: 500 });

    // a resting bid in the group, then a taker in the group that fills 6 > 5 contracts
    const resting = must(
      await c.client.createOrder(orderBody(A, "bid", "0.3000", "2.00", { order_group_id: id }), "open"),
    );
    await c.control.placeLiquidity(A, "ask", 4000, 1000);
    const taker = must(
      await c.client.createOrder(
        orderBody(A, "bid", "0.4000", "6.00", { order_group_id: id, time_in_force: "immediate_or_cancel" }),
        "open",
      ),
    );
    expect(taker.fill_count).toBe("6.00");
    const triggered = await ws.waitFor(
      is("order_group_updates", (m) => m.msg.event_type === "triggered"),
      "triggered",
    );
    expect(toOrderGroupUpdate(triggered)).toEqual({
      eventType: "triggered",
      orderGroupId: id,
      tsMs: c.clock.ms,
    });
    const cancelled = await ws.waitFor(
      is("user_order", (m) => m.msg.order_id === resting.order_id && m.msg.status === "canceled"),
      "the group's resting order cancelled",
    );
    expect(cancelled.msg.order_group_id).toBe(id);

    // REST agrees: the group is triggered (auto-cancel spent), lists both orders; the order names its group
    const group = must(await c.client.getOrderGroup(id));
    expect(group).toMatchObject({ is_auto_cancel_enabled: false, contracts_limit_fp: "5.00" });
    expect([...group.orders].sort()).toEqual([resting.order_id, taker.order_id].sort());
    const info = must(await c.client.listOrderGroups()).map((g) => toOrderGroupInfo(g));
    expect(info).toEqual([
      { ok: true, value: { id, contractsLimit: 500, autoCancelEnabled: false, exchangeIndex: 0 } },
    ]);
    const order = must(await c.client.getOrder(resting.order_id));
    expect(order.order_group_id).toBe(id);
    expect(toOrderInfo(order)).toMatchObject({ ok: true, value: { status: "canceled" } });

    // refused while triggered: an explicit 400, outcome rejected
    const refused = await c.client.createOrder(
      orderBody(A, "bid", "0.3000", "1.00", { order_group_id: id }),
      "open",
    );
    expect(refused).toMatchObject({
      ok: false,
      outcome: "rejected",
      failure: { status: 400, code: "invalid_order" },
    });

    // reset, a new limit, then delete: each one answered {} and announced
    must(await c.client.resetOrderGroup(id));
    must(await c.client.createOrder(orderBody(A, "bid", "0.3000", "1.00", { order_group_id: id }), "open"));
    must(await c.client.updateOrderGroupLimit(id, { contracts_limit_fp: "20.00" }));
    const inspected = await c.control.orderGroups();
    expect(inspected).toMatchObject([
      { id, triggered: false, contracts_limit_fp: "20.00", rolling_volume_fp: "0.00" },
    ]);
    must(await c.client.deleteOrderGroup(id, { exchange_index: 0 }));
    expect(await c.control.orderGroups()).toEqual([]);
    const gone = await c.client.getOrderGroup(id);
    expect(gone).toMatchObject({ ok: false, failure: { status: 404, reason: "not_found" } });

    await ws.request(listSubscriptionsCmd(ws.id()));
    const updates = ws.frames.flatMap((f) =>
      f.parsed.kind === "message" && f.parsed.message.type === "order_group_updates"
        ? [f.parsed.message]
        : [],
    );
    expect(updates.map((u) => u.msg.event_type)).toEqual([
      "created",
      "triggered",
      "reset",
      "limit_updated",
      "deleted",
    ]);
    expect(updates.find((u) => u.msg.event_type === "limit_updated")?.msg.contracts_limit_fp).toBe("20.00");
    // sequenced: one sid, contiguous seq
    expect(new Set(updates.map((u) => u.sid)).size).toBe(1);
    expect(updates.map((u) => u.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(ws.frames.filter((f) => f.parsed.kind !== "message")).toEqual([]);
  });

  it("refuses a limit that is not whole contracts and an order group that does not exist", async () => {
    const bad = await c.client.createOrderGroup({ contracts_limit_fp: "2.50" });
    expect(bad).toMatchObject({ ok: false, outcome: "rejected", failure: { status: 400 } });
    const mismatch = await c.client.createOrderGroup({ contracts_limit_fp: "2.00", contracts_limit: 3 });
    expect(mismatch).toMatchObject({ ok: false, failure: { status: 400 } });
    const order = await c.client.createOrder(
      orderBody(A, "bid", "0.3000", "1.00", { order_group_id: "no-such-group" }),
      "open",
    );
    expect(order).toMatchObject({
      ok: false,
      outcome: "rejected",
      failure: { status: 404, reason: "not_found" },
    });
    expect(must(await c.client.listOrderGroups())).toEqual([]);
  });
});
