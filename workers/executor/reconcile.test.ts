/**
 * Reconciliation's decisions: table cases, and properties over random journals and exchange views
 * (every resting order matched or unknown, never both; vanished orders; fills de-duplicated and in
 * time order; position differences exactly where the signed contracts differ).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Fill, OrderState } from "../../shared/domain.ts";
import type { JournalOrder } from "./journal.ts";
import { planFills, planOrders, positionDiffs, type RemoteOrder } from "./reconcile.ts";
import { journalOrder, runs } from "./test-support.ts";

function remote(orderId: string, clientOrderId: string | null, over: Partial<RemoteOrder> = {}): RemoteOrder {
  return {
    orderId,
    clientOrderId,
    ticker: "KXTEST-26MAY01-T50",
    status: "resting",
    filled: 0,
    remaining: 1_000,
    reason: null,
    atMs: 5_000,
    bookSide: "bid",
    yesPrice: 5_000,
    initialCount: 1_000,
    exchangeIndex: 0,
    ...over,
  };
}

function lookups(journal: readonly JournalOrder[]) {
  return {
    byClientId: (cid: string) => journal.find((o) => o.clientOrderId === cid),
    byOrderId: (oid: string) => journal.find((o) => o.orderId === oid),
  };
}

function fill(fillId: string, orderId: string, tsMs: number): Fill {
  return {
    fillId,
    orderId,
    ticker: "KXTEST-26MAY01-T50",
    yesPrice: 5_000,
    count: 100,
    yesDelta: 100,
    fee: 0,
    isTaker: false,
    tsMs,
  };
}

describe("planOrders", () => {
  it("matches by order id, then by client order id, and reports strangers as unknown", () => {
    const a = journalOrder({ intentId: "a", orderId: "oid-a", state: "resting" });
    const b = journalOrder({ intentId: "b", orderId: null, state: "pending", ack: "unknown" });
    const { byClientId, byOrderId } = lookups([a, b]);
    const plan = planOrders(
      [a, b],
      [remote("oid-a", "other-cid"), remote("oid-b", "b"), remote("oid-x", "x"), remote("oid-y", null)],
      byClientId,
      byOrderId,
    );
    expect(plan.reports.map((r) => [r.intentId, r.report.orderId])).toEqual([
      ["a", "oid-a"],
      ["b", "oid-b"],
    ]);
    expect(plan.unknown.map((r) => r.orderId)).toEqual(["oid-x", "oid-y"]);
    expect(plan.vanished).toEqual([]);
  });

  it("lists working orders with an id that no longer rest as vanished; pending ones are left to the resolver", () => {
    const gone = journalOrder({ intentId: "gone", orderId: "oid-g", state: "partially_filled", filled: 100 });
    const pendingWithId = journalOrder({
      intentId: "p",
      orderId: "oid-p",
      state: "pending",
      ack: "accepted",
    });
    const noId = journalOrder({ intentId: "n", orderId: null, state: "pending" });
    const plan = planOrders(
      [gone, pendingWithId, noId],
      [],
      () => undefined,
      () => undefined,
    );
    expect(plan.vanished.map((o) => o.intentId)).toEqual(["gone"]);
  });
});

describe("planFills", () => {
  it("drops fills the journal has and repeats within the list, and orders the rest by time", () => {
    const o = journalOrder({ intentId: "a", orderId: "oid-a" });
    const plan = planFills(
      [
        fill("f3", "oid-a", 30),
        fill("f1", "oid-a", 10),
        fill("f3", "oid-a", 30),
        fill("f2", "oid-z", 20),
        fill("f0", "oid-a", 5),
      ],
      (id) => id === "f0",
      (oid) => (oid === "oid-a" ? o : undefined),
    );
    expect(plan.missed.map((m) => m.fill.fillId)).toEqual(["f1", "f3"]);
    expect(plan.unknown.map((f) => f.fillId)).toEqual(["f2"]);
  });
});

describe("positionDiffs", () => {
  it("reports each market whose signed contracts differ, a missing one counting as flat", () => {
    const local = new Map([
      ["A", 100],
      ["B", -200],
      ["C", 300],
    ]);
    const remoteMap = new Map([
      ["B", -200],
      ["C", -300],
      ["D", 50],
    ]);
    expect(positionDiffs(local, remoteMap)).toEqual([
      { ticker: "A", local: 100, remote: 0 },
      { ticker: "C", local: 300, remote: -300 },
      { ticker: "D", local: 0, remote: 50 },
    ]);
  });
});

// ---------------------------------------------------------------- properties

const STATES: OrderState[] = [
  "pending",
  "resting",
  "partially_filled",
  "filled",
  "cancelled",
  "expired",
  "rejected",
];
const WORKING = new Set<OrderState>(["pending", "resting", "partially_filled"]);

/** A journal of up to 8 orders (ids unique), and an exchange view that shares some of them. */
const worldArb = fc
  .uniqueArray(
    fc.record({
      n: fc.integer({ min: 0, max: 40 }),
      hasId: fc.boolean(),
      state: fc.constantFrom(...STATES),
    }),
    { selector: (r) => r.n, maxLength: 8 },
  )
  .chain((rows) => {
    const journal = rows.map((r) =>
      journalOrder({
        intentId: `i${r.n}`,
        clientOrderId: `c${r.n}`,
        orderId: r.hasId ? `o${r.n}` : null,
        state: r.state,
      }),
    );
    // Resting orders: ours by id, ours by client id only (the id unknown to the journal), strangers; repeats allowed.
    const restingArb = fc.array(
      fc
        .record({ n: fc.integer({ min: 0, max: 50 }), byCid: fc.boolean(), withCid: fc.boolean() })
        .map((r) => remote(r.byCid ? `o${r.n}-new` : `o${r.n}`, r.withCid ? `c${r.n}` : null)),
      { maxLength: 10 },
    );
    return restingArb.map((resting) => ({ journal, resting }));
  });

