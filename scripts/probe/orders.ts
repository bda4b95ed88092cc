/**
 * Placing, reading and cancelling the probe's orders through the bot's REST client. Every order is
 * a V2 create as the order path builds it (`exchange_index`, `self_trade_prevention_type`,
 * a UUID `client_order_id`), by default a good-till-cancelled bid of the plan's size at the lowest
 * tradable price, so it rests far below the market. Client order ids and accepted orders are
 * registered with the cleanup before and as they happen. Used by the order and group checks.
 */
import type { Failure } from "../../shared/kalshi/errors.ts";
import type { Priority } from "../../shared/kalshi/rate-limiter.ts";
import type { Result, WriteResult } from "../../shared/kalshi/rest-client.ts";
import type { CreateOrderV2Request, CreateOrderV2Response, Order } from "../../shared/kalshi/rest-schemas.ts";
import {
  COUNT_DECIMALS,
  fixedOrNaN,
  formatCount,
  formatPrice,
  MAX_COUNT,
} from "../../shared/kalshi/units.ts";
import type { HttpExchange } from "./http.ts";
import type { ProbeContext, ProbePlan } from "./types.ts";

export const CREATE_PATH = "/portfolio/events/orders";

export interface Placed {
  clientOrderId: string;
  body: CreateOrderV2Request & { client_order_id: string };
  result: WriteResult<CreateOrderV2Response>;
  /** the HTTP answer, when one came */
  answer: HttpExchange | undefined;
}

export function baseOrder(
  ctx: ProbeContext,
  plan: ProbePlan,
  extra: Partial<CreateOrderV2Request> = {},
): CreateOrderV2Request & { client_order_id: string } {
  return {
    ticker: plan.ticker,
    client_order_id: ctx.newClientOrderId(plan.ticker),
    side: "bid",
    count: formatCount(plan.count),
    price: formatPrice(plan.restingBid),
    time_in_force: "good_till_canceled",
    self_trade_prevention_type: "taker_at_cross",
    exchange_index: plan.exchangeIndex,
    ...extra,
  };
}

export async function place(
  ctx: ProbeContext,
  plan: ProbePlan,
  extra: Partial<CreateOrderV2Request> = {},
  priority: Priority = "open",
): Promise<Placed> {
  const body = baseOrder(ctx, plan, extra);
  const mark = ctx.http.mark();
  const result = await ctx.rest.createOrder(body, priority);
  if (result.ok) ctx.cleanup.order(result.value.order_id, plan.ticker, plan.exchangeIndex);
  return {
    clientOrderId: body.client_order_id,
    body,
    result,
    answer: ctx.http.since(mark, "POST", CREATE_PATH),
  };
}

/** Cancels an order of the plan's market; failures are left to the cleanup's final pass. */
export async function cancelQuietly(ctx: ProbeContext, plan: ProbePlan, orderId: string): Promise<void> {
  await ctx.rest.cancelOrder(orderId, { exchange_index: plan.exchangeIndex });
}

/** Contracts (1/100) of a count string; NaN when unreadable. */
export function countOf(s: string | null | undefined): number {
  return typeof s === "string" ? fixedOrNaN(s, COUNT_DECIMALS, false, MAX_COUNT) : Number.NaN;
}

/** One line for a failed write: the status, Kalshi's code, message and details as the classifier read them. */
export function describeFailure(f: Failure): string {
  return f.message;
}

export interface Settled {
  /** the order as last read, or null when it could not be read */
  order: Order | null;
  /** it was still resting and the probe cancelled it */
  wasResting: boolean;
  filled: number;
  readError?: string;
}

/** Spacing and number of reads while the REST view catches up with the matching engine. */
export const READ_RETRY_MS = 500;
export const READ_TRIES = 10;

/**
 * Reads until `done` holds (an order not yet visible, `not_found`, is read again), at most
 * `tries` times `READ_RETRY_MS` apart: Kalshi's REST portfolio view lags its matching engine
 * slightly. Returns the last result.
 */
export async function readUntil<T>(
  ctx: ProbeContext,
  read: () => Promise<Result<T>>,
  done: (v: T) => boolean,
  tries = READ_TRIES,
): Promise<Result<T>> {
  let r = await read();
  for (let i = 1; i < tries; i++) {
    if (r.ok ? done(r.value) : r.failure.reason !== "not_found" && !r.failure.retryable) return r;
    await ctx.sleep(READ_RETRY_MS);
    r = await read();
  }
  return r;
}

/** The order once it is visible and `done` holds (or after the last try). */
export function readOrder(
  ctx: ProbeContext,
  orderId: string,
  done: (o: Order) => boolean = () => true,
  tries = READ_TRIES,
): Promise<Result<Order>> {
  return readUntil(ctx, () => ctx.rest.getOrder(orderId), done, tries);
}

/** Reads of an order that should leave `resting` on its own (an IOC, a capped reduce-only) before it counts as resting. */
const SETTLE_TRIES = 4;

/**
 * Reads an accepted order and cancels it if it still rests: what an accepted order turned into.
 * `filled` comes from the read, else from the create answer.
 */
export async function settle(
  ctx: ProbeContext,
  plan: ProbePlan,
  orderId: string,
  createFill: string,
): Promise<Settled> {
  const got = await readOrder(ctx, orderId, (o) => o.status !== "resting", SETTLE_TRIES);
  if (!got.ok) {
    await cancelQuietly(ctx, plan, orderId);
    return { order: null, wasResting: false, filled: countOf(createFill), readError: got.failure.message };
  }
  const wasResting = got.value.status === "resting";
  if (wasResting) await cancelQuietly(ctx, plan, orderId);
  return { order: got.value, wasResting, filled: countOf(got.value.fill_count_fp) };
}

/** `canceled (ReduceOnlyCancel)`, `resting`, ... */
export function describeOrder(o: Order): string {
  return `${o.status}${o.last_update_reason ? ` (${o.last_update_reason})` : ""}, filled ${o.fill_count_fp}`;
}
