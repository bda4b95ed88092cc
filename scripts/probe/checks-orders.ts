/**
 * Checks on single orders, each the smallest order the market takes (0.01 contract where
 * fractional trading is on) at the lowest tradable price, so it rests far below the market and is
 * cancelled at once; the post-only check is the only one priced to cross, and it is refused or
 * cancelled if Kalshi honours post-only (if not, it buys 0.01 contract, which the cleanup sells).
 *
 * - the V2 create answer (201 with the documented fields; the order rests);
 * - a resent `client_order_id` answers 409 `order_already_exists`, which the bot's classifier reads
 *   as `exists` (`writeOutcome(..., "create")`), and only one order carries the id;
 * - `reduce_only` with each time in force while nothing is held;
 * - immediate-or-cancel with `expiration_time` is refused;
 * - a post-only order that would cross is refused (or cancelled), never filled.
 */
import type { TimeInForce } from "../../shared/kalshi/rest-schemas.ts";
import { formatCount, formatPrice } from "../../shared/kalshi/units.ts";
import { signedContracts } from "./cleanup.ts";
import { bodyKeys } from "./http.ts";
import { bookTop } from "./market.ts";
import {
  cancelQuietly,
  countOf,
  describeFailure,
  describeOrder,
  place,
  readOrder,
  readUntil,
  settle,
} from "./orders.ts";
import type { Check, CheckResult, ProbeContext, ProbePlan } from "./types.ts";

/** A check's result when the shared market plan could not be made. */
export function noPlan(expected: string, reason: string): CheckResult {
  return { verdict: "could_not_check", expected, observed: `no market to probe: ${reason}` };
}

async function withPlan(
  ctx: ProbeContext,
  expected: string,
  body: (plan: ProbePlan) => Promise<CheckResult>,
): Promise<CheckResult> {
  const p = await ctx.plan();
  if (!p.ok) return noPlan(expected, p.reason);
  return body(p.plan);
}

/** Fields Kalshi's Create Order (V2) reference documents on the answer (the required ones). */
export const CREATE_RESPONSE_FIELDS = ["order_id", "fill_count", "remaining_count", "ts_ms"];

export const v2CreateResponse: Check = {
  id: "v2-create-response",
  assumption:
    "POST /portfolio/events/orders answers 201 (or 200) with order_id, fill_count, remaining_count, ts_ms; the order rests",
  async run(ctx) {
    const expected =
      "201 (200 tolerated) with the documented fields, client_order_id echoed; a far bid rests unfilled; the cancel answers reduced_by";
    return withPlan(ctx, expected, async (plan) => {
      let placed = await place(ctx, plan);
      let sizeNote = "";
      // Kalshi enables fractional contracts on every market; if this one refuses 0.01, use 1.
      if (!placed.result.ok && placed.result.failure.code === "invalid_order_size" && plan.count < 100) {
        sizeNote = `0.01 refused (${placed.result.failure.message}); the probe uses 1 contract; `;
        plan.count = 100;
        placed = await place(ctx, plan);
      }
      const r = placed.result;
      if (!r.ok)
        return {
          verdict: "fail",
          expected,
          observed: `${sizeNote}create refused: ${describeFailure(r.failure)}`,
        };
      const status = placed.answer?.status ?? 0;
      const keys = placed.answer ? bodyKeys(placed.answer.body) : [];
      const missing = CREATE_RESPONSE_FIELDS.filter((k) => !keys.includes(k));
      const echoed = r.value.client_order_id === placed.clientOrderId;
      const settled = await readOrder(ctx, r.value.order_id);
      const resting = settled.ok && settled.value.status === "resting";
      const cancel = await ctx.rest.cancelOrder(r.value.order_id, { exchange_index: plan.exchangeIndex });
      const reduced = cancel.ok ? cancel.value.reduced_by : `cancel failed: ${cancel.failure.message}`;
      const observed = `${sizeNote}HTTP ${status}; fields ${keys.join(", ")}${missing.length ? ` (missing ${missing.join(", ")})` : ""}; client_order_id ${echoed ? "echoed" : `not echoed (${r.value.client_order_id ?? "absent"})`}; fill_count ${r.value.fill_count}, remaining_count ${r.value.remaining_count}; ${settled.ok ? describeOrder(settled.value) : `read failed: ${settled.failure.message}`}; cancel reduced_by ${reduced}`;
      // The echo is reported, not required: the spec marks it optional and the bot knows its own id.
      const ok =
        (status === 201 || status === 200) &&
        missing.length === 0 &&
        countOf(r.value.fill_count) === 0 &&
        countOf(r.value.remaining_count) === plan.count &&
        resting &&
        cancel.ok &&
        countOf(cancel.value.reduced_by) === plan.count;
      return { verdict: ok ? "pass" : "fail", expected, observed };
    });
  },
};

