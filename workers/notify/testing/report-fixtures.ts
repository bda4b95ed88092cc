/**
 * One trading day's records for the report tests, with the figures worked out by hand in the
 * comments (and asserted in report-data.test.ts). Tickers are shaped like Kalshi's (series, date, strike).
 */
import type { Fill, Position, RoundTrip } from "../../../shared/domain.ts";
import type { DailyReportInput } from "../report-data.ts";
import { dayBounds } from "../trading-day.ts";

export const DAY = "2026-03-09";
export const TZ = "America/New_York";
export const { startMs: START, endMs: END } = dayBounds(DAY, TZ);
const H = 3_600_000;

function trip(
  p: Partial<RoundTrip> & Pick<RoundTrip, "positionId" | "ticker" | "closedMs" | "pnl" | "fees">,
): RoundTrip {
  return {
    side: "yes",
    contracts: 1000,
    avgEntry: 5000,
    avgExit: 5000,
    openedMs: p.closedMs - H,
    reason: "take_profit",
    ...p,
  };
}

export const ROUND_TRIPS: RoundTrip[] = [
  // YES 10 @ 0.56 -> 0.60: gross (6000 - 5600) x 1000 = 400 000; fees 60 000; net 340 000
  trip({
    positionId: "a",
    ticker: "KXHIGHNY-26MAR09-B45",
    avgEntry: 5600,
    avgExit: 6000,
    closedMs: START + 10 * H,
    fees: 60_000,
    pnl: 340_000,
  }),
  // NO 5 @ 0.40 -> 0.30: gross (3000 - 4000) x 500 = -500 000; fees 35 000; net -535 000
  trip({
    positionId: "b",
    ticker: "KXBTCD-26MAR0917-T90000",
    side: "no",
    contracts: 500,
    avgEntry: 4000,
    avgExit: 3000,
    reason: "stop",
    closedMs: START + 12 * H,
    fees: 35_000,
    pnl: -535_000,
  }),
  // closes at the first instant of the day (counted): YES 20 @ 0.50 -> 0.51: gross 200 000; fees 80 000; net 120 000
  trip({
    positionId: "c",
    ticker: "KXHIGHNY-26MAR09-B45",
    contracts: 2000,
    avgEntry: 5000,
    avgExit: 5100,
    closedMs: START,
    fees: 80_000,
    pnl: 120_000,
  }),
  // flat price, fees only: gross 0; fees 20 000; net -20 000 (a loss)
  trip({
    positionId: "d",
    ticker: "KXCPI-26MAR-T0.3",
    avgEntry: 3000,
    avgExit: 3000,
    reason: "timeout",
    closedMs: START + 15 * H,
    fees: 20_000,
    pnl: -20_000,
  }),
  // the previous day's last moment and the next day's first: both left out
  trip({ positionId: "e", ticker: "KXOLD-26MAR08", closedMs: START - 1, fees: 1, pnl: 999_999 }),
  trip({ positionId: "f", ticker: "KXNEXT-26MAR10", closedMs: END, fees: 1, pnl: 999_999 }),
];
// Day totals: net 340 000 - 535 000 + 120 000 - 20 000 = -95 000; fees 195 000; gross 100 000.

function fill(fillId: string, tsMs: number, fee: number): Fill {
  return {
    fillId,
    orderId: "o1",
    ticker: "KXHIGHNY-26MAR09-B45",
    yesPrice: 5600,
    count: 1000,
    yesDelta: 1000,
    fee,
    isTaker: true,
    tsMs,
  };
}

// Fees paid today: 10 000 + 25 000 + 7 500 = 42 500 over 3 fills.
export const FILLS: Fill[] = [
  fill("f1", START + 9 * H, 10_000),
  fill("f2", START + 11 * H, 25_000),
  fill("f3", END - 1, 7_500),
  fill("f0", START - 1, 1_000_000),
];

// Start $1,000 (given). Peak 1 000 500 000, trough 999 000 000: drawdown 1 500 000. End = last
// point 1 012 340 000: change 12 340 000 = 1.234% -> 1.2%.
export const EQUITY = [
  { atMs: START + 6 * H, equity: 1_000_500_000 },
  { atMs: START + 2 * H, equity: 1_000_100_000 },
  { atMs: START + 12 * H, equity: 999_000_000 },
  { atMs: START + 20 * H, equity: 1_012_340_000 },
  { atMs: END + 5 * 60_000, equity: 1 },
];

export const OPEN: Position[] = [
  {
    positionId: "p1",
    ticker: "KXCPI-26MAR-T0.3",
    side: "no",
    contracts: 500,
    cost: 4_500_000,
    fees: 10_000,
    realizedGross: 0,
    maxContracts: 500,
    entered: 500,
    enteredCost: 0,
    exited: 0,
    exitProceeds: 0,
    bestBid: 9100,
    worstBid: 8800,
    openedMs: START + 21 * H,
    exits: null,
  },
  {
    positionId: "p0",
    ticker: "KXFLAT-26MAR09",
    side: "yes",
    contracts: 0,
    cost: 0,
    fees: 0,
    realizedGross: 0,
    maxContracts: 100,
    entered: 100,
    enteredCost: 0,
    exited: 0,
    exitProceeds: 0,
    bestBid: 0,
    worstBid: 0,
    openedMs: START,
    exits: null,
  },
];

export function reportInput(over: Partial<DailyReportInput> = {}): DailyReportInput {
  return {
    account: "default",
    day: DAY,
    timeZone: TZ,
    roundTrips: ROUND_TRIPS,
    fills: FILLS,
    equity: EQUITY,
    breakerTrips: [
      {
        atMs: START + 13 * H,
        breaker: "consecutive_losses",
        reason: "3 losses in a row",
        numbers: { losses: 3, limit: 3 },
      },
      { atMs: START - H, breaker: "daily_loss", reason: "yesterday", numbers: {} },
    ],
    reconDiffs: [
      {
        atMs: START + 14 * H,
        kind: "unknown_order",
        ticker: "KXBTCD-26MAR0917-T90000",
        detail: "a resting order the bot never placed",
      },
    ],
    startEquity: 1_000_000_000,
    endEquity: null,
    openPositions: OPEN,
    ...over,
  };
}
