/**
 * Positions folded from fills: hand-computed round trips (average cost, realised P&L, fees, a fill
 * through zero, settlement), and properties over random fill sequences of one market: contracts are
 * the sum of the fills' deltas, the cost basis stays a price per contract, fees add up, round trips
 * close exactly at zero, and money is conserved at any mark.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Fill, Position, RoundTrip } from "../../shared/domain.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import { applyFill, cashOfFill, type FillContext, legPrice, settle, signedContracts } from "./positions.ts";
import { runs } from "./test-support.ts";

const TICKER = "KXTEST-26MAY01-T50";
let fillSerial = 0;

/** A fill of `yesDelta` (1/100 contract, + buys YES) at `yesPrice` on the YES leg. */
function fill(yesDelta: number, yesPrice: number, fee = 0, tsMs = 5_000): Fill {
  fillSerial++;
  return {
    fillId: `fill-${fillSerial}`,
    orderId: "ord-1",
    ticker: TICKER,
    yesPrice,
    count: Math.abs(yesDelta),
    yesDelta,
    fee,
    isTaker: true,
    tsMs,
  };
}

function ctx(): FillContext {
  let n = 0;
  return { nowMs: 9_000, newPositionId: () => `pos-${++n}`, exitReason: "take_profit" };
}

interface Folded {
  position: Position | null;
  closed: RoundTrip[];
}

function foldFills(fills: readonly Fill[], c: FillContext = ctx()): Folded {
  let position: Position | null = null;
  const closed: RoundTrip[] = [];
  for (const f of fills) {
    const r = applyFill(position, f, c);
    position = r.position;
    if (r.closed) closed.push(r.closed);
  }
  return { position, closed };
}

describe("applyFill: hand-computed round trips", () => {
  // Fees as Kalshi charges a taker: 0.07 x C x P x (1 - P), rounded up to $0.0001 per fill.
  // 10 @ 0.90: 0.0630; 4 @ 0.92: 0.020608 -> 0.0207; 6 @ 0.89: 0.041118 -> 0.0412.
  const buy10 = fill(1_000, 9_000, 63_000);
  const sell4 = fill(-400, 9_200, 20_700);
  const sell6 = fill(-600, 8_900, 41_200);

  it("buys 10 YES at 0.90: cost $9, one fee, nothing realised", () => {
    const { position } = foldFills([buy10]);
    expect(position).toMatchObject({
      side: "yes",
      contracts: 1_000,
      cost: 9_000_000,
      fees: 63_000,
      realizedGross: 0,
      maxContracts: 1_000,
      entered: 1_000,
      enteredCost: 9_000_000,
      exited: 0,
    });
  });

  // Regression: the averages were divided by the largest size held, so a re-entry inflated them.
  it("averages a re-entered round trip over everything bought and sold", () => {
    const { position, closed } = foldFills([
      fill(1_000, 5_000, 0),
      fill(-500, 6_000, 0),
      fill(500, 5_000, 0),
      fill(-1_000, 6_000, 0),
    ]);
    expect(position).toBeNull();
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ contracts: 1_500, avgEntry: 5_000, avgExit: 6_000, pnl: 1_500_000 });
  });

  it("sells 4 at 0.92: realises $0.08 on the average cost and keeps 6 at $5.40", () => {
    const { position, closed } = foldFills([buy10, sell4]);
    expect(closed).toEqual([]);
    expect(position).toMatchObject({
      contracts: 600,
      cost: 5_400_000,
      fees: 83_700,
      realizedGross: 80_000,
      exitProceeds: 3_680_000,
    });
  });

  it("sells the last 6 at 0.89: closes the round trip with avg entry 0.90, avg exit 0.902, pnl -$0.1049", () => {
    const { position, closed } = foldFills([buy10, sell4, sell6]);
    expect(position).toBeNull();
    expect(closed).toEqual([
      {
        positionId: "pos-1",
        ticker: TICKER,
        side: "yes",
        contracts: 1_000,
        avgEntry: 9_000,
        avgExit: 9_020,
        openedMs: 5_000,
        closedMs: 5_000,
        reason: "take_profit",
        fees: 124_900,
        // realised 0.08 - 0.06 = 0.02, less 0.1249 of fees
        pnl: -104_900,
      },
    ]);
  });

  it("holds NO contracts on the NO leg: buying 10 NO at 0.30 is a YES-leg ask at 0.70", () => {
    const { position } = foldFills([fill(-1_000, 7_000)]);
    expect(position).toMatchObject({ side: "no", contracts: 1_000, cost: 3_000_000 });
    expect(signedContracts(position)).toBe(-1_000);
  });

  it("sells NO at 0.40 (a YES-leg bid at 0.60) and realises $0.10 a contract", () => {
    const { position, closed } = foldFills([fill(-1_000, 7_000), fill(1_000, 6_000)]);
    expect(position).toBeNull();
    expect(closed[0]).toMatchObject({ side: "no", avgEntry: 3_000, avgExit: 4_000, pnl: 1_000_000 });
  });

  it("closes the round trip and opens the other side with the remainder when a fill crosses zero", () => {
    // 5 YES at 0.40, then a sell of 8 at 0.50: 5 close (+$0.50), 3 NO open at 0.50; the fee splits 5:3.
    const r = foldFills([fill(500, 4_000), fill(-800, 5_000, 8_000)]);
    expect(r.closed).toHaveLength(1);
    expect(r.closed[0]).toMatchObject({ side: "yes", contracts: 500, pnl: 500_000 - 5_000 });
    expect(r.position).toMatchObject({
      positionId: "pos-2",
      side: "no",
      contracts: 300,
      cost: 1_500_000,
      fees: 3_000,
    });
  });

  it("adds to a position at the average cost", () => {
    const { position } = foldFills([fill(1_000, 4_000), fill(500, 5_500)]);
    expect(position).toMatchObject({ contracts: 1_500, cost: 6_750_000, maxContracts: 1_500 });
  });

  it.each([
    {
      name: "YES held when YES wins settles at $1",
      yesDelta: 1_000,
      yesValue: PRICE_SCALE,
      pnl: 4_000_000 - 50_000,
    },
    { name: "YES held when NO wins settles at $0", yesDelta: 1_000, yesValue: 0, pnl: -6_000_000 - 50_000 },
    { name: "NO held when NO wins settles at $1", yesDelta: -1_000, yesValue: 0, pnl: 6_000_000 - 50_000 },
    {
      name: "NO held when YES wins settles at $0",
      yesDelta: -1_000,
      yesValue: PRICE_SCALE,
      pnl: -4_000_000 - 50_000,
    },
  ])("$name", ({ yesDelta, yesValue, pnl }) => {
    // Bought at 0.60 on the YES leg (NO at 0.40 when selling YES), with a $0.05 fee.
    const { position } = foldFills([fill(yesDelta, 6_000, 50_000)]);
    if (position === null) throw new Error("no position");
    const rt = settle(position, yesValue, 0, 7_000);
    expect(rt).toMatchObject({ reason: "settled", closedMs: 7_000, fees: 50_000, pnl });
    expect(rt.avgExit).toBe(legPrice(yesValue, position.side));
  });

  it("settles what is left after a partial exit and counts the settlement fee", () => {
    const { position } = foldFills([fill(1_000, 5_000), fill(-400, 6_000)]);
    if (position === null) throw new Error("no position");
    const rt = settle(position, PRICE_SCALE, 1_000, 7_000);
    // +0.40 on the 4 sold, +3.00 on the 6 settled, less the settlement fee
    expect(rt).toMatchObject({ contracts: 1_000, avgEntry: 5_000, avgExit: 8_400, pnl: 3_400_000 - 1_000 });
  });

  it("ignores a fill that moves no contracts", () => {
    const start = foldFills([fill(1_000, 5_000)]).position;
    expect(applyFill(start, fill(0, 5_000, 100), ctx()).position).toBe(start);
  });
});