export const duplicateClientOrderId: Check = {
  id: "duplicate-client-order-id",
  assumption:
    "Resending a create with the same client_order_id answers 409 order_already_exists, which the bot reads as 'exists'",
  async run(ctx) {
    const expected =
      "HTTP 409, code order_already_exists, classified already_exists, writeOutcome(create) = exists; one order carries the id";
    return withPlan(ctx, expected, async (plan) => {
      const first = await place(ctx, plan);
      if (!first.result.ok)
        return {
          verdict: "could_not_check",
          expected,
          observed: `the first create was refused: ${describeFailure(first.result.failure)}`,
        };
      const orderId = first.result.value.order_id;
      try {
        const again = await ctx.rest.retryWrite(first.result.request);
        if (again.ok) {
          ctx.cleanup.order(again.value.order_id, plan.ticker, plan.exchangeIndex);
          await cancelQuietly(ctx, plan, again.value.order_id);
          return {
            verdict: "fail",
            expected,
            observed: `the resend was accepted as order ${again.value.order_id} (first ${orderId}): a resend would double an order`,
          };
        }
        const f = again.failure;
        const found = await readUntil(
          ctx,
          () => ctx.rest.listOrders({ ticker: plan.ticker }),
          (list) => list.some((o) => o.client_order_id === first.clientOrderId),
        );
        const carrying = found.ok ? found.value.filter((o) => o.client_order_id === first.clientOrderId) : [];
        const observed = `${describeFailure(f)}; reason ${f.reason}, outcome ${again.outcome}; ${found.ok ? `${carrying.length} order(s) carry the id${carrying.length === 1 && carrying[0]?.order_id === orderId ? " (the first)" : ""}` : `list failed: ${found.failure.message}`}`;
        const ok =
          f.status === 409 &&
          f.code === "order_already_exists" &&
          f.reason === "already_exists" &&
          again.outcome === "exists" &&
          carrying.length === 1 &&
          carrying[0]?.order_id === orderId;
        return { verdict: ok ? "pass" : "fail", expected, observed };
      } finally {
        await cancelQuietly(ctx, plan, orderId);
      }
    });
  },
};

/** What one reduce-only order with nothing held turned into. */
export type ReduceOnlyAnswer =
  | { kind: "refused"; status: number | undefined; code: string | undefined; message: string }
  | { kind: "cancelled"; filled: number; reason: string | null }
  | { kind: "rested" }
  | { kind: "filled"; filled: number }
  | { kind: "unknown"; message: string };

/**
 * The verdict on one time in force. The bot sends `reduce_only` only with the time-in-force values
 * in `executor.reduceOnlyTifs` (default: immediate-or-cancel), so IOC must be accepted (with
 * nothing held: accepted and cancelled, as the simulator does). For the others any clean answer
 * passes (refused, or accepted and cancelled); on the simulator they must be refused, as
 * documented. A reduce-only order that rests or fills with nothing held fails: the exchange does
 * not enforce it.
 */
