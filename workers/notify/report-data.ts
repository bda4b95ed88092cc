/**
 * The daily report's figures, as a pure function of one trading day's records: realised P&L
 * (net of fees, gross, fees) from the round trips closed that day, wins and losses, the best and
 * worst markets, fees paid on every fill of the day, breaker trips, reconciliation differences,
 * the equity curve from the 5-minute account snapshots, and the positions still open at the end.
 * The report job (`report-job.ts`) builds the input from the account object's tables and hands
 * the result to `renderDailyReport`; history may store it as the day's report row.
 *
 * Money is integer micro-dollars throughout; percentages are exact tenths of a percent. Records
 * outside the day's window are ignored, so a caller may pass a superset (the last 24 hours).
 */
import type {
  CountUnits,
  ExitReason,
  Fill,
  MoneyMicros,
  Position,
  PriceUnits,
  RoundTrip,
  Side,
} from "../../shared/domain.ts";
import { avgEntry } from "../../shared/domain.ts";
import { percentTenths } from "./format.ts";
import { dayBounds, isValidTimeZone } from "./trading-day.ts";

export { dayBounds, tradingDayOf } from "./trading-day.ts";

/** One account snapshot: total equity (cash + marked positions) at a moment. */
export interface EquityPoint {
  atMs: number;
  equity: MoneyMicros;
}

/** A circuit breaker that tripped, with the figures that tripped it. */
export interface BreakerTripRecord {
  atMs: number;
  breaker: string;
  reason: string;
  numbers: Readonly<Record<string, number>>;
}

/** A difference reconciliation found between the journal and the exchange. */
export interface ReconDifferenceRecord {
  atMs: number;
  kind: string;
  ticker?: string | null;
  detail: string;
}

export interface DailyReportInput {
  account: string;
  /** `YYYY-MM-DD`, the trading day in `timeZone`. */
  day: string;
  timeZone: string;
  /** Round trips closed during the day (others are ignored). */
  roundTrips: readonly RoundTrip[];
  /** Fills of the day, for the fees paid (others are ignored). */
  fills: readonly Fill[];
  /** The day's account snapshots (every 5 minutes), any order. */
  equity: readonly EquityPoint[];
  breakerTrips: readonly BreakerTripRecord[];
  reconDiffs: readonly ReconDifferenceRecord[];
  /** Equity at the day's start and end; null = take the first / last snapshot of the day. */
  startEquity: MoneyMicros | null;
  endEquity: MoneyMicros | null;
  /** Positions open at the end of the day. */
  openPositions: readonly Position[];
}

export interface MarketSummary {
  ticker: string;
  roundTrips: number;
  wins: number;
  losses: number;
  /** Before fees. */
  gross: MoneyMicros;
  fees: MoneyMicros;
  /** Net of fees (gross - fees). */
  net: MoneyMicros;
}

export interface RoundTripLine {
  ticker: string;
  side: Side;
  contracts: CountUnits;
  avgEntry: PriceUnits;
  avgExit: PriceUnits;
  openedMs: number;
  closedMs: number;
  reason: ExitReason;
  fees: MoneyMicros;
  net: MoneyMicros;
}

export interface OpenPositionLine {
  ticker: string;
  side: Side;
  contracts: CountUnits;
  avgEntry: PriceUnits;
  cost: MoneyMicros;
  openedMs: number;
}

export interface EquitySummary {
  /** Start and end of the day; null when neither given nor snapshotted. */
  start: MoneyMicros | null;
  end: MoneyMicros | null;
  /** end - start; null when either is unknown. */
  change: MoneyMicros | null;
  /** change / start in tenths of a percent; null when unknown or start is 0. */
  changeTenthsPct: number | null;
  /** Lowest and highest snapshot; null without snapshots. */
  low: MoneyMicros | null;
  high: MoneyMicros | null;
  /** Largest fall from a running peak over the snapshots (>= 0). */
  maxDrawdown: MoneyMicros;
  /** The day's snapshots, in time order. */
  points: EquityPoint[];
}

export interface DailyReportData {
  account: string;
  day: string;
  timeZone: string;
  startMs: number;
  endMs: number;
  pnl: {
    /** Realised on round trips closed today, net of their fees. */
    net: MoneyMicros;
    /** Before fees (net + fees). */
    gross: MoneyMicros;
    /** Fees of the round trips closed today (some may have been paid on earlier days). */
    fees: MoneyMicros;
  };
  /** Fees charged on every fill of the day, open positions included. */
  feesPaid: MoneyMicros;
  fillCount: number;
  roundTripCount: number;
  wins: number;
  losses: number;
  /** Round trips that closed at exactly zero net. */
  scratches: number;
  /** wins / round trips, tenths of a percent; null without round trips. */
  winRateTenthsPct: number | null;
  /** Every market traded to a close today, best net first (ties by ticker). */
  markets: MarketSummary[];
  /** Up to three markets with a positive net, best first. */
  best: MarketSummary[];
  /** Up to three markets with a negative net, worst first. */
  worst: MarketSummary[];
  /** Round trips in closing order. */
  roundTrips: RoundTripLine[];
  breakerTrips: BreakerTripRecord[];
  reconDiffs: ReconDifferenceRecord[];
  equity: EquitySummary;
  /** Open at the end of the day, by ticker. */
  openPositions: OpenPositionLine[];
}