// ---------------------------------------------------------------- properties

const fillArb: fc.Arbitrary<Fill> = fc
  .record({
    size: fc.integer({ min: 1, max: 2_000 }),
    buysYes: fc.boolean(),
    yesPrice: fc.integer({ min: 1, max: PRICE_SCALE - 1 }),
    fee: fc.integer({ min: 0, max: 200_000 }),
    tsMs: fc.integer({ min: 1, max: 1_000_000 }),
  })
  .map(({ size, buysYes, yesPrice, fee, tsMs }) => fill(buysYes ? size : -size, yesPrice, fee, tsMs));

/** What the account's cash moved by over a sequence of fills (the order path's own measure). */
function cashOf(fills: readonly Fill[]): number {
  let yes = 0;
  let cash = 0;
  for (const f of fills) {
    cash += cashOfFill(yes, f);
    yes += f.yesDelta;
  }
  return cash;
}

describe("cashOfFill: hand-computed", () => {
  it.each<[string, number, Fill, number]>([
    // 100 contracts = 10 000 count units; $0.90 = 9 000 price units; money in micro-dollars.
    ["buying 100 YES at 0.90 with a $0.63 fee pays $90.63", 0, fill(10_000, 9_000, 630_000), -90_630_000],
    ["selling those 100 YES at 0.92 receives $92", 10_000, fill(-10_000, 9_200), 92_000_000],
    ["buying 100 NO at 0.10 (YES at 0.90) pays $10", 0, fill(-10_000, 9_000), -10_000_000],
    ["selling 100 NO at 0.08 (YES at 0.92) receives $8", -10_000, fill(10_000, 9_200), 8_000_000],
    [
      "selling 150 YES at 0.90 holding 100: $90 in, then 50 NO at 0.10 bought: $5 out",
      10_000,
      fill(-15_000, 9_000),
      85_000_000,
    ],
  ])("%s", (_name, yesBefore, f, cash) => {
    expect(cashOfFill(yesBefore, f)).toBe(cash);
  });
});

/** The value of `yes` signed contracts at YES price `mark`. */
function holdingsAt(yes: number, mark: number): number {
  return yes >= 0 ? yes * mark : -yes * (PRICE_SCALE - mark);
}

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);

