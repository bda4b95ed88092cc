/**
 * Order groups, as the order path uses them: one group per shard with a contracts cap, every
 * order carrying `order_group_id`, and the `order_group_updates` channel telling the bot when a
 * group triggered, was reset or deleted (Kalshi's order-groups guide).
 *
 * - lifecycle: create a group with a 1-contract cap (bigger than the probe's 0.01 order, so the
 *   order alone never triggers it), attach a resting order, read `order_group_id` back, trigger
 *   (the order is cancelled, a new one refused), reset (a new one accepted), delete; each step's
 *   `order_group_updates` message is awaited on a socket subscribed first;
 * - shards: may a group name `exchange_index` 1 to 3? The bot creates one per shard it trades on,
 *   while Kalshi's spec notes the field "currently only 0"; a group the exchange accepts is deleted
 *   at once.
 */
import { formatCount } from "../../shared/kalshi/units.ts";
import { subscribeCmd } from "../../shared/kalshi/ws-messages.ts";
import { noPlan } from "./checks-orders.ts";
import {
  cancelQuietly,
  describeFailure,
  describeOrder,
  place,
  READ_RETRY_MS,
  READ_TRIES,
  readOrder,
  readUntil,
  settle,
} from "./orders.ts";
import type { ProbeSocket, WsFrame } from "./socket.ts";
import type { Check, CheckResult, ProbeContext, ProbePlan } from "./types.ts";

/** How long an `order_group_updates` message may take. */
export const GROUP_EVENT_TIMEOUT_MS = 10_000;

/** The group's cap: one whole contract (Kalshi's minimum), above the probe's 0.01 order. */
const GROUP_LIMIT = 100;

interface Step {
  name: string;
  ok: boolean;
  /** what was seen; printed when the step failed, or when `shown` */
  detail?: string;
  shown?: boolean;
}

function groupEvent(
  socket: ProbeSocket,
  groupId: string,
  eventType: string,
  from: number,
): Promise<WsFrame | null> {
  return socket.waitFor(
    (f) => {
      if (f.type !== "order_group_updates" || typeof f.msg !== "object" || f.msg === null) return false;
      const m = f.msg as { event_type?: unknown; order_group_id?: unknown };
      return m.event_type === eventType && m.order_group_id === groupId;
    },
    GROUP_EVENT_TIMEOUT_MS,
    from,
  );
}