const TOP_MARKETS = 3;

function inWindow(ms: number, startMs: number, endMs: number): boolean {
  return ms >= startMs && ms < endMs;
}

function byTicker(a: { ticker: string }, b: { ticker: string }): number {
  return a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0;
}

function summariseMarkets(trips: readonly RoundTrip[]): MarketSummary[] {
  const by = new Map<string, MarketSummary>();
  for (const t of trips) {
    let m = by.get(t.ticker);
    if (m === undefined) {
      m = { ticker: t.ticker, roundTrips: 0, wins: 0, losses: 0, gross: 0, fees: 0, net: 0 };
      by.set(t.ticker, m);
    }
    m.roundTrips += 1;
    if (t.pnl > 0) m.wins += 1;
    else if (t.pnl < 0) m.losses += 1;
    m.fees += t.fees;
    m.net += t.pnl;
    m.gross += t.pnl + t.fees;
  }
  return [...by.values()].sort((a, b) => b.net - a.net || byTicker(a, b));
}

function summariseEquity(
  points: readonly EquityPoint[],
  startGiven: MoneyMicros | null,
  endGiven: MoneyMicros | null,
): EquitySummary {
  const sorted = [...points].sort((a, b) => a.atMs - b.atMs);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const start = startGiven ?? first?.equity ?? null;
  const end = endGiven ?? last?.equity ?? null;
  let low: MoneyMicros | null = null;
  let high: MoneyMicros | null = null;
  let peak: MoneyMicros | null = start;
  let maxDrawdown = 0;
  for (const p of sorted) {
    if (low === null || p.equity < low) low = p.equity;
    if (high === null || p.equity > high) high = p.equity;
    if (peak === null || p.equity > peak) peak = p.equity;
    maxDrawdown = Math.max(maxDrawdown, peak - p.equity);
  }
  const change = start !== null && end !== null ? end - start : null;
  const changeTenthsPct = change !== null && start !== null ? percentTenths(change, start) : null;
  return { start, end, change, changeTenthsPct, low, high, maxDrawdown, points: sorted };
}

/** The day's figures. Throws RangeError on a malformed day or an unknown time zone. */
export function dailyReportData(input: DailyReportInput): DailyReportData {
  if (!isValidTimeZone(input.timeZone))
    throw new RangeError(`unknown time zone ${JSON.stringify(input.timeZone)}`);
  const { startMs, endMs } = dayBounds(input.day, input.timeZone);
  const trips = input.roundTrips
    .filter((t) => inWindow(t.closedMs, startMs, endMs))
    .sort((a, b) => a.closedMs - b.closedMs || (a.positionId < b.positionId ? -1 : 1));
  const fills = input.fills.filter((f) => inWindow(f.tsMs, startMs, endMs));

  let net = 0;
  let fees = 0;
  let wins = 0;
  let losses = 0;
  for (const t of trips) {
    net += t.pnl;
    fees += t.fees;
    if (t.pnl > 0) wins += 1;
    else if (t.pnl < 0) losses += 1;
  }
  const markets = summariseMarkets(trips);

  return {
    account: input.account,
    day: input.day,
    timeZone: input.timeZone,
    startMs,
    endMs,
    pnl: { net, gross: net + fees, fees },
    feesPaid: fills.reduce((s, f) => s + f.fee, 0),
    fillCount: fills.length,
    roundTripCount: trips.length,
    wins,
    losses,
    scratches: trips.length - wins - losses,
    winRateTenthsPct: percentTenths(wins, trips.length),
    markets,
    best: markets.filter((m) => m.net > 0).slice(0, TOP_MARKETS),
    worst: markets
      .filter((m) => m.net < 0)
      .sort((a, b) => a.net - b.net || byTicker(a, b))
      .slice(0, TOP_MARKETS),
    roundTrips: trips.map((t) => ({
      ticker: t.ticker,
      side: t.side,
      contracts: t.contracts,
      avgEntry: t.avgEntry,
      avgExit: t.avgExit,
      openedMs: t.openedMs,
      closedMs: t.closedMs,
      reason: t.reason,
      fees: t.fees,
      net: t.pnl,
    })),
    breakerTrips: input.breakerTrips
      .filter((b) => inWindow(b.atMs, startMs, endMs))
      .sort((a, b) => a.atMs - b.atMs),
    reconDiffs: input.reconDiffs
      .filter((r) => inWindow(r.atMs, startMs, endMs))
      .sort((a, b) => a.atMs - b.atMs),
    equity: summariseEquity(
      input.equity.filter((p) => inWindow(p.atMs, startMs, endMs)),
      input.startEquity,
      input.endEquity,
    ),
    openPositions: input.openPositions
      .filter((p) => p.contracts > 0)
      .map((p) => ({
        ticker: p.ticker,
        side: p.side,
        contracts: p.contracts,
        avgEntry: avgEntry(p),
        cost: p.cost,
        openedMs: p.openedMs,
      }))
      .sort(byTicker),
  };
}
