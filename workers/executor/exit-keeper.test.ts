/**
 * The exit keeper's plan: table tests of the stop threshold (just inside / just outside, book and
 * REST tops, never without one), the take-profit's upkeep and the one-cancels-other exit; and
 * properties over random positions, working orders, busy sets, tops and modes: whatever the plan
 * adds never makes the working exits add up to more than the position.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExitPlan, ExitReason, Order, Position, TopOfBook } from "../../shared/domain.ts";
import { openCount } from "../../shared/domain.ts";
import { PRICE_SCALE } from "../../shared/kalshi/units.ts";
import { type ExitAction, type ExitState, type ExitView, PROTECT, planExits } from "./exit-keeper.ts";
import { journalOrder, runs } from "./test-support.ts";

const NOW = 1_000_000;

function position(over: Partial<Position> = {}): Position {
  return {
    positionId: "pos-1",
    ticker: "KXTEST-26MAY01-T50",
    side: "yes",
    contracts: 1_000,
    cost: 6_000_000,
    fees: 0,
    realizedGross: 0,
    maxContracts: 1_000,
    entered: 1_000,
    enteredCost: 0,
    exited: 0,
    exitProceeds: 0,
    bestBid: 6_000,
    worstBid: 6_000,
    openedMs: 0,
    exits: null,
    ...over,
  };
}

const PLAN: ExitPlan = { takeProfit: 7_000, stop: 5_000, deadlineMs: null };

function tp(over: Partial<Order> = {}): Order {
  return journalOrder({
    purpose: "take_profit",
    action: "sell",
    positionId: "pos-1",
    orderId: "ord-tp",
    state: "resting",
    ack: "accepted",
    count: 1_000,
    price: 7_000,
    ...over,
  });
}

function exitOrder(over: Partial<Order> = {}): Order {
  return journalOrder({
    purpose: "stop",
    action: "sell",
    tif: "immediate_or_cancel",
    positionId: "pos-1",
    state: "pending",
    count: 1_000,
    ...over,
  });
}

function top(yesBid: number | null, noBid: number | null = null): TopOfBook {
  return { yesBid, yesBidSize: yesBid === null ? 0 : 500, noBid, noBidSize: noBid === null ? 0 : 500 };
}

function view(over: Partial<ExitView> = {}): ExitView {
  return {
    position: position(),
    state: PROTECT,
    plan: PLAN,
    working: [],
    busy: new Set(),
    top: top(6_000),
    topSource: "book",
    tradable: true,
    exitRequest: null,
    nowMs: NOW,
    exitPrice: (bid, attempt) => (bid === null ? null : Math.max(100, bid - 100 * attempt)),
    takeProfitExpiryMs: 3_600_000,
    ...over,
  };
}

const kinds = (a: readonly ExitAction[]) => a.map((x) => x.kind);
const exiting = (reason: ExitReason, attempts = 0): ExitState => ({
  mode: "exiting",
  reason,
  sinceMs: NOW - 1,
  attempts,
});

describe("planExits: the stop", () => {
  it.each([
    { name: "triggers when the YES bid is one unit below the stop", side: "yes", t: top(4_999), hit: true },
    { name: "triggers when the YES bid is at the stop", side: "yes", t: top(5_000), hit: true },
    { name: "holds when the YES bid is one unit above the stop", side: "yes", t: top(5_001), hit: false },
    { name: "reads the NO bid for a NO position: at the stop", side: "no", t: top(9_000, 5_000), hit: true },
    {
      name: "reads the NO bid for a NO position: one unit above",
      side: "no",
      t: top(1_000, 5_001),
      hit: false,
    },
    {
      name: "holds when the position's side has no bid at all",
      side: "yes",
      t: top(null, 1_000),
      hit: false,
    },
  ] as const)("$name", ({ side, t, hit }) => {
    const a = planExits(view({ position: position({ side }), top: t, working: [tp()] }));
    const set = a.find((x) => x.kind === "set_state");
    expect(set !== undefined).toBe(hit);
    if (hit) {
      expect(set).toMatchObject({ state: { mode: "exiting", reason: "stop", sinceMs: NOW, attempts: 0 } });
      // One-cancels-other: the take-profit goes first, the exit waits for it.
      expect(kinds(a)).toEqual(["set_state", "cancel"]);
    }
  });

  it("triggers from a REST top while the book is not fresh", () => {
    const a = planExits(view({ top: top(4_900), topSource: "rest" }));
    expect(a[0]).toMatchObject({ kind: "set_state", state: { reason: "stop" } });
  });

  it("never triggers without a usable top, even if one is passed", () => {
    const a = planExits(view({ top: top(100), topSource: "none", working: [tp()] }));
    expect(kinds(a)).toEqual(["fetch_rest_top"]);
  });

  it("asks for a REST top whenever the book is not fresh", () => {
    expect(kinds(planExits(view({ top: null, topSource: "none", working: [tp()] })))).toEqual([
      "fetch_rest_top",
    ]);
    expect(kinds(planExits(view({ topSource: "book", working: [tp()] })))).toEqual([]);
  });

  it("exits on a request (timeout, flatten, ...) whatever the bid", () => {
    const a = planExits(view({ exitRequest: "timeout", top: top(9_000) }));
    expect(a).toEqual([
      { kind: "set_state", state: { mode: "exiting", reason: "timeout", sinceMs: NOW, attempts: 0 } },
      { kind: "set_state", state: { mode: "exiting", reason: "timeout", sinceMs: NOW, attempts: 1 } },
      { kind: "exit_ioc", price: 8_900, count: 1_000, attempt: 1, reason: "timeout" },
    ]);
  });
});

describe("planExits: the take-profit price reached with no take-profit working", () => {
  it.each([
    { name: "sells at the bid when the bid is at the target", bid: 7_000, exits: true },
    { name: "sells at the bid when the bid is above the target", bid: 7_300, exits: true },
    { name: "places the take-profit when the bid is one unit below the target", bid: 6_999, exits: false },
  ])("$name", ({ bid, exits }) => {
    const a = planExits(view({ top: top(bid) }));
    if (exits)
      expect(a).toEqual([
        { kind: "set_state", state: { mode: "exiting", reason: "take_profit", sinceMs: NOW, attempts: 0 } },
        { kind: "set_state", state: { mode: "exiting", reason: "take_profit", sinceMs: NOW, attempts: 1 } },
        // (this view's price rule: the bid less one step per attempt)
        { kind: "exit_ioc", price: bid - 100, count: 1_000, attempt: 1, reason: "take_profit" },
      ]);
    else expect(kinds(a)).toEqual(["place_take_profit"]);
  });

  it("leaves a working take-profit to fill when the bid reaches it", () => {
    expect(planExits(view({ top: top(7_000), working: [tp()] }))).toEqual([]);
  });

  it("does not act on a top it cannot trust", () => {
    expect(kinds(planExits(view({ top: top(7_500), topSource: "none" })))).toEqual([
      "fetch_rest_top",
      "place_take_profit",
    ]);
  });
});

describe("planExits: the take-profit while protecting", () => {
  it("places a take-profit for the whole position when none works", () => {
    expect(planExits(view())).toEqual([
      { kind: "place_take_profit", price: 7_000, count: 1_000, expirationMs: NOW + 3_600_000 },
    ]);
  });

  it("places nothing in a market that does not take orders", () => {
    expect(planExits(view({ tradable: false }))).toEqual([]);
  });

  it("leaves a take-profit sized to the position alone", () => {
    expect(
      planExits(
        view({
          working: [tp({ count: 1_000, filled: 400, state: "partially_filled" })],
          position: position({ contracts: 600 }),
        }),
      ),
    ).toEqual([]);
  });

  it("amends the take-profit up after the entry filled more", () => {
    const a = planExits(view({ position: position({ contracts: 1_500 }), working: [tp()] }));
    expect(a).toEqual([{ kind: "resize_take_profit", intentId: expect.any(String), remaining: 1_500 }]);
  });

  it("does not amend up in a market that does not take orders, but still decreases", () => {
    expect(
      planExits(view({ position: position({ contracts: 1_500 }), working: [tp()], tradable: false })),
    ).toEqual([]);
    const a = planExits(view({ position: position({ contracts: 500 }), working: [tp()], tradable: false }));
    expect(a).toMatchObject([{ kind: "resize_take_profit", remaining: 500 }]);
  });

  it("leaves a pending or busy take-profit alone", () => {
    const pending = tp({ state: "pending", orderId: null, count: 300 });
    expect(planExits(view({ working: [pending] }))).toEqual([]);
    const busy = tp({ count: 300 });
    expect(planExits(view({ working: [busy], busy: new Set([busy.intentId]) }))).toEqual([]);
  });

  it("keeps one take-profit and cancels the others", () => {
    const first = tp();
    const second = tp({ orderId: "ord-tp2" });
    const a = planExits(view({ working: [first, second] }));
    expect(a).toEqual([{ kind: "cancel", intentId: second.intentId, why: "one take-profit per position" }]);
  });

  it("leaves the take-profit alone while an exit order works", () => {
    expect(
      planExits(view({ position: position({ contracts: 1_500 }), working: [tp(), exitOrder()] })),
    ).toEqual([]);
  });
});

// Regression: a `user_order` (or an order read) reporting a take-profit's fills before the `fill`
// messages arrived made the keeper re-place or grow the take-profit by contracts already sold.
describe("planExits: fills reported before they arrive", () => {
  it("sizes a new take-profit to the position less the exits' fills reported but not yet folded", () => {
    expect(planExits(view({ unsettled: 300 }))).toMatchObject([{ kind: "place_take_profit", count: 700 }]);
  });

  it("does not amend the take-profit up by its own fills reported ahead of the fill messages", () => {
    // 300 of the take-profit reported filled: 700 work, and 700 is what the exchange still holds.
    const partly = tp({ state: "partially_filled", filled: 300 });
    expect(planExits(view({ working: [partly], unsettled: 300 }))).toEqual([]);
  });

  it("cancels the take-profit when the whole position is reported sold", () => {
    const t = tp({ count: 400 });
    expect(planExits(view({ working: [t], unsettled: 1_000 }))).toEqual([
      { kind: "cancel", intentId: t.intentId, why: "the position is reported sold" },
    ]);
  });

  it("sends an exit IOC for what is still held, and none when everything is reported sold", () => {
    expect(planExits(view({ state: exiting("stop"), unsettled: 250 }))).toMatchObject([
      { kind: "set_state" },
      { kind: "exit_ioc", count: 750 },
    ]);
    expect(planExits(view({ state: exiting("stop"), unsettled: 1_000 }))).toEqual([]);
  });
});

describe("planExits: one-cancels-other exit", () => {
  it("cancels every take-profit that is not busy and sends nothing else", () => {
    const a1 = tp();
    const a2 = tp({ orderId: "ord-tp2" });
    const a = planExits(view({ state: exiting("stop"), working: [a1, a2], busy: new Set([a2.intentId]) }));
    expect(a).toEqual([{ kind: "cancel", intentId: a1.intentId, why: "stop: cancel the take-profit first" }]);
  });

  it("sends one IOC for the whole position once no take-profit works, one attempt wider each time", () => {
    const a = planExits(view({ state: exiting("stop", 2), top: top(4_800) }));
    expect(a).toEqual([
      { kind: "set_state", state: { ...exiting("stop"), attempts: 3 } },
      { kind: "exit_ioc", price: 4_500, count: 1_000, attempt: 3, reason: "stop" },
    ]);
  });

  it("waits while an exit order still works", () => {
    expect(planExits(view({ state: exiting("stop"), working: [exitOrder()] }))).toEqual([]);
  });

  it("sends no exit in a market that does not take orders", () => {
    expect(planExits(view({ state: exiting("stop"), tradable: false }))).toEqual([]);
  });

  it("asks for a REST top when it has no price to exit at and the book is not fresh", () => {
    expect(planExits(view({ state: exiting("stop"), top: null, topSource: "none" }))).toEqual([
      { kind: "fetch_rest_top" },
    ]);
    expect(planExits(view({ state: exiting("stop"), exitPrice: () => null }))).toEqual([]);
  });

  it("plans nothing for a flat position", () => {
    expect(planExits(view({ position: position({ contracts: 0 }), exitRequest: "flatten" }))).toEqual([]);
  });
});

// ---------------------------------------------------------------- properties

const workingArb: fc.Arbitrary<Order> = fc
  .record({
    purpose: fc.constantFrom(
      "take_profit" as const,
      "take_profit" as const,
      "stop" as const,
      "exit" as const,
    ),
    state: fc.constantFrom("pending" as const, "resting" as const, "partially_filled" as const),
    count: fc.integer({ min: 2, max: 3_000 }),
    fraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
  })
  .map(({ purpose, state, count, fraction }) => {
    const filled = state === "partially_filled" ? Math.max(1, Math.floor(fraction * count)) : 0;
    const o = journalOrder({
      purpose,
      action: "sell",
      positionId: "pos-1",
      state,
      count,
      filled,
      orderId: null,
      ack: state === "pending" ? "unknown" : "accepted",
    });
    return { ...o, orderId: state === "pending" ? null : `oid-${o.intentId}` } as Order;
  });

const priceArb = fc.integer({ min: 1, max: PRICE_SCALE - 1 });
const reasonArb = fc.constantFrom<ExitReason>(
  "stop",
  "timeout",
  "pre_close",
  "deactivated",
  "flatten",
  "manual",
);

const viewArb: fc.Arbitrary<ExitView> = fc
  .record({
    side: fc.constantFrom("yes" as const, "no" as const),
    contracts: fc.integer({ min: 1, max: 3_000 }),
    takeProfit: priceArb,
    stop: priceArb,
    exiting: fc.option(fc.tuple(reasonArb, fc.integer({ min: 0, max: 4 })), { nil: null }),
    working: fc.array(workingArb, { maxLength: 4 }),
    busyMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    yesBid: fc.option(priceArb, { nil: null }),
    noBid: fc.option(priceArb, { nil: null }),
    topSource: fc.constantFrom("book" as const, "rest" as const, "none" as const),
    noTop: fc.boolean(),
    tradable: fc.boolean(),
    exitRequest: fc.option(reasonArb, { nil: null }),
    priceless: fc.boolean(),
    unsettled: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_500 })),
  })
  .map((r) =>
    view({
      position: position({ side: r.side, contracts: r.contracts }),
      plan: { takeProfit: r.takeProfit, stop: r.stop, deadlineMs: null },
      state: r.exiting === null ? PROTECT : exiting(r.exiting[0], r.exiting[1]),
      working: r.working,
      busy: new Set(r.working.filter((_, i) => r.busyMask[i]).map((o) => o.intentId)),
      top: r.topSource === "none" && r.noTop ? null : top(r.yesBid, r.noBid),
      topSource: r.topSource,
      tradable: r.tradable,
      exitRequest: r.exitRequest,
      exitPrice: (bid, attempt) => (r.priceless || bid === null ? null : Math.max(1, bid - 50 * attempt)),
      unsettled: r.unsettled,
    }),
  );

/** What the exchange holds as far as the bot has been told: the folded position less the unsettled fills. */
const heldOf = (v: ExitView) => Math.max(0, v.position.contracts - (v.unsettled ?? 0));