async function subscribeGroups(ctx: ProbeContext): Promise<{ socket: ProbeSocket } | { error: string }> {
  let socket: ProbeSocket;
  try {
    socket = await ctx.openSocket();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const id = socket.send((i) => subscribeCmd(i, { channels: ["order_group_updates"] }));
  const reply = await socket.reply(id, GROUP_EVENT_TIMEOUT_MS);
  if (reply === null || reply.type !== "subscribed")
    return {
      error: `order_group_updates subscribe answered ${reply ? JSON.stringify(reply.msg) : "nothing"}`,
    };
  return { socket };
}

async function lifecycle(
  ctx: ProbeContext,
  plan: ProbePlan,
  socket: ProbeSocket,
  steps: Step[],
): Promise<void> {
  const step = (name: string, ok: boolean, detail?: string, shown = false) =>
    steps.push(detail ? { name, ok, detail, shown } : { name, ok });
  let from = socket.frames.length;
  const created = await ctx.rest.createOrderGroup({
    contracts_limit_fp: formatCount(GROUP_LIMIT),
    exchange_index: plan.exchangeIndex,
  });
  if (!created.ok) {
    step("create", false, describeFailure(created.failure));
    return;
  }
  const groupId = created.value.order_group_id;
  ctx.cleanup.group(groupId, plan.exchangeIndex);
  step("create", true);
  // The order path acts on triggered, reset and deleted; `created` is reported, not required.
  const createdEvent = await groupEvent(socket, groupId, "created", from);
  step(
    "ws created",
    true,
    createdEvent ? "received" : `none within ${GROUP_EVENT_TIMEOUT_MS / 1000} s`,
    true,
  );

  const first = await place(ctx, plan, { order_group_id: groupId });
  if (!first.result.ok) {
    step("order in group", false, describeFailure(first.result.failure));
  } else {
    const orderId = first.result.value.order_id;
    const read = await readOrder(ctx, orderId);
    step(
      "order_group_id on the order",
      read.ok && read.value.order_group_id === groupId,
      read.ok ? `order_group_id ${read.value.order_group_id ?? "absent"}` : read.failure.message,
    );
    const group = await readUntil(
      ctx,
      () => ctx.rest.getOrderGroup(groupId),
      (g) => g.orders.includes(orderId),
    );
    step(
      "group lists the order",
      group.ok && group.value.orders.includes(orderId),
      group.ok
        ? `orders [${group.value.orders.join(", ")}], is_auto_cancel_enabled ${group.value.is_auto_cancel_enabled}`
        : group.failure.message,
      true,
    );

    from = socket.frames.length;
    const trig = await ctx.rest.triggerOrderGroup(groupId, { exchange_index: plan.exchangeIndex });
    step("trigger", trig.ok, trig.ok ? undefined : describeFailure(trig.failure));
    step("ws triggered", (await groupEvent(socket, groupId, "triggered", from)) !== null);
    const after = await readOrder(ctx, orderId, (o) => o.status !== "resting");
    step(
      "trigger cancels the order",
      after.ok && after.value.status === "canceled",
      after.ok ? `order ${after.value.status}` : after.failure.message,
    );
    if (after.ok && after.value.status === "resting") await cancelQuietly(ctx, plan, orderId);
    // Kalshi does not define is_auto_cancel_enabled; the bot reads it as "active" (docs/decisions.md).
    const flag = await ctx.rest.getOrderGroup(groupId);
    if (flag.ok)
      step("triggered group", true, `is_auto_cancel_enabled ${flag.value.is_auto_cancel_enabled}`, true);
  }

  const refused = await place(ctx, plan, { order_group_id: groupId });
  if (refused.result.ok) {
    // Accepted and cancelled at once keeps the group's promise too; resting in it does not.
    const s = await settle(ctx, plan, refused.result.value.order_id, refused.result.value.fill_count);
    step(
      "triggered group refuses orders",
      !s.wasResting && s.filled === 0,
      s.wasResting
        ? "an order RESTED in the triggered group (cancelled by the probe)"
        : `accepted, then ${s.order ? describeOrder(s.order) : (s.readError ?? "unreadable")}`,
      true,
    );
  } else
    step(
      "triggered group refuses orders",
      refused.result.outcome === "rejected",
      describeFailure(refused.result.failure),
      true,
    );

  from = socket.frames.length;
  const reset = await ctx.rest.resetOrderGroup(groupId, { exchange_index: plan.exchangeIndex });
  step("reset", reset.ok, reset.ok ? undefined : describeFailure(reset.failure));
  step("ws reset", (await groupEvent(socket, groupId, "reset", from)) !== null);
  const again = await place(ctx, plan, { order_group_id: groupId });
  if (again.result.ok) {
    step("reset group takes orders", true);
    await cancelQuietly(ctx, plan, again.result.value.order_id);
  } else step("reset group takes orders", false, describeFailure(again.result.failure));

  from = socket.frames.length;
  const del = await ctx.rest.deleteOrderGroup(groupId, { exchange_index: plan.exchangeIndex });
  step("delete", del.ok, del.ok ? undefined : describeFailure(del.failure));
  if (del.ok) ctx.cleanup.groupGone(groupId);
  step("ws deleted", (await groupEvent(socket, groupId, "deleted", from)) !== null);
  // A deleted group reads as not found once the REST view has caught up.
  let gone = await ctx.rest.getOrderGroup(groupId);
  for (let i = 1; del.ok && i < READ_TRIES && gone.ok; i++) {
    await ctx.sleep(READ_RETRY_MS);
    gone = await ctx.rest.getOrderGroup(groupId);
  }
  step(
    "deleted group is gone",
    !gone.ok && gone.failure.reason === "not_found",
    gone.ok ? "still readable" : gone.failure.message,
  );
}

export const orderGroupLifecycle: Check = {
  id: "order-group-lifecycle",
  assumption:
    "Order groups work as the order path uses them: order_group_id on orders, trigger/reset/delete, order_group_updates on the socket",
  async run(ctx) {
    const expected =
      "create 201; the order carries order_group_id; trigger cancels it and refuses new ones; reset takes orders again; delete removes the group; WS created/triggered/reset/deleted";
    const p = await ctx.plan();
    if (!p.ok) return noPlan(expected, p.reason);
    const sub = await subscribeGroups(ctx);
    if ("error" in sub) return { verdict: "could_not_check", expected, observed: `socket: ${sub.error}` };
    const steps: Step[] = [];
    await lifecycle(ctx, p.plan, sub.socket, steps);
    const bad = steps.filter((s) => !s.ok);
    const invalid = sub.socket.invalidFrames();
    const observed = [
      bad.length === 0
        ? `all ${steps.length} steps as expected`
        : `failed: ${bad.map((s) => `${s.name}${s.detail ? ` (${s.detail})` : ""}`).join("; ")}`,
      ...steps.filter((s) => s.ok && s.shown).map((s) => `${s.name}: ${s.detail}`),
      ...(invalid.length
        ? [`${invalid.length} frame(s) failed the bot's schema: ${invalid[0]?.parseError}`]
        : []),
    ].join("; ");
    return { verdict: bad.length === 0 && invalid.length === 0 ? "pass" : "fail", expected, observed };
  },
};

/** Shards other than the default (Kalshi's sharding guide: 1 combos, 2 crypto, 3 tennis and baseball). */
export const OTHER_SHARDS = [1, 2, 3];

export const orderGroupShards: Check = {
  id: "order-group-shards",
  assumption:
    "An order group may name exchange_index 1 to 3 (the bot keeps one group per shard; without one, entries there are refused)",
  async run(ctx): Promise<CheckResult> {
    const expected =
      ctx.target === "sim"
        ? "accepted on every shard (the simulator accepts 0 to 3, as its README says)"
        : "accepted on every shard (Kalshi's spec notes 'currently only 0': a refusal means the bot cannot enter on shards 1-3)";
    const answers: string[] = [];
    let refused = 0;
    let unclear = 0;
    for (const shard of OTHER_SHARDS) {
      const r = await ctx.rest.createOrderGroup({
        contracts_limit_fp: formatCount(GROUP_LIMIT),
        exchange_index: shard,
      });
      if (r.ok) {
        const id = r.value.order_group_id;
        ctx.cleanup.group(id, shard);
        const d = await ctx.rest.deleteOrderGroup(id, { exchange_index: shard });
        if (d.ok) ctx.cleanup.groupGone(id);
        answers.push(
          `${shard}: accepted${r.value.exchange_index !== undefined ? ` (exchange_index ${r.value.exchange_index})` : ""}`,
        );
      } else if (r.outcome === "rejected" && r.failure.status !== undefined) {
        refused++;
        answers.push(`${shard}: refused, ${describeFailure(r.failure)}`);
      } else {
        unclear++;
        answers.push(`${shard}: no clear answer, ${describeFailure(r.failure)}`);
      }
    }
    const observed = answers.join("; ");
    if (unclear > 0 && refused === 0) return { verdict: "could_not_check", expected, observed };
    return { verdict: refused === 0 ? "pass" : "fail", expected, observed };
  },
};
