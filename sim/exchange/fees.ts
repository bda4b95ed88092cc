/**
 * Kalshi trading fees in exact integer maths (Kalshi's fee schedule and fee-rounding guide).
 *
 *   taker: roundup( M x 0.07   x C x P x (1 - P) )
 *   maker: roundup( M x 0.0175 x C x P x (1 - P) )   only on `quadratic_with_maker_fees`
 *          roundup( M x 0.035  x C x P x (1 - P) )   on `quadratic_with_combo_maker_fees`
 *
 * rounded up per fill to $0.0001 (100 micro-dollars). P is the trade price (P(1-P) is the
 * same on either leg), C contracts, M the series multiplier (ppm here). With units
 * p = P x 10^4, c = C x 10^2, m = M x 10^6, the taker fee in micro-dollars is
 * m x 7 x c x p x (10^4 - p) / 10^12, which overflows a double, so it runs in BigInt.
 * `flat` series use the "Specific Trading Fees Table" of Kalshi's fee schedule PDF, which could not
 * be found; the simulator charges takers a placeholder M x $0.01 per contract there (a known
 * deviation, listed in sim/README.md).
 * Kalshi's later "rounding fee" and whole-cent rebate accumulator are not modelled.
 */

import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/kalshi/units.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { FeeType } from "./types.ts";

const FEE_ROUNDING: bigint = 100n; // $0.0001 in micro-dollars
// denominators of m x 7 x c x p x (1e4 - p) for each rate (0.07, 0.0175 = 0.07/4, 0.035 = 0.07/2)
const TAKER_DEN: bigint = 1_000_000_000_000n;
const MAKER_DEN: bigint = 4n * TAKER_DEN;
const COMBO_MAKER_DEN: bigint = 2n * TAKER_DEN;

function roundUp(num: bigint, den: bigint): MoneyMicros {
  const unit = den * FEE_ROUNDING;
  return Number(((num + unit - 1n) / unit) * FEE_ROUNDING);
}

/** The fee for one fill of `count` at YES price `price`, in micro-dollars. */
export function fillFee(
  feeType: FeeType,
  multiplierPpm: number,
  price: PriceUnits,
  count: CountUnits,
  isTaker: boolean,
): MoneyMicros {
  if (count <= 0) return 0;
  if (feeType === "flat") {
    // assumption: M x $0.01 per contract, takers only; $0.01 x c/100 = c x 100 micros
    return isTaker ? roundUp(BigInt(multiplierPpm) * BigInt(count) * 100n, 1_000_000n) : 0;
  }
  let den: bigint;
  if (isTaker) den = TAKER_DEN;
  else if (feeType === "quadratic_with_maker_fees") den = MAKER_DEN;
  else if (feeType === "quadratic_with_combo_maker_fees") den = COMBO_MAKER_DEN;
  else return 0;
  const num = BigInt(multiplierPpm) * 7n * BigInt(count) * BigInt(price) * BigInt(PRICE_SCALE - price);
  return roundUp(num, den);
}

/**
 * The most a buy of `count` with limit `limitLegPrice` (on the leg bought) can pay in fees in one
 * fill: the taker fee at the price in [0, limit] that maximises P(1 - P). Used to reserve balance.
 */
export function maxFee(
  feeType: FeeType,
  multiplierPpm: number,
  limitLegPrice: PriceUnits,
  count: CountUnits,
): MoneyMicros {
  const worst = Math.min(limitLegPrice, PRICE_SCALE / 2);
  return fillFee(feeType, multiplierPpm, worst, count, true);
}