export function reduceOnlyVerdict(
  tif: TimeInForce,
  answer: ReduceOnlyAnswer,
  target: ProbeContext["target"],
): CheckResult["verdict"] {
  if (answer.kind === "unknown") return "could_not_check";
  if (answer.kind === "rested" || answer.kind === "filled") return "fail";
  if (tif === "immediate_or_cancel") return answer.kind === "cancelled" ? "pass" : "fail";
  if (target === "sim") return answer.kind === "refused" && answer.code === "invalid_order" ? "pass" : "fail";
  return "pass";
}

function describeReduceOnly(a: ReduceOnlyAnswer): string {
  switch (a.kind) {
    case "refused":
      return `refused: ${a.message}`;
    case "cancelled":
      return `accepted and cancelled${a.reason ? ` (${a.reason})` : ""}, filled ${formatCount(a.filled)}`;
    case "rested":
      return "accepted and RESTING (reduce_only not enforced with nothing held); cancelled by the probe";
    case "filled":
      return `accepted and FILLED ${formatCount(a.filled)} with nothing held`;
    case "unknown":
      return `no clear answer: ${a.message}`;
  }
}

function reduceOnlyCheck(tif: TimeInForce, short: string): Check {
  const inConfig = tif === "immediate_or_cancel";
  return {
    id: `reduce-only-${short}`,
    assumption: inConfig
      ? "reduce_only with immediate_or_cancel is accepted (the bot's exits carry it; executor.reduceOnlyTifs defaults to IOC only)"
      : `What reduce_only with ${tif} answers (the bot does not send it; executor.reduceOnlyTifs could include it if accepted)`,
    async run(ctx) {
      const expected = inConfig
        ? "with nothing held: accepted and cancelled whole, nothing filled"
        : ctx.target === "sim"
          ? "the simulator documents IOC only: 400 invalid_order"
          : "refused, or accepted and cancelled whole; never rests or fills (the probe reports which)";
      return withPlan(ctx, expected, async (plan) => {
        const pos = await ctx.rest.getPositions({ ticker: plan.ticker });
        const held = pos.ok ? pos.value.market_positions.find((p) => p.ticker === plan.ticker) : undefined;
        if (!pos.ok)
          return {
            verdict: "could_not_check",
            expected,
            observed: `position read failed: ${pos.failure.message}`,
          };
        if (held !== undefined && signedContracts(held.position_fp) !== 0)
          return {
            verdict: "could_not_check",
            expected,
            observed: `a position is held in ${plan.ticker}: ${held.position_fp}`,
          };
        const placed = await place(ctx, plan, { time_in_force: tif, reduce_only: true }, "reduce");
        let answer: ReduceOnlyAnswer;
        const r = placed.result;
        if (!r.ok) {
          answer =
            r.outcome === "rejected" && r.failure.status !== undefined
              ? {
                  kind: "refused",
                  status: r.failure.status,
                  code: r.failure.code,
                  message: describeFailure(r.failure),
                }
              : { kind: "unknown", message: describeFailure(r.failure) };
        } else {
          const s = await settle(ctx, plan, r.value.order_id, r.value.fill_count);
          if (s.wasResting) answer = { kind: "rested" };
          else if (s.filled > 0) answer = { kind: "filled", filled: s.filled };
          else answer = { kind: "cancelled", filled: 0, reason: s.order?.last_update_reason ?? null };
        }
        return {
          verdict: reduceOnlyVerdict(tif, answer, ctx.target),
          expected,
          observed: describeReduceOnly(answer),
        };
      });
    },
  };
}

export const reduceOnlyIoc = reduceOnlyCheck("immediate_or_cancel", "ioc");
export const reduceOnlyFok = reduceOnlyCheck("fill_or_kill", "fok");
export const reduceOnlyGtc = reduceOnlyCheck("good_till_canceled", "gtc");