describe("reconciliation: properties", () => {
  it("matches every resting order (by id, else by client order id) or reports it unknown, never both", () => {
    fc.assert(
      fc.property(worldArb, ({ journal, resting }) => {
        const { byClientId, byOrderId } = lookups(journal);
        const working = journal.filter((o) => WORKING.has(o.state));
        const plan = planOrders(working, resting, byClientId, byOrderId);
        expect(plan.reports.length + plan.unknown.length).toBe(resting.length);
        const reported = plan.reports.map((r) => r.report);
        for (const r of resting) {
          const expected =
            byOrderId(r.orderId) ?? (r.clientOrderId ? byClientId(r.clientOrderId) : undefined);
          const inReports = plan.reports.filter((x) => x.report === r);
          const inUnknown = plan.unknown.filter((x) => x === r);
          expect(inReports.length + inUnknown.length).toBe(1);
          if (expected) expect(inReports[0]?.intentId).toBe(expected.intentId);
          else expect(inUnknown).toHaveLength(1);
        }
        expect(new Set(reported).size).toBe(reported.length);
      }),
      runs(300),
    );
  });

  it("lists as vanished exactly the working orders with an id that nothing resting matched", () => {
    fc.assert(
      fc.property(worldArb, ({ journal, resting }) => {
        const { byClientId, byOrderId } = lookups(journal);
        const working = journal.filter((o) => WORKING.has(o.state));
        const plan = planOrders(working, resting, byClientId, byOrderId);
        const matched = new Set(plan.reports.map((r) => r.intentId));
        const want = working.filter(
          (o) => o.orderId !== null && o.state !== "pending" && !matched.has(o.intentId),
        );
        expect(plan.vanished.map((o) => o.intentId)).toEqual(want.map((o) => o.intentId));
        for (const o of plan.vanished) expect(resting.some((r) => r.orderId === o.orderId)).toBe(false);
      }),
      runs(300),
    );
  });

  it("keeps each new fill once, splits them by whether the journal knows the order, and orders each list by time", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.integer({ min: 0, max: 15 }),
            order: fc.integer({ min: 0, max: 5 }),
            ts: fc.nat(100),
          }),
          { maxLength: 20 },
        ),
        fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }),
        (rows, known, journalOrders) => {
          // A fill id names one execution: its repeats carry the same order and time.
          const first = new Map<number, (typeof rows)[number]>();
          for (const r of rows) if (!first.has(r.id)) first.set(r.id, r);
          const fills = rows.map((r) => {
            const f = first.get(r.id) ?? r;
            return fill(`f${f.id}`, `o${f.order}`, f.ts);
          });
          const orders = new Map(journalOrders.map((n) => [`o${n}`, journalOrder({ orderId: `o${n}` })]));
          const plan = planFills(
            fills,
            (id) => known.includes(Number(id.slice(1))),
            (oid) => orders.get(oid),
          );
          const out = [...plan.missed.map((m) => m.fill), ...plan.unknown];
          const ids = out.map((f) => f.fillId);
          expect(new Set(ids).size).toBe(ids.length);
          const want = new Set(
            fills.map((f) => f.fillId).filter((id) => !known.includes(Number(id.slice(1)))),
          );
          expect(new Set(ids)).toEqual(want);
          for (const m of plan.missed) expect(m.order).toBe(orders.get(m.fill.orderId));
          for (const f of plan.unknown) expect(orders.has(f.orderId)).toBe(false);
          for (const list of [plan.missed.map((m) => m.fill), plan.unknown])
            for (let i = 1; i < list.length; i++)
              expect((list[i] as Fill).tsMs).toBeGreaterThanOrEqual((list[i - 1] as Fill).tsMs);
        },
      ),
      runs(300),
    );
  });

  it("reports a position difference exactly for the markets whose signed contracts differ", () => {
    const side = fc.dictionary(fc.constantFrom("A", "B", "C", "D", "E"), fc.integer({ min: -3, max: 3 }));
    fc.assert(
      fc.property(side, side, (l, r) => {
        const local = new Map(Object.entries(l));
        const remoteMap = new Map(Object.entries(r));
        const diffs = positionDiffs(local, remoteMap);
        const tickers = ["A", "B", "C", "D", "E"].filter(
          (t) => (local.get(t) ?? 0) !== (remoteMap.get(t) ?? 0),
        );
        expect(diffs.map((d) => d.ticker)).toEqual(tickers);
        for (const d of diffs) {
          expect(d.local).toBe(local.get(d.ticker) ?? 0);
          expect(d.remote).toBe(remoteMap.get(d.ticker) ?? 0);
        }
      }),
      runs(300),
    );
  });
});
