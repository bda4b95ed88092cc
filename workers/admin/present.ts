/**
 * What the admin API answers: the account's shapes with their integer units kept (price $0.0001,
 * count 1/100 contract, money micro-dollars: exact, for programs) plus human strings beside them
 * (for people and the dashboard): `equity: 10012340000` and `equityDollars: "10012.34"`.
 *
 * Naming follows Kalshi's wire: a price or an amount of money gets `<name>Dollars`, a count
 * `<name>Fp` (Kalshi's `count_fp`). Prices keep Kalshi's 4 decimals (`"0.5600"`), counts 2
 * (`"2.00"`); money is exact with at least 2 decimals and no trailing zeros past them
 * (`"10012.34"`, `"0.005"`, `"-1.25"`), so no rounding ever hides a sub-cent amount.
 * Pure: the routes and the dashboard call it on what the account object returned.
 */
import type { MoneyMicros, PriceUnits, RoundTrip } from "../../shared/domain.ts";
import { formatCount, formatMoney, formatPrice } from "../../shared/kalshi/units.ts";
import type { AccountStatus, PositionView } from "../account/account.ts";
import type { JournalOrder } from "../executor/journal.ts";

/** Micro-dollars as an exact dollar string with 2 to 6 decimals: 10 012 340 000 -> "10012.34". */
export function dollars(m: MoneyMicros): string {
  return formatMoney(m).replace(/(\.\d\d\d*?)0+$/, "$1");
}

export function dollarsOrNull(m: MoneyMicros | null): string | null {
  return m === null ? null : dollars(m);
}

/** Price units as Kalshi's dollar string: 5600 -> "0.5600". */
export function priceDollars(p: PriceUnits): string {
  return formatPrice(p);
}

export function priceOrNull(p: PriceUnits | null): string | null {
  return p === null ? null : formatPrice(p);
}

/** Count units as contracts: 250 -> "2.50". */
export function contracts(c: number): string {
  return formatCount(c);
}

export type PositionOut = ReturnType<typeof presentPosition>;

export function presentPosition(p: PositionView) {
  return {
    ...p,
    contractsFp: contracts(p.contracts),
    avgEntryDollars: priceDollars(p.avgEntry),
    costDollars: dollars(p.cost),
    feesDollars: dollars(p.fees),
    markDollars: priceOrNull(p.mark),
    unrealizedDollars: dollarsOrNull(p.unrealized),
    takeProfitDollars: priceOrNull(p.takeProfit),
    stopDollars: priceOrNull(p.stop),
    takeProfitWorkingFp: contracts(p.takeProfitWorking),
    exitWorkingFp: contracts(p.exitWorking),
  };
}

export type StatusOut = ReturnType<typeof presentStatus>;

export function presentStatus(s: AccountStatus) {
  return {
    ...s,
    equityDollars: dollarsOrNull(s.equity),
    dayPnlDollars: dollarsOrNull(s.dayPnl),
    startOfDayEquityDollars: dollarsOrNull(s.startOfDayEquity),
    balanceDollars: dollarsOrNull(s.balance),
    positions: s.positions.map(presentPosition),
  };
}

export type OrderIn = Omit<JournalOrder, "body">;

export function presentOrder(o: OrderIn) {
  return {
    ...o,
    priceDollars: priceDollars(o.price),
    countFp: contracts(o.count),
    filledFp: contracts(o.filled),
    feesDollars: dollars(o.fees),
    fillCostDollars: dollars(o.fillCost),
  };
}

export function presentTrade(t: RoundTrip) {
  return {
    ...t,
    contractsFp: contracts(t.contracts),
    avgEntryDollars: priceDollars(t.avgEntry),
    avgExitDollars: priceDollars(t.avgExit),
    feesDollars: dollars(t.fees),
    pnlDollars: dollars(t.pnl),
  };
}

export interface PnlDay {
  day: string;
  net: MoneyMicros;
  fees: MoneyMicros;
  trades: number;
  wins: number;
}

export function presentPnlDay(d: PnlDay) {
  return { ...d, netDollars: dollars(d.net), feesDollars: dollars(d.fees) };
}
