/**
 * Shared set-up for the exchange core's tests: a stepped clock, an exchange without the
 * simulated crowd (so books hold only what a test puts there), one `linear_cent` market on a
 * taker-only `quadratic` series, and order-input builders in integer units.
 */

import { SteppedClock } from "./clock.ts";
import { createExchange, type Exchange } from "./exchange.ts";
import type { BookSide, CreateOrderInput, ExchangeEvent, Result } from "./types.ts";

export const START_MS = 1_800_000_000_000;
export const HOUR_MS = 3_600_000;
export const T = "KXHIGHNY-TEST-T60";
export const USD = 1_000_000; // micro-dollars per dollar
export const C = 100; // count units per contract

export interface Harness {
  clock: SteppedClock;
  ex: Exchange;
  events: ExchangeEvent[];
}

export function harness(opts: { structure?: string; seriesTicker?: string; balance?: number } = {}): Harness {
  const clock = new SteppedClock(START_MS);
  const balance = opts.balance ?? 1_000 * USD;
  const ex = createExchange({
    seed: 1,
    markets: 0,
    clock,
    participants: false,
    autoSettle: false,
    users: ["alice", "bob", "carol", "dave"].map((userId) => ({ userId, balance })),
  });
  const made = ex.createMarket({
    ticker: T,
    seriesTicker: opts.seriesTicker ?? "KXHIGHNY",
    priceLevelStructure: opts.structure ?? "linear_cent",
    closeTimeMs: START_MS + HOUR_MS,
    eventualOutcome: "yes",
  });
  if (!made.ok) throw new Error(made.message);
  const events: ExchangeEvent[] = [];
  ex.subscribe((e) => events.push(e));
  return { clock, ex, events };
}

export function gtc(
  side: BookSide,
  price: number,
  contracts: number,
  extra: Partial<CreateOrderInput> = {},
): CreateOrderInput {
  return {
    ticker: T,
    side,
    price,
    count: Math.round(contracts * C),
    timeInForce: "good_till_canceled",
    selfTradePrevention: "taker_at_cross",
    ...extra,
  };
}

export function ok<V>(r: Result<V>): V {
  if (!r.ok) throw new Error(`expected ok, got ${r.status} ${r.code}: ${r.message}`);
  return r.value;
}

export function code<V>(r: Result<V>): string {
  return r.ok ? "ok" : r.code;
}
