/**
 * The order state machine: table tests of each transition, and properties over random and
 * reordered event sequences (fills never shrink or exceed the count, terminal states absorb except
 * where documented, `rejected` only without an acknowledgement, the end state of a consistent history
 * does not depend on the order its messages arrived in).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderState } from "../../shared/domain.ts";
import type { JournalOrder } from "./journal.ts";
import { applyOrderEvent, isTerminal, type OrderEvent, type OrderRecord } from "./order-state.ts";
import { journalOrder, runs } from "./test-support.ts";

const OID = "ord-1";

type Of<K extends OrderEvent["kind"]> = Extract<OrderEvent, { kind: K }>;

function fold(events: readonly OrderEvent[], start: JournalOrder = journalOrder()): OrderRecord {
  let o: OrderRecord = start;
  for (const e of events) o = applyOrderEvent(o, e).order;
  return o;
}

const created = (filled: number, remaining: number): Of<"created"> => ({
  kind: "created",
  orderId: OID,
  filled,
  remaining,
  atMs: 2_000,
});
const report = (
  status: "resting" | "canceled" | "executed" | "unknown",
  filled: number,
  remaining: number,
  reason: string | null = null,
): Of<"report"> => ({ kind: "report", orderId: OID, status, filled, remaining, reason, atMs: 2_000 });
const fill = (count: number): Of<"fill"> => ({
  kind: "fill",
  count,
  fee: 10,
  cost: count * 5_000,
  atMs: 2_000,
});

describe("applyOrderEvent: transitions", () => {
  it.each<{ name: string; events: OrderEvent[]; state: OrderState; filled: number }>([
    {
      name: "a create answer with a remainder leaves it resting",
      events: [created(0, 1_000)],
      state: "resting",
      filled: 0,
    },
    {
      name: "a create answer that matched part of it leaves it partially filled",
      events: [created(300, 700)],
      state: "partially_filled",
      filled: 300,
    },
    {
      name: "an IOC's create answer with no remainder and a partial fill is cancelled with what filled",
      events: [created(300, 0)],
      state: "cancelled",
      filled: 300,
    },
    {
      name: "an IOC's create answer with everything matched is filled",
      events: [created(1_000, 0)],
      state: "filled",
      filled: 1_000,
    },
    {
      name: "a fill before the create answer makes a pending order partially filled",
      events: [fill(400)],
      state: "partially_filled",
      filled: 400,
    },
    {
      name: "fills that reach the count fill a pending order",
      events: [fill(400), fill(600)],
      state: "filled",
      filled: 1_000,
    },
    {
      name: "a resting report with fills is partially filled",
      events: [report("resting", 250, 750)],
      state: "partially_filled",
      filled: 250,
    },
    {
      name: "an executed report fills it",
      events: [created(0, 1_000), report("executed", 1_000, 0)],
      state: "filled",
      filled: 1_000,
    },
    {
      name: "a canceled report with ExpiryCancel expires it",
      events: [created(0, 1_000), report("canceled", 100, 0, "ExpiryCancel")],
      state: "expired",
      filled: 100,
    },
    {
      // Regression: the reasonless REST read won when it arrived first, and the expiry was lost.
      name: "an expiry named after a reasonless canceled (a REST read) makes it expired",
      events: [created(0, 1_000), report("canceled", 100, 0), report("canceled", 100, 0, "ExpiryCancel")],
      state: "expired",
      filled: 100,
    },
    {
      name: "a reasonless canceled after the expiry keeps it expired",
      events: [created(0, 1_000), report("canceled", 100, 0, "ExpiryCancel"), report("canceled", 100, 0)],
      state: "expired",
      filled: 100,
    },
    {
      name: "a canceled report with another reason cancels it",
      events: [created(0, 1_000), report("canceled", 0, 0, "CloseCancel")],
      state: "cancelled",
      filled: 0,
    },
    {
      name: "an unknown-status report tells nothing about the state",
      events: [created(0, 1_000), report("unknown", 0, 0)],
      state: "resting",
      filled: 0,
    },
    {
      name: "a late resting report does not reopen a cancelled order",
      events: [created(0, 1_000), { kind: "cancelled", atMs: 3_000 }, report("resting", 0, 1_000)],
      state: "cancelled",
      filled: 0,
    },
    {
      name: "a fill that raced the cancel raises what filled but keeps it cancelled",
      events: [created(0, 1_000), { kind: "cancelled", atMs: 3_000 }, fill(200)],
      state: "cancelled",
      filled: 200,
    },
    {
      name: "the exchange's executed after a cancel answer makes it filled (the fill won the race)",
      events: [created(0, 1_000), { kind: "cancelled", atMs: 3_000 }, report("executed", 1_000, 0)],
      state: "filled",
      filled: 1_000,
    },
    {
      name: "an executed report after an expiry makes it filled",
      events: [created(0, 1_000), report("canceled", 0, 0, "ExpiryCancel"), report("executed", 1_000, 0)],
      state: "filled",
      filled: 1_000,
    },
    {
      name: "a stale resting report never lowers what filled",
      events: [created(0, 1_000), report("resting", 600, 400), report("resting", 200, 800)],
      state: "partially_filled",
      filled: 600,
    },
  ])("$name", ({ events, state, filled }) => {
    const o = fold(events);
    expect(o.state).toBe(state);
    expect(o.filled).toBe(filled);
  });

  it("rejects a pending order on the exchange's explicit refusal", () => {
    const o = fold([{ kind: "rejected", error: "insufficient_balance", atMs: 2_000 }]);
    expect(o).toMatchObject({ state: "rejected", ack: "rejected", error: "insufficient_balance" });
  });

  it("ignores a refusal once the exchange named the order", () => {
    const o = fold([created(0, 1_000), { kind: "rejected", error: "late", atMs: 3_000 }]);
    expect(o).toMatchObject({ state: "resting", ack: "accepted", orderId: OID });
  });

  it("keeps an order whose answer was lost pending with ack unknown", () => {
    const o = fold([{ kind: "unknown", error: "timeout", atMs: 2_000 }]);
    expect(o).toMatchObject({ state: "pending", ack: "unknown", error: "timeout" });
  });

  it("marks an order a resend found (409) accepted and still pending until its id is known", () => {
    const o = fold([
      { kind: "unknown", error: "timeout", atMs: 2_000 },
      { kind: "exists", atMs: 3_000 },
    ]);
    expect(o).toMatchObject({ state: "pending", ack: "accepted", orderId: null });
  });

  it("cancels a lapsed order and revives it when the exchange later shows it", () => {
    const lapsed = fold([
      { kind: "unknown", error: "timeout", atMs: 2_000 },
      { kind: "lapsed", atMs: 3_000 },
    ]);
    expect(lapsed).toMatchObject({ state: "cancelled", error: "lapsed" });
    const seen = fold([report("resting", 300, 700)], journalOrder(lapsed as JournalOrder));
    expect(seen).toMatchObject({ state: "partially_filled", filled: 300, error: null, orderId: OID });
  });

  // Regression: a refused resend (or a lookup that ran ahead of the order list) was terminal even
  // after the exchange showed the order, so an order resting at the exchange stayed `rejected`.
  it.each<{ name: string; events: OrderEvent[]; state: OrderState; filled: number }>([
    {
      name: "a resend refused after the first attempt got through yields to the exchange's report",
      events: [
        { kind: "unknown", error: "timeout", atMs: 2_000 },
        { kind: "rejected", error: "insufficient_balance", atMs: 3_000 },
        report("resting", 0, 1_000),
      ],
      state: "resting",
      filled: 0,
    },
    {
      name: "a refusal after a 409 on a resend does not reject the order",
      events: [
        { kind: "unknown", error: "timeout", atMs: 2_000 },
        { kind: "exists", atMs: 3_000 },
        { kind: "rejected", error: "market_closed", atMs: 4_000 },
      ],
      state: "pending",
      filled: 0,
    },
    {
      name: "a fill of a lapsed order revives it as partially filled",
      events: [
        { kind: "unknown", error: "timeout", atMs: 2_000 },
        { kind: "lapsed", atMs: 3_000 },
        fill(400),
      ],
      state: "partially_filled",
      filled: 400,
    },
    {
      name: "a lookup after a 409 on a resend does not lapse the order",
      events: [
        { kind: "unknown", error: "timeout", atMs: 2_000 },
        { kind: "exists", atMs: 3_000 },
        { kind: "lapsed", atMs: 4_000 },
      ],
      state: "pending",
      filled: 0,
    },
  ])("$name", ({ events, state, filled }) => {
    const o = fold(events);
    expect(o.state).toBe(state);
    expect(o.filled).toBe(filled);
    expect(o.ack).toBe("accepted");
  });

  it("does not lapse an order the exchange already named", () => {
    const o = fold([created(0, 1_000), { kind: "lapsed", atMs: 3_000 }]);
    expect(o.state).toBe("resting");
  });

  it.each([
    { name: "a decrease to what filled fills it", resizeTo: 300, state: "filled", count: 300 },
    { name: "a decrease below what filled stops at what filled", resizeTo: 100, state: "filled", count: 300 },
    {
      name: "a decrease above what filled keeps it working",
      resizeTo: 301,
      state: "partially_filled",
      count: 301,
    },
    {
      name: "an amend up keeps it working with the new total",
      resizeTo: 1_500,
      state: "partially_filled",
      count: 1_500,
    },
  ])("$name", ({ resizeTo, state, count }) => {
    const o = fold([created(300, 700), { kind: "resized", count: resizeTo, atMs: 3_000 }]);
    expect(o.state).toBe(state);
    expect(o.count).toBe(count);
    expect(o.filled).toBe(300);
  });

  it.each([
    { name: "reports no anomaly when fills reach the count exactly", fills: [600, 400], anomaly: null },
    {
      name: "reports an overfill when fills pass the count by one unit",
      fills: [600, 401],
      anomaly: "overfill",
    },
  ])("$name", ({ fills, anomaly }) => {
    let o: OrderRecord = fold([created(0, 1_000)]);
    let last: string | null = null;
    for (const c of fills) {
      const r = applyOrderEvent(o, fill(c));
      o = r.order;
      last = r.anomaly?.kind ?? null;
    }
    expect(last).toBe(anomaly);
    expect(o.filled).toBe(1_000);
  });

  it.each([
    { name: "a read after a failed amend puts the count back to what works", total: 200, count: 200 },
    { name: "a read of a larger total (an amend that went through) takes it", total: 1_500, count: 1_500 },
  ])("$name", ({ total, count }) => {
    // The journal grew the count to 1 000 when it sent an amend; the exchange works `total`.
    const grown = applyOrderEvent(fold([created(0, 200)]), {
      kind: "resized",
      count: 1_000,
      atMs: 2_000,
    }).order;
    expect(grown.count).toBe(1_000);
    const o = applyOrderEvent(grown, { ...report("resting", 0, total), total }).order;
    expect(o.count).toBe(count);
    expect(o.state).toBe("resting");
  });

  it("leaves the count alone on a report without a total (a socket update may predate the amend)", () => {
    const grown = applyOrderEvent(fold([created(0, 200)]), {
      kind: "resized",
      count: 1_000,
      atMs: 2_000,
    }).order;
    expect(applyOrderEvent(grown, report("resting", 0, 200)).order.count).toBe(1_000);
  });

  it("never sets a count below what filled, whatever the read says", () => {
    const o = fold([created(0, 1_000), fill(600)]);
    expect(applyOrderEvent(o, { ...report("resting", 400, 100), total: 500 }).order.count).toBe(600);
  });

  it("reports an order id that changes", () => {
    const r = applyOrderEvent(fold([created(0, 1_000)]), {
      ...report("resting", 0, 1_000),
      orderId: "ord-2",
    });
    expect(r.anomaly).toMatchObject({ kind: "order_id_changed" });
  });
});

// ---------------------------------------------------------------- random sequences

const qty = fc.integer({ min: 0, max: 1_500 });
const at = fc.integer({ min: 0, max: 1_000_000 });
const anyEvent: fc.Arbitrary<OrderEvent> = fc.oneof(
  fc.record({
    kind: fc.constant("created" as const),
    orderId: fc.constant(OID),
    filled: qty,
    remaining: qty,
    atMs: at,
  }),
  fc.record({ kind: fc.constant("exists" as const), atMs: at }),
  fc.record({ kind: fc.constant("rejected" as const), error: fc.constant("refused"), atMs: at }),
  fc.record({ kind: fc.constant("unknown" as const), error: fc.constant("timeout"), atMs: at }),
  fc.record({
    kind: fc.constant("report" as const),
    orderId: fc.constant(OID),
    status: fc.constantFrom("resting" as const, "canceled" as const, "executed" as const, "unknown" as const),
    filled: qty,
    remaining: qty,
    reason: fc.constantFrom(null, "ExpiryCancel", "CloseCancel"),
    atMs: at,
  }),
  fc.record({
    kind: fc.constant("fill" as const),
    count: fc.integer({ min: 1, max: 600 }),
    fee: fc.integer({ min: 0, max: 10_000 }),
    cost: fc.integer({ min: 0, max: 6_000_000 }),
    atMs: at,
  }),
  fc.record({ kind: fc.constant("cancelled" as const), atMs: at }),
  fc.record({ kind: fc.constant("lapsed" as const), atMs: at }),
  fc.record({ kind: fc.constant("resized" as const), count: qty, atMs: at }),
);

/** Events that show the exchange holds the order. */
function isSighting(e: OrderEvent): boolean {
  return e.kind === "created" || e.kind === "report" || e.kind === "exists" || e.kind === "fill";
}

