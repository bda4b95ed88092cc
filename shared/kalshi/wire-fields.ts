/**
 * Field formats Kalshi uses in both its REST and WebSocket payloads, defined once: zod schemas for
 * the fixed-point strings (prices, counts, money), the `price_ranges` entry, and the market
 * ticker pattern.
 *
 * The zod fields keep the value a string but require well-formed fixed point (`fixedOrNaN` from
 * units.ts): prices up to 4 decimals in [0, 1], counts up to 2 decimals, money up to 6 decimals.
 * `ws-messages.ts` and `rest-schemas.ts` build their schemas from these, and the simulator
 * (`sim/server/ws.ts`) checks subscription tickers with `MARKET_TICKER_RE`, so the bot's command
 * builders and the simulator agree on what a ticker is.
 */

import { z } from "zod";
import {
  COUNT_DECIMALS,
  fixedOrNaN,
  MAX_COUNT,
  MAX_MONEY,
  MONEY_DECIMALS,
  PRICE_DECIMALS,
  PRICE_SCALE,
} from "./units.ts";

function isFixed(s: string, decimals: number, signed: boolean, max: number): boolean {
  return !Number.isNaN(fixedOrNaN(s, decimals, signed, max));
}

/** Dollar price, up to 4 decimals, in [0, 1]: `"0.5600"`. */
export const PriceStr = z
  .string()
  .refine((s) => isFixed(s, PRICE_DECIMALS, false, PRICE_SCALE), "expected a dollar price string in [0, 1]");
/** Non-negative contract count, up to 2 decimals: `"10.00"`. */
export const CountStr = z
  .string()
  .refine((s) => isFixed(s, COUNT_DECIMALS, false, MAX_COUNT), "expected a non-negative count string");
/** Signed contract count (`delta_fp`, `position_fp`): `"-54.00"`. */
export const SignedCountStr = z
  .string()
  .refine((s) => isFixed(s, COUNT_DECIMALS, true, MAX_COUNT), "expected a signed count string");
/** Signed dollar amount, up to 6 decimals: `"0.010000"`, `"-1.2500"`. */
export const MoneyStr = z
  .string()
  .refine((s) => isFixed(s, MONEY_DECIMALS, true, MAX_MONEY), "expected a dollar amount string");

/** One entry of a market's `price_ranges` (REST Market, WS `market_lifecycle_v2`). */
export const PriceRangeWire = z.object({ start: PriceStr, end: PriceStr, step: PriceStr });
export type PriceRangeWire = z.infer<typeof PriceRangeWire>;

/**
 * A market ticker. The spec says `^[A-Z0-9-]+$`, but its own examples (`CPI-22DEC-TN0.1`,
 * `FED-23DEC-T3.00`, `KXBTCD-25AUG0517-T114999.99`) and Kalshi's live strike tickers carry `.`,
 * so `.` is allowed. Used for outbound commands (the bot's builders) and by the simulator.
 */
export const MARKET_TICKER_RE = /^[A-Z0-9.-]+$/;

export function isMarketTicker(v: unknown): v is string {
  return typeof v === "string" && MARKET_TICKER_RE.test(v);
}
