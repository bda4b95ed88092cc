/**
 * A combined property: a tiny model of the exchange side of one YES position (an entry resting and
 * filling, take-profits resting, filling and expiring, immediate-or-cancel exits filling against
 * the bid) drives the pure cores the way the order path does: every fill goes through `applyFill`
 * and `applyOrderEvent`, every `user_order` and request answer through `applyOrderEvent`, and
 * `planExits` runs between them, its actions carried out as `order-path.ts` carries them out
 * (a resize is an amend of the total up, journaled when sent, or a decrease to the remaining down;
 * a cancel needs the exchange's order id; an IOC exit carries `reduce_only`). The keeper is given
 * `unsettled` as `docs/trading-core.md` asks. Messages reach the bot in any order across the `fill`
 * channel, the `user_order` channel and REST answers (each channel in order, answers in any
 * order). What must hold: the exchange-side position never goes below zero (never flips), no order
 * fills more than its count on either side, and once every message has arrived the bot's position
 * and orders agree with the exchange's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Fill, Order, Position } from "../../shared/domain.ts";
import { isExitPurpose } from "../../shared/domain.ts";
import { type ExitAction, type ExitState, PROTECT, planExits } from "./exit-keeper.ts";
import { applyOrderEvent, isTerminal, type OrderEvent, type OrderRecord } from "./order-state.ts";
import { applyFill } from "./positions.ts";
import { journalOrder, runs } from "./test-support.ts";

interface ExchangeOrder {
  intentId: string;
  count: number;
  filled: number;
  live: boolean;
}

type Msg =
  | { kind: "fill"; intentId: string; fill: Fill }
  | { kind: "event"; intentId: string; event: OrderEvent; answers: boolean };

/** One step of the world: [what happens, two parameters]. */
type Step = [number, number, number];

class World {
  // the exchange
  readonly ex = new Map<string, ExchangeOrder>();
  exPosition = 0;
  bid = 6_000;
  // the bot
  readonly orders = new Map<string, OrderRecord>();
  position: Position | null = null;
  exit: ExitState = PROTECT;
  exitRequest: "flatten" | null = null;
  readonly busy = new Set<string>();
  /** the `fill` channel and the `user_order` channel (each in order), and REST answers (any order) */
  readonly fills: Msg[] = [];
  readonly userOrders: Msg[] = [];
  readonly answers: Msg[] = [];
  readonly violations: string[] = [];
  #serial = 0;
  #positionSerial = 0;
  #trade = 0;

  constructor(entryCount: number) {
    const entry = journalOrder({
      intentId: "entry",
      orderId: "oid-entry",
      state: "resting",
      ack: "accepted",
      count: entryCount,
    });
    this.orders.set("entry", entry);
    this.ex.set("entry", { intentId: "entry", count: entryCount, filled: 0, live: true });
  }

  // ------------------------------------------------------------ the exchange

  /** Fills `n` of a live order at `price` and tells the bot on both channels. */
  #exFill(o: ExchangeOrder, n: number, price: number, sell: boolean): void {
    if (n <= 0) return;
    o.filled += n;
    if (o.filled > o.count) this.violations.push(`${o.intentId} filled ${o.filled} > ${o.count}`);
    if (o.filled >= o.count) o.live = false;
    this.exPosition += sell ? -n : n;
    if (this.exPosition < 0) this.violations.push(`position ${this.exPosition} after ${o.intentId}`);
    this.#trade++;
    this.fills.push({
      kind: "fill",
      intentId: o.intentId,
      fill: {
        fillId: `t-${this.#trade}`,
        orderId: `oid-${o.intentId}`,
        ticker: "KXTEST-26MAY01-T50",
        yesPrice: price,
        count: n,
        yesDelta: sell ? -n : n,
        fee: 0,
        isTaker: !sell,
        tsMs: this.#trade,
      },
    });
    this.userOrders.push({ kind: "event", intentId: o.intentId, event: this.#reportOf(o), answers: false });
  }

  #reportOf(o: ExchangeOrder, reason: string | null = null): OrderEvent {
    const status = o.live ? "resting" : o.filled >= o.count ? "executed" : "canceled";
    return {
      kind: "report",
      orderId: `oid-${o.intentId}`,
      status,
      filled: o.filled,
      remaining: o.live ? o.count - o.filled : 0,
      reason,
      atMs: this.#trade,
    };
  }

  entryFills(pct: number): void {
    const o = this.ex.get("entry");
    if (!o?.live) return;
    this.#exFill(o, Math.max(1, Math.floor(((o.count - o.filled) * pct) / 100)), 6_000, false);
  }