describe("applyFill: properties over random fills of one market", () => {
  it("holds the sum of the deltas, on the right side, at a cost between $0 and $1 a contract", () => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 30 }), (fills) => {
        let position: Position | null = null;
        let sum = 0;
        const c = ctx();
        for (const f of fills) {
          position = applyFill(position, f, c).position;
          sum += f.yesDelta;
          expect(signedContracts(position)).toBe(sum);
          if (position === null) continue;
          expect(position.contracts).toBeGreaterThan(0);
          expect(position.side).toBe(sum > 0 ? "yes" : "no");
          expect(position.cost).toBeGreaterThanOrEqual(0);
          expect(position.cost).toBeLessThanOrEqual(position.contracts * PRICE_SCALE);
          expect(position.maxContracts).toBeGreaterThanOrEqual(position.contracts);
        }
      }),
      runs(300),
    );
  });

  it("closes a round trip exactly when the contracts reach or cross zero, and opens one exactly when they leave it", () => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 30 }), (fills) => {
        let position: Position | null = null;
        const c = ctx();
        for (const f of fills) {
          const before = signedContracts(position);
          const r = applyFill(position, f, c);
          const after = signedContracts(r.position);
          expect(r.closed !== null).toBe(before !== 0 && sign(after) !== sign(before));
          expect(r.opened).toBe(after !== 0 && sign(after) !== sign(before));
          if (r.opened) expect(r.position?.positionId).not.toBe(position?.positionId);
          else if (r.position !== null) expect(r.position.positionId).toBe(position?.positionId);
          if (r.closed) expect(r.closed.side).toBe(before > 0 ? "yes" : "no");
          position = r.position;
        }
      }),
      runs(300),
    );
  });

  it("conserves money: round-trip P&L plus the open position at any mark equals the cash flows plus holdings", () => {
    fc.assert(
      fc.property(
        fc.array(fillArb, { maxLength: 30 }),
        fc.integer({ min: 0, max: PRICE_SCALE }),
        (fills, mark) => {
          const { position, closed } = foldFills(fills);
          const realised = closed.reduce((a, rt) => a + rt.pnl, 0);
          const open =
            position === null
              ? 0
              : position.realizedGross -
                position.fees +
                legPrice(mark, position.side) * position.contracts -
                position.cost;
          const yes = fills.reduce((a, f) => a + f.yesDelta, 0);
          expect(realised + open).toBe(cashOf(fills) + holdingsAt(yes, mark));
          // Fees add up across the closed round trips and the open position.
          const fees = closed.reduce((a, rt) => a + rt.fees, 0) + (position?.fees ?? 0);
          expect(fees).toBe(fills.reduce((a, f) => a + f.fee, 0));
        },
      ),
      runs(300),
    );
  });

  it("conserves money through a settlement at $1 or $0", () => {
    fc.assert(
      fc.property(
        fc.array(fillArb, { minLength: 1, maxLength: 20 }),
        fc.constantFrom(0, PRICE_SCALE),
        fc.integer({ min: 0, max: 10_000 }),
        (fills, yesValue, fee) => {
          const { position, closed } = foldFills(fills);
          fc.pre(position !== null);
          if (position === null) return;
          const rt = settle(position, yesValue, fee, 8_000);
          const realised = closed.reduce((a, r) => a + r.pnl, 0) + rt.pnl;
          const yes = signedContracts(position);
          expect(realised).toBe(cashOf(fills) + holdingsAt(yes, yesValue) - fee);
          expect(rt.fees).toBe(position.fees + fee);
        },
      ),
      runs(300),
    );
  });

  // Buys then sells, no re-entry: the round trip's averages are over the contracts it held.
  it("reports a closed round trip's average entry and exit between its lowest and highest prices", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 800 }), fc.integer({ min: 1, max: PRICE_SCALE - 1 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.integer({ min: 1, max: PRICE_SCALE - 1 }), { minLength: 1, maxLength: 6 }),
        (buys, sellPrices) => {
          const total = buys.reduce((a, [n]) => a + n, 0);
          const sells: Fill[] = [];
          let left = total;
          sellPrices.forEach((p, i) => {
            const n =
              i === sellPrices.length - 1 ? left : Math.min(left, Math.ceil(total / sellPrices.length));
            if (n > 0) sells.push(fill(-n, p));
            left -= n;
          });
          const { closed } = foldFills([...buys.map(([n, p]) => fill(n, p)), ...sells]);
          expect(closed).toHaveLength(1);
          const rt = closed[0] as RoundTrip;
          const inPrices = buys.map(([, p]) => p);
          const outPrices = sells.map((f) => f.yesPrice);
          expect(rt.contracts).toBe(total);
          expect(rt.avgEntry).toBeGreaterThanOrEqual(Math.min(...inPrices));
          expect(rt.avgEntry).toBeLessThanOrEqual(Math.max(...inPrices));
          expect(rt.avgExit).toBeGreaterThanOrEqual(Math.min(...outPrices));
          expect(rt.avgExit).toBeLessThanOrEqual(Math.max(...outPrices));
        },
      ),
      runs(300),
    );
  });
});
