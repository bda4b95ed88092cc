/**
 * The order state machine, pure: one journaled order and everything the exchange can say about
 * it, folded into its next state. Driven by the create response, `user_order` messages, `fill`
 * messages, REST order reads, cancel answers and the unknown-order resolution, in any order and
 * any number of times: the fold is idempotent under repeats and safe under reordering.
 *
 *   pending ──create 2xx / user_order / REST──▶ resting ◀─┐
 *      │                                          │        │ partial fills
 *      │                                          ▼        │
 *      │                                   partially_filled ┘
 *      │                                          │
 *      └──────────────▶ filled | cancelled | expired | rejected   (terminal: they absorb)
 *
 * - `rejected` only on the exchange's explicit refusal of the create; a lost answer keeps the
 *   order `pending` with ack `unknown` until something proves what happened.
 * - `filled` (contracts) only grows: it is the larger of what the exchange last reported for the
 *   order and the sum of its fills seen, capped at `count`.
 * - A terminal order ignores later non-terminal news (a late `resting` after `cancelled`); a
 *   terminal answer after another terminal one only raises `filled` (a fill that raced a cancel),
 *   except that `executed` turns a cancelled or expired order `filled` and a `canceled` naming
 *   `ExpiryCancel` turns a cancelled one `expired` (a reasonless REST read came first).
 * - `lapsed` (an unknown order proven absent) is terminal `cancelled`, and `rejected` is terminal,
 *   but both are only claims that the order does not exist: neither applies once anything showed
 *   the order (a create answer, a 409 on a resend, a report, a fill), and a later sighting revives
 *   it (a resend refused for another reason after the first attempt got through; a lookup that ran
 *   ahead of the exchange's order list): the exchange's view wins.
 * - An event whose numbers no exchange report has (a count that is not an integer in
 *   [0, MAX_COUNT], money past MAX_MONEY, a time that is not an integer) is refused: the order
 *   comes back unchanged with a `bad_event` anomaly, so the journal never stores it.
 */
import type { CountUnits, MoneyMicros, Order, OrderState } from "../../shared/domain.ts";
import { TERMINAL_STATES } from "../../shared/domain.ts";
import { MAX_COUNT, MAX_MONEY } from "../../shared/kalshi/units.ts";

/** The exchange's report of an order (a `user_order` message or a REST `Order`). */
export interface OrderReport {
  orderId: string;
  status: "resting" | "canceled" | "executed" | "unknown";
  /** contracts filled so far, as the exchange counts them */
  filled: CountUnits;
  remaining: CountUnits;
  /** Kalshi's `last_update_reason` (`ExpiryCancel`, `CloseCancel`, ...) when given */
  reason?: string | null;
  /**
   * The order's total (filled + remaining) as a REST read shows it, given only when no amend of
   * ours can be in flight: a live order's count becomes it (an amend that failed after the journal
   * grew the count would otherwise leave the journal believing in a size that does not work).
   */
  total?: CountUnits;
  atMs: number;
}

export type OrderEvent =
  /** 2xx on the create: the order exists; for an IOC `remaining` is already the post-cancel remainder. */
  | { kind: "created"; orderId: string; filled: CountUnits; remaining: CountUnits; atMs: number }
  /** 409 `order_already_exists` on a resend: the first attempt created it; its id comes later. */
  | { kind: "exists"; atMs: number }
  | { kind: "rejected"; error: string; atMs: number }
  /** timeout, 5xx, 429, network, unreadable 2xx: the order may exist */
  | { kind: "unknown"; error: string; atMs: number }
  | ({ kind: "report" } & OrderReport)
  /** one new fill of this order (de-duplicated by the caller by fill id) */
  | { kind: "fill"; count: CountUnits; fee: MoneyMicros; cost: MoneyMicros; atMs: number }
  /** the cancel was accepted: the remainder is gone */
  | { kind: "cancelled"; atMs: number }
  /** an unknown order proven absent at the exchange */
  | { kind: "lapsed"; atMs: number }
  /** an amend or decrease was accepted: the order's total is now `count` (filled + working) */
  | { kind: "resized"; count: CountUnits; atMs: number };

/** The journal's view of an order: the domain order plus what the fold needs to stay idempotent. */
export interface OrderRecord extends Order {
  /** the largest fill count the exchange reported for the order */
  reportedFilled: CountUnits;
  /** the sum of the fills seen */
  fillSum: CountUnits;
}

/** Anything the fold noticed that should not happen (reported, never thrown). */
export interface Anomaly {
  kind: "overfill" | "order_id_changed" | "bad_event";
  detail: string;
}

/** Why an event carries numbers no exchange report (nor the bot's own resize) has, or null. */
function badNumbers(e: OrderEvent): string | null {
  const counts: [string, number][] =
    e.kind === "created" || e.kind === "report"
      ? [
          ["filled", e.filled],
          ["remaining", e.remaining],
          ...(e.kind === "report" && e.total !== undefined ? [["total", e.total] as [string, number]] : []),
        ]
      : e.kind === "fill" || e.kind === "resized"
        ? [["count", e.count]]
        : [];
  for (const [name, v] of counts)
    if (!(Number.isSafeInteger(v) && v >= 0 && v <= MAX_COUNT))
      return `${e.kind} ${name} ${v} is not a count`;
  if (e.kind === "fill")
    for (const [name, v] of [
      ["fee", e.fee],
      ["cost", e.cost],
    ] as const)
      if (!(Number.isSafeInteger(v) && Math.abs(v) <= MAX_MONEY)) return `fill ${name} ${v} is not money`;
  if (!Number.isSafeInteger(e.atMs)) return `${e.kind} atMs ${e.atMs} is not a time`;
  return null;
}