  takeProfitFills(pick: number, pct: number): void {
    const live = [...this.ex.values()].filter(
      (o) => o.live && this.orders.get(o.intentId)?.purpose === "take_profit",
    );
    const o = live[pick % Math.max(1, live.length)];
    if (!o) return;
    // A resting sell is not capped by the position (only an IOC exit carries reduce_only).
    this.#exFill(o, Math.max(1, Math.floor(((o.count - o.filled) * pct) / 100)), 7_000, true);
  }

  takeProfitExpires(pick: number): void {
    const live = [...this.ex.values()].filter(
      (o) => o.live && this.orders.get(o.intentId)?.purpose === "take_profit",
    );
    const o = live[pick % Math.max(1, live.length)];
    if (!o) return;
    o.live = false;
    this.answers.push({
      kind: "event",
      intentId: o.intentId,
      event: this.#reportOf(o, "ExpiryCancel"),
      answers: false,
    });
  }

  // ------------------------------------------------------------ the bot

  deliver(channel: number, pick: number): void {
    const m =
      channel % 3 === 0
        ? this.fills.shift()
        : channel % 3 === 1
          ? this.userOrders.shift()
          : this.answers.splice(pick % Math.max(1, this.answers.length), 1)[0];
    if (!m) return;
    const o = this.orders.get(m.intentId);
    if (!o) return;
    if (m.kind === "fill") {
      const r = applyFill(this.position, m.fill, {
        nowMs: 0,
        newPositionId: () => `pos-${++this.#positionSerial}`,
        exitReason: "take_profit",
      });
      this.position = r.position;
      if (r.opened) this.exit = PROTECT;
      if (this.position === null) this.exitRequest = null;
      this.#apply(o, { kind: "fill", count: m.fill.count, fee: 0, cost: 0, atMs: m.fill.tsMs });
    } else {
      this.#apply(o, m.event);
      if (m.answers) this.busy.delete(m.intentId);
    }
  }

  #apply(o: OrderRecord, e: OrderEvent): void {
    const r = applyOrderEvent(o, e);
    if (r.anomaly !== null) this.violations.push(`${o.intentId}: ${r.anomaly.detail}`);
    this.orders.set(o.intentId, r.order);
  }

  /** Every message still in flight reaches the bot (fills first, as the worst case for the keeper). */
  drain(): void {
    while (this.fills.length + this.userOrders.length + this.answers.length > 0)
      this.deliver(this.fills.length > 0 ? 0 : this.userOrders.length > 0 ? 1 : 2, 0);
  }

  keep(): void {
    const p = this.position;
    if (p === null) return;
    // As the order path picks them: the position's exit orders still working.
    const working = [...this.orders.values()].filter(
      (o) => !isTerminal(o.state) && isExitPurpose(o.purpose) && o.positionId === p.positionId,
    );
    // The exits' fills the exchange reported that have not arrived as fills.
    let unsettled = 0;
    for (const o of this.orders.values())
      if (isExitPurpose(o.purpose)) unsettled += Math.max(0, o.reportedFilled - o.fillSum);
    const actions = planExits({
      position: p,
      unsettled,
      state: this.exit,
      plan: { takeProfit: 7_000, stop: 5_000, deadlineMs: null },
      working: working as Order[],
      busy: this.busy,
      top: { yesBid: this.bid, yesBidSize: 1_000, noBid: 10_000 - this.bid - 100, noBidSize: 1_000 },
      topSource: "book",
      tradable: true,
      exitRequest: this.exitRequest,
      nowMs: 0,
      exitPrice: (bid, attempt) => (bid === null ? null : Math.max(100, bid - 100 * attempt)),
      takeProfitExpiryMs: 3_600_000,
    });
    for (const a of actions) this.#act(p, a);
  }

  #act(p: Position, a: ExitAction): void {
    switch (a.kind) {
      case "set_state":
        this.exit = a.state;
        return;
      case "fetch_rest_top":
        return;
      case "place_take_profit":
      case "exit_ioc": {
        const intentId = `x-${++this.#serial}`;
        const ioc = a.kind === "exit_ioc";
        const order = journalOrder({
          intentId,
          purpose: ioc ? "stop" : "take_profit",
          action: "sell",
          tif: ioc ? "immediate_or_cancel" : "good_till_canceled",
          count: a.count,
          positionId: p.positionId,
        });
        this.orders.set(intentId, order);
        this.busy.add(intentId); // the create request is in flight
        const ex: ExchangeOrder = { intentId, count: a.count, filled: 0, live: true };
        this.ex.set(intentId, ex);
        // An IOC exit carries reduce_only: the exchange caps it at the position it holds.
        if (ioc) {
          this.#exFill(ex, Math.min(a.count, this.exPosition), a.price, true);
          ex.live = false;
        }
        this.answers.push({
          kind: "event",
          intentId,
          event: {
            kind: "created",
            orderId: `oid-${intentId}`,
            filled: ex.filled,
            remaining: ex.live ? ex.count - ex.filled : 0,
            atMs: 0,
          },
          answers: true,
        });
        return;
      }
      case "cancel": {
        const o = this.orders.get(a.intentId);
        const ex = this.ex.get(a.intentId);
        // The order path cannot cancel an order the exchange has not named yet.
        if (!o || o.orderId === null || !ex) return;
        this.busy.add(a.intentId);
        if (ex.live) {
          ex.live = false;
          this.answers.push({
            kind: "event",
            intentId: a.intentId,
            event: { kind: "cancelled", atMs: 0 },
            answers: true,
          });
        } else {
          // Refused (already gone): the order path reads the order and folds what it says.
          this.answers.push({
            kind: "event",
            intentId: a.intentId,
            event: this.#reportOf(ex),
            answers: true,
          });
        }
        return;
      }
      case "resize_take_profit": {
        const o = this.orders.get(a.intentId);
        const ex = this.ex.get(a.intentId);
        if (!o || o.orderId === null || isTerminal(o.state) || !ex) return;
        this.busy.add(a.intentId);
        const total = o.filled + a.remaining;
        // As order-path.ts sends it: a decrease to the remaining, or an amend of the total.
        const decrease = a.remaining < o.count - o.filled;
        const newCount = decrease ? ex.filled + a.remaining : total;
        if (!ex.live || newCount < ex.filled) {
          this.answers.push({
            kind: "event",
            intentId: a.intentId,
            event: this.#reportOf(ex),
            answers: true,
          });
          return;
        }
        // R3: a grown total is the order's count from the moment the amend is sent.
        if (!decrease) this.#apply(o, { kind: "resized", count: total, atMs: 0 });
        ex.count = newCount;
        if (ex.filled >= ex.count) ex.live = false;
        this.answers.push({
          kind: "event",
          intentId: a.intentId,
          event: { kind: "resized", count: total, atMs: 0 },
          answers: true,
        });
        return;
      }
    }
  }

  run(steps: readonly Step[]): void {
    for (const [what, a, b] of steps) {
      switch (what) {
        case 0:
          this.entryFills(a);
          break;
        case 1:
          this.takeProfitFills(a, b);
          break;
        case 2:
          this.takeProfitExpires(a);
          break;
        case 3:
          // 4 700..8 000: the stop (5 000) is hit now and then.
          this.bid = 4_670 + a * 33;
          break;
        case 4:
          if (a === 0 && this.position !== null) this.exitRequest = "flatten";
          break;
        case 5:
          this.deliver(a, b);
          break;
        default:
          this.keep();
      }
      // The bot's own view never flips either (fills arrive in order on their channel).
      if (this.position !== null && this.position.side !== "yes")
        this.violations.push(`bot holds ${this.position.contracts} NO`);
    }
  }
}