/** A claim that the order does not exist: the create was refused, or a lookup did not find it. */
function isAbsent(o: OrderRecord): boolean {
  return o.state === "rejected" || (o.state === "cancelled" && o.error === "lapsed");
}

/** The documented ways out of a terminal state. */
function leavesTerminalLegally(before: OrderRecord, after: OrderRecord, e: OrderEvent): boolean {
  // The exchange's view wins over an absence claim.
  if (isAbsent(before) && isSighting(e)) return true;
  // A cancel (or expiry) that lost the race to the last fill.
  if (
    (before.state === "cancelled" || before.state === "expired") &&
    after.state === "filled" &&
    e.kind === "report" &&
    e.status === "executed"
  )
    return true;
  // A reasonless `canceled` (a REST read) said cancelled before the exchange named the expiry.
  return (
    before.state === "cancelled" &&
    after.state === "expired" &&
    e.kind === "report" &&
    e.status === "canceled" &&
    e.reason === "ExpiryCancel"
  );
}

describe("applyOrderEvent: properties over random event sequences", () => {
  it("keeps filled within the count, never lowers it, and leaves a terminal state only as documented", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_200 }),
        fc.array(anyEvent, { maxLength: 25 }),
        (count, events) => {
          let o: OrderRecord = journalOrder({ count });
          for (const e of events) {
            const { order: next, anomaly } = applyOrderEvent(o, e);
            expect(next.filled).toBeLessThanOrEqual(next.count);
            expect(next.filled).toBeGreaterThanOrEqual(o.filled);
            if (isTerminal(o.state) && next.state !== o.state)
              expect(leavesTerminalLegally(o, next, e), `${o.state} -> ${next.state} on ${e.kind}`).toBe(
                true,
              );
            // An anomaly exactly when what the exchange and the fills say passes the count.
            const raw = Math.max(next.reportedFilled, next.fillSum);
            expect(anomaly?.kind === "overfill").toBe(raw > next.count);
            // A live state always says how much filled.
            if (next.state === "pending") expect(next.filled).toBe(0);
            if (next.state === "resting") expect(next.filled).toBe(0);
            if (next.state === "partially_filled") {
              expect(next.filled).toBeGreaterThan(0);
              expect(next.filled).toBeLessThan(next.count);
            }
            o = next;
          }
        },
      ),
      runs(300),
    );
  });

  it("never rejects or lapses an order the exchange has shown, and revives one it shows later", () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 20 }), (events) => {
        let o: OrderRecord = journalOrder();
        let seen = false;
        for (const e of events) {
          const next = applyOrderEvent(o, e).order;
          if (isAbsent(next) && !isAbsent(o)) expect(seen, `${next.state} after a sighting`).toBe(false);
          if (isAbsent(o) && isSighting(e))
            expect(isAbsent(next), `still ${next.state} after ${e.kind}`).toBe(false);
          if (isSighting(e)) seen = true;
          o = next;
        }
        if (o.state === "rejected") expect(o.orderId).toBeNull();
      }),
      runs(300),
    );
  });
});

