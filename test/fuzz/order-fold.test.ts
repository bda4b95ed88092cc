/**
 * Fuzzing of the order path's pure folds (`workers/executor/order-state.ts`, `positions.ts`) at
 * and past the edges of what the exchange can report. The property tests next to them cover
 * ordinary sizes and orderings; these take counts up to `MAX_COUNT`, fees up to `MAX_MONEY`, and
 * then malformed numbers (negative, past `MAX_COUNT`, fractional, NaN, infinite) that no wire
 * parser produces but a bug or a hand-edited row could. An order event either keeps the journal's
 * invariants (every number a safe integer, 0 <= filled <= count, the sums never negative) or is
 * refused with the order unchanged, so the journal never persists garbage; a fill the exchange
 * can report keeps a position exact.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Fill, Position } from "../../shared/domain.ts";
import { MAX_COUNT, MAX_MONEY, PRICE_SCALE } from "../../shared/kalshi/units.ts";
import type { OrderEvent, OrderRecord } from "../../workers/executor/order-state.ts";
import { applyOrderEvent } from "../../workers/executor/order-state.ts";
import { applyFill, signedContracts } from "../../workers/executor/positions.ts";
import { journalOrder } from "../../workers/executor/test-support.ts";
import { runs } from "./support.ts";

const OID = "ord-1";
const T0 = 1_795_000_000_000;

/** Counts the exchange can report, weighted to the edges. */
const count = fc.oneof(
  fc.constantFrom(0, 1, MAX_COUNT - 1, MAX_COUNT),
  fc.integer({ min: 0, max: MAX_COUNT }),
  fc.integer({ min: 0, max: 10_000 }),
);
const money = fc.oneof(
  fc.constantFrom(0, MAX_MONEY, -MAX_MONEY),
  fc.integer({ min: -MAX_MONEY, max: MAX_MONEY }),
);
const atMs = fc.integer({ min: T0, max: T0 + 86_400_000 });

/** Numbers no parser lets through. */
const garbage = fc.constantFrom(
  -1,
  -MAX_COUNT,
  MAX_COUNT + 1,
  2 ** 53,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
);

function events(
  n: fc.Arbitrary<number>,
  m: fc.Arbitrary<number>,
  t: fc.Arbitrary<number>,
): fc.Arbitrary<OrderEvent> {
  return fc.oneof(
    fc.record({
      kind: fc.constant("created" as const),
      orderId: fc.constant(OID),
      filled: n,
      remaining: n,
      atMs: t,
    }),
    fc.record({ kind: fc.constant("exists" as const), atMs: t }),
    fc.record({ kind: fc.constant("rejected" as const), error: fc.constant("refused"), atMs: t }),
    fc.record({ kind: fc.constant("unknown" as const), error: fc.constant("timeout"), atMs: t }),
    fc.record({
      kind: fc.constant("report" as const),
      orderId: fc.constant(OID),
      status: fc.constantFrom(
        "resting" as const,
        "canceled" as const,
        "executed" as const,
        "unknown" as const,
      ),
      filled: n,
      remaining: n,
      reason: fc.constantFrom(null, "ExpiryCancel", "Trade"),
      atMs: t,
    }),
    fc.record({ kind: fc.constant("fill" as const), count: n, fee: m, cost: m, atMs: t }),
    fc.record({ kind: fc.constant("cancelled" as const), atMs: t }),
    fc.record({ kind: fc.constant("lapsed" as const), atMs: t }),
    fc.record({ kind: fc.constant("resized" as const), count: n, atMs: t }),
  );
}

const validEvent = events(count, money, atMs);
/** Events with at least some numbers out of every range. */
const anyEvent = events(fc.oneof(count, garbage), fc.oneof(money, garbage), fc.oneof(atMs, garbage));

const NUMERIC: (keyof OrderRecord)[] = [
  "count",
  "filled",
  "reportedFilled",
  "fillSum",
  "fees",
  "fillCost",
  "updatedMs",
];

function expectJournalable(o: OrderRecord, why: string): void {
  for (const k of NUMERIC) expect(Number.isSafeInteger(o[k]), `${k}=${String(o[k])} ${why}`).toBe(true);
  expect(o.filled, why).toBeGreaterThanOrEqual(0);
  expect(o.filled, why).toBeLessThanOrEqual(o.count);
  expect(o.fillSum, why).toBeGreaterThanOrEqual(0);
  expect(o.reportedFilled, why).toBeGreaterThanOrEqual(0);
}

