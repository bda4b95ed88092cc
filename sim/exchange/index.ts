/**
 * The simulator's exchange core, for `sim/server/` and `sim/main.ts`: build one with
 * `createExchange({ seed, markets, clock, users })` and a `SteppedClock` (tests) or a
 * `RealClock(() => Date.now())` (a local run). Shapes are in `types.ts`.
 */

export { RealClock, type SimClock, SteppedClock } from "./clock.ts";
export {
  type CreateMarketInput,
  createExchange,
  Exchange,
  type ExchangeCounters,
  type ExchangeOptions,
  HOUSE_PARTICIPANT,
  type LedgerTotals,
  type RequestRecord,
  type UserSnapshot,
} from "./exchange.ts";
export { fillFee } from "./fees.ts";
export type * from "./types.ts";