// ---------------------------------------------------------------- consistent histories, reordered

type Ending = "resting" | "cancelled" | "expired" | "executed" | "ioc";

interface Truth {
  count: number;
  fills: number[];
  ending: Ending;
  /** fills already matched when the create answer was written (GTC) */
  atCreate: number;
}

/** Splits `total` into `parts` positive pieces (parts <= total). */
const splitArb = (total: number, maxParts: number): fc.Arbitrary<number[]> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, total - 1) }), {
      maxLength: Math.min(maxParts, total) - 1,
    })
    .map((cuts) => {
      const points = [0, ...cuts.filter((c) => c < total).sort((a, b) => a - b), total];
      const out: number[] = [];
      for (let i = 1; i < points.length; i++) out.push((points[i] as number) - (points[i - 1] as number));
      return out.filter((x) => x > 0);
    });

const truthArb: fc.Arbitrary<Truth> = fc
  .record({
    count: fc.integer({ min: 2, max: 2_000 }),
    ending: fc.constantFrom<Ending>("resting", "cancelled", "expired", "executed", "ioc"),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    full: fc.boolean(),
  })
  .chain(({ count, ending, fraction, full }) => {
    // Executed (and a fully matched IOC) filled everything; the others stop short of the count.
    const filledTotal =
      ending === "executed" || (ending === "ioc" && full)
        ? count
        : Math.min(count - 1, Math.floor(fraction * count));
    const fills = filledTotal === 0 ? fc.constant<number[]>([]) : splitArb(filledTotal, 5);
    return fills.chain((fs) =>
      fc.integer({ min: 0, max: fs.length }).map((k) => ({
        count,
        fills: fs,
        ending,
        atCreate: fs.slice(0, k).reduce((a, b) => a + b, 0),
      })),
    );
  });