const pct = fc.integer({ min: 1, max: 100 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constant(0), pct, pct) }, // the entry fills
  { weight: 3, arbitrary: fc.tuple(fc.constant(1), pct, pct) }, // a take-profit fills
  { weight: 1, arbitrary: fc.tuple(fc.constant(2), pct, pct) }, // a take-profit expires
  { weight: 1, arbitrary: fc.tuple(fc.constant(3), pct, pct) }, // the bid moves
  { weight: 1, arbitrary: fc.tuple(fc.constant(4), fc.integer({ min: 0, max: 9 }), pct) }, // an exit request, sometimes
  { weight: 8, arbitrary: fc.tuple(fc.constant(5), fc.nat(), fc.nat()) }, // a message reaches the bot
  { weight: 5, arbitrary: fc.tuple(fc.constant(6), pct, pct) }, // the keeper runs
);

describe("exit keeper, positions and order state driven together against a model exchange", () => {
  it("never sells the position through zero and never fills an order past its count", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(stepArb, { minLength: 20, maxLength: 120 }),
        (entry, steps) => {
          const w = new World(entry);
          w.run(steps);
          w.drain();
          expect(w.violations).toEqual([]);
          expect(w.exPosition).toBeGreaterThanOrEqual(0);
          // Once everything has arrived the bot agrees with the exchange, order by order.
          expect(w.position?.contracts ?? 0).toBe(w.exPosition);
          for (const ex of w.ex.values()) {
            const o = w.orders.get(ex.intentId);
            expect(o?.filled, ex.intentId).toBe(ex.filled);
            expect(Math.max(o?.reportedFilled ?? 0, o?.fillSum ?? 0), ex.intentId).toBeLessThanOrEqual(
              o?.count ?? 0,
            );
            expect(isTerminal(o?.state ?? "pending"), ex.intentId).toBe(!ex.live);
          }
        },
      ),
      runs(300),
    );
  });
});