export const iocWithExpiration: Check = {
  id: "ioc-expiration",
  assumption:
    "immediate_or_cancel with expiration_time is refused (the bot sets expiration_time on good-till-cancelled orders only)",
  async run(ctx) {
    const expected =
      ctx.target === "sim"
        ? "400 invalid_order: Cannot specify both immediate_or_cancel and expiration_ts"
        : "refused with a 4xx (Kalshi's changelog: 'Cannot specify both immediate_or_cancel and expiration_ts')";
    return withPlan(ctx, expected, async (plan) => {
      const expiration = Math.floor(ctx.nowMs() / 1000) + 3_600;
      const placed = await place(ctx, plan, {
        time_in_force: "immediate_or_cancel",
        expiration_time: expiration,
      });
      const r = placed.result;
      if (r.ok) {
        const s = await settle(ctx, plan, r.value.order_id, r.value.fill_count);
        return {
          verdict: "fail",
          expected,
          observed: `accepted: ${s.order ? describeOrder(s.order) : (s.readError ?? "")}`,
        };
      }
      if (r.outcome !== "rejected" || r.failure.status === undefined)
        return {
          verdict: "could_not_check",
          expected,
          observed: `no clear answer: ${describeFailure(r.failure)}`,
        };
      const ok =
        r.failure.status >= 400 &&
        r.failure.status < 500 &&
        (ctx.target !== "sim" || /immediate_or_cancel and expiration/.test(r.failure.message));
      return { verdict: ok ? "pass" : "fail", expected, observed: `refused: ${describeFailure(r.failure)}` };
    });
  },
};

export const postOnlyCross: Check = {
  id: "post-only-cross",
  assumption:
    "A post-only order that would cross is refused (or cancelled), never filled: take-profits never take",
  async run(ctx) {
    const expected =
      ctx.target === "sim"
        ? "400 invalid_order, details 'post only cross' (as the simulator documents)"
        : "refused (Kalshi: code invalid_order, details 'post only cross'), or accepted and cancelled (PostOnlyCrossCancel); nothing filled";
    return withPlan(ctx, expected, async (plan) => {
      const book = await ctx.rest.getOrderbook(plan.ticker);
      if (!book.ok)
        return {
          verdict: "could_not_check",
          expected,
          observed: `order book read failed: ${book.failure.message}`,
        };
      const { bestAsk } = bookTop(book.value);
      if (bestAsk === null)
        return { verdict: "could_not_check", expected, observed: `${plan.ticker} has no ask to cross` };
      const placed = await place(ctx, plan, { price: formatPrice(bestAsk), post_only: true });
      const r = placed.result;
      if (!r.ok) {
        const f = r.failure;
        const status = f.status;
        if (r.outcome !== "rejected" || status === undefined)
          return { verdict: "could_not_check", expected, observed: `no clear answer: ${describeFailure(f)}` };
        const ok =
          status >= 400 &&
          status < 500 &&
          (ctx.target !== "sim" || (f.code === "invalid_order" && /post only cross/.test(f.message)));
        return {
          verdict: ok ? "pass" : "fail",
          expected,
          observed: `bid at the ask ${formatPrice(bestAsk)}: refused: ${describeFailure(f)}`,
        };
      }
      const s = await settle(ctx, plan, r.value.order_id, r.value.fill_count);
      const what = s.order ? describeOrder(s.order) : (s.readError ?? "");
      if (s.filled > 0)
        return {
          verdict: "fail",
          expected,
          observed: `bid at the ask ${formatPrice(bestAsk)}: accepted and FILLED: ${what}`,
        };
      if (s.wasResting)
        return {
          verdict: "could_not_check",
          expected,
          observed: `the ask at ${formatPrice(bestAsk)} left before the order arrived (it rested; cancelled)`,
        };
      const ok = ctx.target !== "sim";
      return {
        verdict: ok ? "pass" : "fail",
        expected,
        observed: `bid at the ask ${formatPrice(bestAsk)}: accepted and cancelled: ${what}`,
      };
    });
  },
};