/** Every message the exchange (and our own requests) produce for `t`, with some repeated. */
function messagesOf(
  t: Truth,
  repeat: readonly boolean[],
  createLost: boolean,
  restRead: boolean,
  claims: boolean,
): OrderEvent[] {
  const total = t.fills.reduce((a, b) => a + b, 0);
  const out: OrderEvent[] = [];
  const at = (i: number) => 10_000 + i * 1_000;
  if (t.ending === "ioc") {
    out.push(
      createLost ? { kind: "unknown", error: "timeout", atMs: at(0) } : { ...created(total, 0), atMs: at(0) },
    );
  } else if (createLost) {
    out.push({ kind: "unknown", error: "timeout", atMs: at(0) }, { kind: "exists", atMs: at(1) });
  } else {
    out.push({ ...created(t.atCreate, t.count - t.atCreate), atMs: at(0) });
  }
  // Wrong absence claims about an order whose answer was lost: a resend refused for another reason
  // (a 4xx other than 409), a lookup that did not find it yet.
  if (createLost && claims)
    out.push({ kind: "rejected", error: "resend refused", atMs: at(1) }, { kind: "lapsed", atMs: at(1) });
  // Each fill, and a resting report after each while the order still rests.
  let sum = 0;
  t.fills.forEach((c, i) => {
    out.push({ ...fill(c), atMs: at(i + 2) });
    sum += c;
    if (t.ending !== "ioc" && sum < t.count)
      out.push({ ...report("resting", sum, t.count - sum), atMs: at(i + 2) });
  });
  if (t.ending !== "ioc") out.push({ ...report("resting", 0, t.count), atMs: at(1) });
  const end = at(t.fills.length + 3);
  switch (t.ending) {
    case "resting":
      out.push({ ...report("resting", total, t.count - total), atMs: end });
      break;
    case "cancelled":
      out.push({ kind: "cancelled", atMs: end }, { ...report("canceled", total, 0), atMs: end });
      break;
    case "expired":
      out.push({ ...report("canceled", total, 0, "ExpiryCancel"), atMs: end });
      // A REST read names the reason only for post-only orders: this one says just `canceled`.
      if (restRead) out.push({ ...report("canceled", total, 0), atMs: end });
      break;
    case "executed":
      out.push({ ...report("executed", total, 0), atMs: end });
      break;
    case "ioc":
      out.push({ ...report(total === t.count ? "executed" : "canceled", total, 0), atMs: end });
      break;
  }
  // Duplicates (fills excepted: the caller de-duplicates them by fill id).
  const dups = out.filter((e, i) => e.kind !== "fill" && repeat[i % repeat.length] === true);
  return [...out, ...dups];
}