/** The orders working after the plan, counting a cancelled one as still working (a cancel can lose to a fill). */
function workingAfter(v: ExitView, actions: readonly ExitAction[]): number {
  let sum = 0;
  for (const o of v.working) {
    const resize = actions.find((a) => a.kind === "resize_take_profit" && a.intentId === o.intentId);
    sum += resize?.kind === "resize_take_profit" ? resize.remaining : openCount(o);
  }
  for (const a of actions) if (a.kind === "place_take_profit" || a.kind === "exit_ioc") sum += a.count;
  return sum;
}

describe("planExits: properties over random views", () => {
  it("never lets what it adds make the working exits more than the position", () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const a = planExits(v);
        const adds = a.filter(
          (x) => x.kind === "place_take_profit" || x.kind === "exit_ioc" || x.kind === "resize_take_profit",
        );
        for (const x of adds) if (x.kind !== "resize_take_profit") expect(x.count).toBe(heldOf(v));
        for (const x of adds) if (x.kind === "resize_take_profit") expect(x.remaining).toBe(heldOf(v));
        // Anything placed or grown: every exit that may still work, cancelled ones included, is what is held.
        if (adds.length > 0) expect(workingAfter(v, a)).toBe(heldOf(v));
        for (const x of adds)
          expect(x.kind === "resize_take_profit" ? x.remaining : x.count).toBeGreaterThan(0);
        expect(adds.length).toBeLessThanOrEqual(1);
      }),
      runs(300),
    );
  });

  it("sends an exit IOC only when no take-profit or other exit works, at most one, for the whole position", () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const a = planExits(v);
        const iocs = a.filter((x) => x.kind === "exit_ioc");
        expect(iocs.length).toBeLessThanOrEqual(1);
        if (iocs.length === 1) {
          expect(v.working).toEqual([]);
          expect(iocs[0]).toMatchObject({ count: heldOf(v) });
        }
      }),
      runs(300),
    );
  });

  it("places and resizes nothing once exiting, and never goes back to protect", () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const a = planExits(v);
        const sets = a.filter((x) => x.kind === "set_state");
        for (const s of sets) expect(s.state.mode).toBe("exiting");
        const nowExiting = v.state.mode === "exiting" || sets.length > 0;
        if (nowExiting) {
          expect(kinds(a)).not.toContain("place_take_profit");
          expect(kinds(a)).not.toContain("resize_take_profit");
          // Every take-profit not busy is cancelled.
          const cancelled = a.flatMap((x) => (x.kind === "cancel" ? [x.intentId] : []));
          const tps = v.working.filter((o) => o.purpose === "take_profit" && !v.busy.has(o.intentId));
          expect(cancelled.sort()).toEqual(tps.map((o) => o.intentId).sort());
        }
        if (v.state.mode === "exiting")
          for (const s of sets) expect(s.state).toEqual({ ...v.state, attempts: v.state.attempts + 1 });
      }),
      runs(300),
    );
  });

  it("triggers the stop exactly when a book or REST bid of the position's side is at or below it", () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        fc.pre(v.state.mode === "protect" && v.exitRequest === null);
        const a = planExits(v);
        const bid = v.top === null ? null : v.position.side === "yes" ? v.top.yesBid : v.top.noBid;
        const usable = v.topSource !== "none" && bid !== null;
        const hit = usable && bid <= v.plan.stop;
        const target = usable && bid >= v.plan.takeProfit && v.working.length === 0;
        const set = a.find((x) => x.kind === "set_state");
        expect(set !== undefined).toBe(hit || target);
        if (set) expect(set.state.reason).toBe(hit ? "stop" : "take_profit");
      }),
      runs(300),
    );
  });

  it("acts at most once on an order and never on a busy one", () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const touched = planExits(v).flatMap((x) =>
          x.kind === "cancel" || x.kind === "resize_take_profit" ? [x.intentId] : [],
        );
        expect(new Set(touched).size).toBe(touched.length);
        for (const id of touched) expect(v.busy.has(id)).toBe(false);
        for (const id of touched) expect(v.working.some((o) => o.intentId === id)).toBe(true);
      }),
      runs(300),
    );
  });

  it("places nothing and grows nothing in a market that does not take orders, but still cancels", () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        fc.pre(!v.tradable);
        const a = planExits(v);
        expect(kinds(a)).not.toContain("place_take_profit");
        expect(kinds(a)).not.toContain("exit_ioc");
        for (const x of a)
          if (x.kind === "resize_take_profit") {
            const o = v.working.find((w) => w.intentId === x.intentId);
            expect(x.remaining).toBeLessThan(o ? openCount(o) : 0);
          }
        const exitingNow = v.state.mode === "exiting" || a.some((x) => x.kind === "set_state");
        const tps = v.working.filter((o) => o.purpose === "take_profit" && !v.busy.has(o.intentId));
        if (exitingNow) expect(a.filter((x) => x.kind === "cancel")).toHaveLength(tps.length);
      }),
      runs(300),
    );
  });
});