export function isTerminal(s: OrderState): boolean {
  return TERMINAL_STATES.has(s);
}

function live(filled: CountUnits): OrderState {
  return filled > 0 ? "partially_filled" : "resting";
}

/** Folds one event into the order. Returns the next record and any anomaly seen. */
export function applyOrderEvent(
  o: OrderRecord,
  e: OrderEvent,
): { order: OrderRecord; anomaly: Anomaly | null } {
  const bad = badNumbers(e);
  if (bad !== null) return { order: o, anomaly: { kind: "bad_event", detail: bad } };
  let anomaly: Anomaly | null = null;
  const next: OrderRecord = { ...o };
  const terminal = isTerminal(o.state);
  // A claim that the order does not exist; any sign of the order overrides it.
  const absent = o.state === "rejected" || (o.state === "cancelled" && o.error === "lapsed");
  // Nothing yet shows that the exchange holds the order.
  const unseen = o.state === "pending" && o.ack !== "accepted" && o.orderId === null;
  if (absent && (e.kind === "created" || e.kind === "exists" || e.kind === "report" || e.kind === "fill")) {
    // Revived: pending until this event (or the normalisation below) says what it is.
    next.state = "pending";
    next.error = null;
  }
  switch (e.kind) {
    case "created":
      next.ack = "accepted";
      if (o.orderId !== null && o.orderId !== e.orderId)
        anomaly = { kind: "order_id_changed", detail: `${o.orderId} -> ${e.orderId}` };
      next.orderId = e.orderId;
      next.reportedFilled = Math.max(o.reportedFilled, e.filled);
      if (!terminal || absent)
        // An IOC answers with its remainder already cancelled: filled, or cancelled with what filled.
        next.state = e.remaining > 0 ? live(e.filled) : e.filled >= o.count ? "filled" : "cancelled";
      break;
    case "exists":
      next.ack = "accepted";
      break;
    case "rejected":
      // Only an order the exchange never acknowledged can be rejected.
      if (unseen) {
        next.ack = "rejected";
        next.state = "rejected";
        next.error = e.error;
      }
      break;
    case "unknown":
      if (o.state === "pending" && o.ack !== "accepted") {
        next.ack = "unknown";
        next.error = e.error;
      }
      break;
    case "report": {
      next.ack = "accepted";
      if (o.orderId !== null && o.orderId !== e.orderId)
        anomaly = { kind: "order_id_changed", detail: `${o.orderId} -> ${e.orderId}` };
      next.orderId = e.orderId;
      next.reportedFilled = Math.max(o.reportedFilled, e.filled);
      const reported = reportState(e, Math.max(next.reportedFilled, o.fillSum), o.count);
      if (reported === null) break;
      if (!terminal || absent) {
        next.state = reported;
        if (e.total !== undefined && (reported === "resting" || reported === "partially_filled"))
          next.count = Math.max(e.total, next.reportedFilled, o.fillSum);
      } else if (reported === "filled" && (o.state === "cancelled" || o.state === "expired")) {
        // The exchange says it filled: a cancel (or an expiry) lost the race to the fill.
        next.state = "filled";
      } else if (reported === "expired" && o.state === "cancelled") {
        // A REST read names the reason only for post-only orders: a bare `canceled` read first
        // does not hide the expiry the `user_order` names.
        next.state = "expired";
      }
      break;
    }
    case "fill":
      next.fillSum = o.fillSum + e.count;
      next.fees = o.fees + e.fee;
      next.fillCost = o.fillCost + e.cost;
      next.ack = "accepted";
      break;
    case "cancelled":
      if (!terminal) next.state = "cancelled";
      break;
    case "lapsed":
      if (unseen) {
        next.state = "cancelled";
        next.error = "lapsed";
      }
      break;
    case "resized":
      if (!terminal) next.count = Math.max(e.count, Math.max(o.reportedFilled, o.fillSum));
      break;
  }
  const filled = Math.max(next.reportedFilled, next.fillSum);
  if (filled > next.count) anomaly ??= { kind: "overfill", detail: `filled ${filled} > count ${next.count}` };
  next.filled = Math.min(filled, next.count);
  if (!isTerminal(next.state) && next.state !== "pending")
    next.state = next.filled >= next.count ? "filled" : live(next.filled);
  if (next.state === "pending" && next.filled > 0)
    next.state = next.filled >= next.count ? "filled" : "partially_filled";
  next.updatedMs = Math.max(o.updatedMs, e.atMs);
  return { order: next, anomaly };
}

/** What an exchange report says the state is; null for `unknown` (tells nothing). */
function reportState(r: OrderReport, filled: CountUnits, count: CountUnits): OrderState | null {
  switch (r.status) {
    case "resting":
      return r.remaining > 0 ? live(filled) : filled >= count ? "filled" : null;
    case "executed":
      return "filled";
    case "canceled":
      return r.reason === "ExpiryCancel" ? "expired" : "cancelled";
    case "unknown":
      return null;
  }
}