describe("applyOrderEvent at and past the edges", () => {
  it("keeps every number a safe integer and filled within the count for anything the exchange can report", () => {
    fc.assert(
      fc.property(
        count.filter((c) => c > 0),
        fc.array(validEvent, { maxLength: 8 }),
        (n, evs) => {
          let o: OrderRecord = journalOrder({ count: n, createdMs: T0, updatedMs: T0 });
          for (const e of evs) {
            const next = applyOrderEvent(o, e).order;
            expectJournalable(next, `after ${JSON.stringify(e)}`);
            expect(next.filled).toBeGreaterThanOrEqual(o.filled);
            o = next;
          }
        },
      ),
      runs(250, 701),
    );
  });

  // Regression: the fold took any number, so a fill of -5 contracts lowered the fill sum below 0
  // (which the journal stored as is) and a NaN one made `filled` NaN (which the journal's NOT NULL
  // refused in the middle of the order path's transaction).
  it.each([
    ["a fill of -5 contracts", { kind: "fill", count: -500, fee: 0, cost: 0, atMs: T0 }],
    ["a fill of NaN contracts", { kind: "fill", count: Number.NaN, fee: 0, cost: 0, atMs: T0 }],
    [
      "a report past MAX_COUNT",
      {
        kind: "report",
        orderId: OID,
        status: "resting",
        filled: MAX_COUNT + 1,
        remaining: 0,
        reason: null,
        atMs: T0,
      },
    ],
    ["a resize to half a contract unit", { kind: "resized", count: 0.5, atMs: T0 }],
  ] as [string, OrderEvent][])("refuses %s and leaves the order as it was", (_name, e) => {
    const o = journalOrder({
      count: 1_000,
      fillSum: 200,
      filled: 200,
      state: "partially_filled",
      ack: "accepted",
      orderId: OID,
    });
    const r = applyOrderEvent(o, e);
    expect(r.anomaly?.kind).toBe("bad_event");
    expect(r.order).toEqual(o);
  });

  it("refuses an event with numbers no exchange report has, leaving the order as it was", () => {
    fc.assert(
      fc.property(
        count.filter((c) => c > 0),
        fc.array(anyEvent, { maxLength: 8 }),
        (n, evs) => {
          let o: OrderRecord = journalOrder({ count: n, createdMs: T0, updatedMs: T0 });
          for (const e of evs) {
            const { order: next, anomaly } = applyOrderEvent(o, e);
            const why = `after ${JSON.stringify(e, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v))}`;
            if (anomaly?.kind === "bad_event") expect(next, why).toEqual(o);
            else expectJournalable(next, why);
            o = next;
          }
        },
      ),
      runs(250, 702),
    );
  });
});

/** Fills the exchange can report: a YES-leg price a trade can print at, a count up to MAX_COUNT. */
const fill: fc.Arbitrary<Fill> = fc
  .record({
    yesPrice: fc.oneof(fc.constantFrom(1, PRICE_SCALE - 1), fc.integer({ min: 1, max: PRICE_SCALE - 1 })),
    count: count.filter((c) => c > 0),
    bid: fc.boolean(),
    fee: fc.integer({ min: 0, max: MAX_MONEY / 100 }),
    tsMs: atMs,
  })
  .map((f) => ({
    fillId: "f-1",
    orderId: OID,
    ticker: "KXTEST",
    yesPrice: f.yesPrice,
    count: f.count,
    yesDelta: f.bid ? f.count : -f.count,
    fee: f.fee,
    isTaker: true,
    tsMs: f.tsMs,
  }));

describe("applyFill at the edges", () => {
  it("holds the exact sum of the deltas at a cost within $0..$1 a contract, in safe integers, for the largest fills", () => {
    fc.assert(
      fc.property(fc.array(fill, { minLength: 1, maxLength: 12 }), (fills) => {
        let p: Position | null = null;
        let sum = 0;
        let ids = 0;
        for (const f of fills) {
          const r = applyFill(p, f, {
            nowMs: T0,
            newPositionId: () => `p-${ids++}`,
            exitReason: "take_profit",
          });
          sum += f.yesDelta;
          p = r.position;
          expect(signedContracts(p)).toBe(sum);
          if (p === null) continue;
          for (const v of [
            p.contracts,
            p.cost,
            p.fees,
            p.realizedGross,
            p.exitProceeds,
            p.entered,
            p.enteredCost,
            p.exited,
          ])
            expect(Number.isSafeInteger(v)).toBe(true);
          expect(p.cost).toBeGreaterThanOrEqual(0);
          expect(p.cost).toBeLessThanOrEqual(p.contracts * PRICE_SCALE);
          if (r.closed) expect(Number.isSafeInteger(r.closed.pnl)).toBe(true);
        }
      }),
      runs(120, 703),
    );
  });
});