function expectedState(t: Truth): OrderState {
  const total = t.fills.reduce((a, b) => a + b, 0);
  switch (t.ending) {
    case "resting":
      return total > 0 ? "partially_filled" : "resting";
    case "cancelled":
      return "cancelled";
    case "expired":
      return "expired";
    case "executed":
      return "filled";
    case "ioc":
      return total === t.count ? "filled" : "cancelled";
  }
}

describe("applyOrderEvent: a consistent history ends the same whatever the arrival order", () => {
  it("ends in the state and fill count of the exchange's last word, with no anomaly", () => {
    fc.assert(
      fc.property(
        truthArb,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.infiniteStream(fc.nat()),
        (t, repeat, createLost, restRead, claims, order) => {
          const msgs = messagesOf(t, repeat, createLost, restRead, claims);
          // A permutation drawn from the stream (Fisher-Yates).
          const it = order[Symbol.iterator]();
          const shuffled = [...msgs];
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j] as OrderEvent, shuffled[i] as OrderEvent];
          }
          let o: OrderRecord = journalOrder({
            count: t.count,
            tif: t.ending === "ioc" ? "immediate_or_cancel" : "good_till_canceled",
          });
          for (const e of shuffled) {
            const r = applyOrderEvent(o, e);
            expect(r.anomaly).toBeNull();
            o = r.order;
          }
          const total = t.fills.reduce((a, b) => a + b, 0);
          expect(o.state).toBe(expectedState(t));
          expect(o.filled).toBe(total);
          expect(o.orderId).toBe(OID);
          expect(o.ack).toBe("accepted");
        },
      ),
      runs(300),
    );
  });
});
