/**
 * Kalshi trading fees in exact integer maths, for the strategy's expected value, the sizing
 * rule's risk per contract and anything else that must predict a fee before the exchange
 * charges it. The exchange's `fee_cost` on each fill stays the authority; this module only
 * predicts it. Pure: the clock (for fee waivers) is passed in.
 *
 * The formula (Kalshi's published fee schedule, and for the rounding
 * https://docs.kalshi.com/getting_started/fee_rounding):
 *
 *   taker: roundup( M x 0.07            x C x P x (1 - P) )
 *   maker: roundup( M x 0.25 x 0.07     x C x P x (1 - P) )   `quadratic_with_maker_fees`
 *          roundup( M x 0.50 x 0.07     x C x P x (1 - P) )   `quadratic_with_combo_maker_fees`
 *          0                                                  `quadratic` (takers only)
 *
 * P is the trade price in dollars (P(1 - P) is the same on either leg), C the contracts, M the
 * series multiplier. The trade fee of each fill is rounded up to $0.0001 (100 micro-dollars).
 * In integer units (p = P x 10^4, c = C x 10^2, m = M x 10^6) the taker fee in micro-dollars is
 * m x 7 x c x p x (10^4 - p) / 10^12; the product overflows a double, so it runs in BigInt.
 * The exchange's later balance "rounding fee" and its whole-cent rebates are not predicted:
 * they converge to the single-fill cost computed here (see docs/strategy.md).
 *
 * `flat` series charge from a fixed table in the fee schedule that we could not obtain, so the
 * fee there is unknown: the quote says so, and the strategy refuses entries on flat series
 * unless the operator configures a per-contract flat fee (`flatFee`).
 */

import type { FeeParams } from "./domain.ts";
import type { CountUnits, MoneyMicros, PriceUnits } from "./kalshi/units.ts";
import { MAX_COUNT, PRICE_SCALE } from "./kalshi/units.ts";

/** A trade fee is rounded up to $0.0001 per fill. */
export const FEE_ROUNDING_MICROS: MoneyMicros = 100;

const ROUNDING = 100n;
// Denominators of m x 7 x c x p x (1e4 - p) for each rate: 0.07, 0.07 / 4 and 0.07 / 2.
const TAKER_DEN = 1_000_000_000_000n;
const MAKER_DEN = 4n * TAKER_DEN;
const COMBO_MAKER_DEN = 2n * TAKER_DEN;
/** Fee multipliers above 1000 are refused, as `multiplierToPpm` refuses them. */
const MAX_MULTIPLIER_PPM = 1_000_000_000;

/** Why a fee cannot be predicted. */
export type FeeUnknownReason = "flat_fee_unknown" | "invalid_price" | "invalid_count" | "invalid_multiplier";

/** A predicted fee for one fill, or why there is none. */
export type FeeQuote =
  | { ok: true; fee: MoneyMicros }
  | { ok: false; reason: FeeUnknownReason; message: string };

/** Who pays: the order that took liquidity or the one resting on the book. */
export type FeeRole = "taker" | "maker";

function roundUp(num: bigint, den: bigint): MoneyMicros {
  const unit = den * ROUNDING;
  return Number(((num + unit - 1n) / unit) * ROUNDING);
}

function invalid(fee: FeeParams, price: PriceUnits, count: CountUnits): FeeQuote | null {
  if (!Number.isInteger(price) || price < 0 || price > PRICE_SCALE) {
    return {
      ok: false,
      reason: "invalid_price",
      message: `price ${price} is not an integer in [0, ${PRICE_SCALE}]`,
    };
  }
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
    return {
      ok: false,
      reason: "invalid_count",
      message: `count ${count} is not an integer in [0, ${MAX_COUNT}]`,
    };
  }
  const m = fee.multiplierPpm;
  if (!Number.isInteger(m) || m < 0 || m > MAX_MULTIPLIER_PPM) {
    return {
      ok: false,
      reason: "invalid_multiplier",
      message: `fee multiplier ${m} ppm is not an integer in [0, ${MAX_MULTIPLIER_PPM}]`,
    };
  }
  return null;
}

/** True while the market's fee waiver runs (`nowMs` strictly before the waiver's end). */
export function feeWaived(fee: FeeParams, nowMs: number): boolean {
  return fee.waiverUntilMs !== null && nowMs < fee.waiverUntilMs;
}

function quote(role: FeeRole, fee: FeeParams, price: PriceUnits, count: CountUnits, nowMs: number): FeeQuote {
  const bad = invalid(fee, price, count);
  if (bad !== null) return bad;
  if (feeWaived(fee, nowMs) || count === 0) return { ok: true, fee: 0 };
  let den: bigint;
  switch (fee.feeType) {
    case "flat":
      return {
        ok: false,
        reason: "flat_fee_unknown",
        message:
          "flat-fee series: Kalshi's flat fee table is not known to the bot (configure flatFeePerContract)",
      };
    case "quadratic":
      if (role === "maker") return { ok: true, fee: 0 };
      den = TAKER_DEN;
      break;
    case "quadratic_with_maker_fees":
      den = role === "maker" ? MAKER_DEN : TAKER_DEN;
      break;
    case "quadratic_with_combo_maker_fees":
      den = role === "maker" ? COMBO_MAKER_DEN : TAKER_DEN;
      break;
  }
  const num = BigInt(fee.multiplierPpm) * 7n * BigInt(count) * BigInt(price) * BigInt(PRICE_SCALE - price);
  return { ok: true, fee: roundUp(num, den) };
}

/** The fee a taker fill of `count` at `price` (either leg) pays at `nowMs`. */
export function takerFee(fee: FeeParams, price: PriceUnits, count: CountUnits, nowMs: number): FeeQuote {
  return quote("taker", fee, price, count, nowMs);
}

/** The fee a maker (resting) fill of `count` at `price` pays at `nowMs`; 0 on `quadratic` series. */
export function makerFee(fee: FeeParams, price: PriceUnits, count: CountUnits, nowMs: number): FeeQuote {
  return quote("maker", fee, price, count, nowMs);
}

/** `takerFee` or `makerFee` by role. */
export function feeFor(
  role: FeeRole,
  fee: FeeParams,
  price: PriceUnits,
  count: CountUnits,
  nowMs: number,
): FeeQuote {
  return quote(role, fee, price, count, nowMs);
}

/**
 * An operator-configured flat fee: `perContract` micro-dollars for each whole contract,
 * prorated for fractional counts and rounded up to $0.0001 like any trade fee. Used only where
 * the series is `flat` and the operator has set `flatFeePerContract`.
 */
export function flatFee(perContract: MoneyMicros, count: CountUnits): FeeQuote {
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
    return {
      ok: false,
      reason: "invalid_count",
      message: `count ${count} is not an integer in [0, ${MAX_COUNT}]`,
    };
  }
  if (!Number.isInteger(perContract) || perContract < 0) {
    return {
      ok: false,
      reason: "invalid_multiplier",
      message: `flat fee ${perContract} micro-dollars is not a non-negative integer`,
    };
  }
  // perContract x count / 100 (count is in hundredths of a contract)
  return { ok: true, fee: roundUp(BigInt(perContract) * BigInt(count), 100n) };
}
