/**
 * The stateless checks on an order request, in the order Kalshi appears to apply them, each
 * returning a Kalshi-like `Rejection` (Kalshi's Create Order (V2) reference and Order Errors page): shard, market status, price on
 * the tick grid (never $0 or $1), count in 0.01 steps, time in force versus expiration. Checks
 * that need account or book state (duplicates, post-only, reduce-only, balance) live in the
 * exchange.
 */

import type { CountUnits, PriceUnits } from "../../shared/kalshi/units.ts";
import { MAX_COUNT } from "../../shared/kalshi/units.ts";
import { isOnGrid } from "./grid.ts";
import type { CreateOrderInput, Rejection, SimMarket } from "./types.ts";

export function reject(status: number, code: string, message: string, details?: string): Rejection {
  return details === undefined
    ? { ok: false, status, code, message }
    : { ok: false, status, code, message, details };
}

export function notFound(what: string): Rejection {
  return reject(404, "not_found", `${what} not found`);
}

export function marketInactive(market: SimMarket): Rejection {
  return reject(400, "market_inactive", `market ${market.ticker} is ${market.status}`);
}

export function checkPrice(market: SimMarket, price: PriceUnits): Rejection | undefined {
  if (!isOnGrid(market.priceRanges, price)) {
    return reject(400, "invalid_price", `price ${price} is not on the market's tick grid or is $0/$1`);
  }
  return undefined;
}

export function checkCount(count: CountUnits): Rejection | undefined {
  if (!Number.isInteger(count) || count <= 0 || count > MAX_COUNT) {
    return reject(400, "invalid_order_size", "count must be a positive multiple of 0.01");
  }
  return undefined;
}

export function checkExchangeIndex(
  market: SimMarket,
  exchangeIndex: number | undefined,
): Rejection | undefined {
  if (exchangeIndex === undefined || exchangeIndex === -1 || exchangeIndex === market.exchangeIndex)
    return undefined;
  return reject(
    400,
    "invalid_order",
    `exchange_index ${exchangeIndex} does not match the market's shard`,
    `market ${market.ticker} is on exchange_index ${market.exchangeIndex}`,
  );
}

/** Everything about a create request that depends only on the market and the time. */
export function checkNewOrder(
  market: SimMarket,
  input: CreateOrderInput,
  nowMs: number,
): Rejection | undefined {
  const shard = checkExchangeIndex(market, input.exchangeIndex);
  if (shard) return shard;
  if (market.status !== "active") return marketInactive(market);
  const price = checkPrice(market, input.price);
  if (price) return price;
  const count = checkCount(input.count);
  if (count) return count;
  if (input.expirationTimeSec !== undefined) {
    if (input.timeInForce === "immediate_or_cancel") {
      return reject(400, "invalid_order", "Cannot specify both immediate_or_cancel and expiration_ts");
    }
    if (input.timeInForce !== "good_till_canceled") {
      return reject(400, "invalid_order", "expiration_time is only allowed with good_till_canceled");
    }
    if (!Number.isInteger(input.expirationTimeSec) || input.expirationTimeSec * 1000 <= nowMs) {
      return reject(400, "invalid_order", "Expiration timestamp must be in the future");
    }
  }
  return undefined;
}
