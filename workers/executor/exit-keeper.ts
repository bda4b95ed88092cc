/**
 * The exit keeper's decision, pure: for one open position, what its exits need now. Every open
 * position is kept with a resting take-profit (post-only, good-till-time) sized to the position,
 * and a synthetic stop: a resting sell below the bid would execute at once, so the stop is
 * watched on the live book (or, while the book is not fresh, on REST order-book reads) and acts
 * with an immediate-or-cancel exit when the best bid reaches it.
 *
 * Two modes, persisted with the position:
 * - `protect`: place the take-profit if none works, resize it to the position after partial
 *   fills (up with an amend, down with a decrease), re-place it when it expires or the exchange
 *   cancelled it; watch the stop.
 * - `exiting` (stop hit, timeout, pre-close, deactivation, flatten, or the take-profit price
 *   reached while no take-profit works): one-cancels-other. First
 *   every working take-profit is cancelled, and nothing else goes out until none works; then one
 *   immediate-or-cancel exit for the whole position at a bounded price, retried wider per attempt
 *   until flat. Once exiting, a position does not go back to protect.
 *
 * The invariant this keeps: the working exit sizes never add up to more than the position (the
 * take-profit is never larger than the position; an exit order never overlaps a working
 * take-profit; one exit order at a time, sized to the position), so an exit can never over-sell
 * or flip it. The executor carries the actions out and adds `reduce_only` where Kalshi takes it.
 *
 * "The position" here is what the exchange holds: the fills folded so far, less the exits' fills
 * the exchange has already reported (a `user_order` or an order read) that have not arrived as
 * `fill`s yet (`unsettled`). The two channels race; sizing to the folded position alone re-placed
 * or grew a take-profit by contracts already sold.
 */
import type {
  CountUnits,
  ExitPlan,
  ExitReason,
  Order,
  Position,
  PriceUnits,
  TopOfBook,
} from "../../shared/domain.ts";
import { bidOf, openCount } from "../../shared/domain.ts";

export interface ExitState {
  mode: "protect" | "exiting";
  /** why the position is being exited (null while protecting) */
  reason: ExitReason | null;
  sinceMs: number | null;
  /** exit orders sent so far (each one a little more aggressive) */
  attempts: number;
}

export const PROTECT: ExitState = Object.freeze({
  mode: "protect",
  reason: null,
  sinceMs: null,
  attempts: 0,
});

export interface ExitView {
  position: Position;
  state: ExitState;
  plan: ExitPlan;
  /** non-terminal orders of this position (take-profits and exits), pending ones included */
  working: readonly Order[];
  /**
   * contracts this market's exit orders (working or not) are reported to have filled beyond the
   * fills folded into the position (sum of `reportedFilled - fillSum` where positive); 0 if omitted
   */
  unsettled?: CountUnits;
  /** orders with a cancel, amend or decrease in flight: no second request until it settles */
  busy: ReadonlySet<string>;
  /** the best top available and where it came from; null = none usable */
  top: TopOfBook | null;
  topSource: "book" | "rest" | "none";
  /** new orders are accepted in this market now (active, exchange trading, order group not triggered) */
  tradable: boolean;
  /** an exit asked for by the strategy or the operator (timeout, pre-close, deactivated, flatten, manual) */
  exitRequest: ExitReason | null;
  nowMs: number;
  /** the bounded aggressive price of exit attempt `attempt` (1-based) from the current bid; null = none */
  exitPrice: (bid: PriceUnits | null, attempt: number) => PriceUnits | null;
  /** good-till-time of a new take-profit */
  takeProfitExpiryMs: number;
}

export type ExitAction =
  | { kind: "set_state"; state: ExitState }
  | { kind: "cancel"; intentId: string; why: string }
  | { kind: "place_take_profit"; price: PriceUnits; count: CountUnits; expirationMs: number }
  /** make the take-profit's working size `remaining` (amend up, decrease down) */
  | { kind: "resize_take_profit"; intentId: string; remaining: CountUnits }
  | { kind: "exit_ioc"; price: PriceUnits; count: CountUnits; attempt: number; reason: ExitReason }
  /** the stop cannot be watched on the book: read the top over REST */
  | { kind: "fetch_rest_top" };

export function planExits(v: ExitView): ExitAction[] {
  const out: ExitAction[] = [];
  const p = v.position;
  if (p.contracts <= 0) return out;
  // What the exchange holds as far as anything has told us: every new or grown exit is sized to it.
  const held = Math.max(0, p.contracts - (v.unsettled ?? 0));
  const bid = v.top === null ? null : bidOf(v.top, p.side);
  const tps = v.working.filter((o) => o.purpose === "take_profit");
  const exits = v.working.filter((o) => o.purpose !== "take_profit");
  let state = v.state;
  if (state.mode === "protect") {
    const usable = bid !== null && v.topSource !== "none";
    const stopHit = usable && bid <= v.plan.stop;
    // The target reached with no take-profit on the book (cancelled by a pause, refused as a
    // post-only cross, not yet placed): a resting take-profit would have filled, and a new one
    // would be refused, so the position is sold at the bid instead of waiting unprotected.
    const targetHit = usable && tps.length === 0 && exits.length === 0 && bid >= v.plan.takeProfit;
    const reason: ExitReason | null = v.exitRequest ?? (stopHit ? "stop" : targetHit ? "take_profit" : null);
    if (reason !== null) {
      state = { mode: "exiting", reason, sinceMs: v.nowMs, attempts: 0 };
      out.push({ kind: "set_state", state });
    }
  }
  if (state.mode === "exiting") {
    // One-cancels-other: no exit while any take-profit may still fill.
    for (const tp of tps)
      if (!v.busy.has(tp.intentId))
        out.push({
          kind: "cancel",
          intentId: tp.intentId,
          why: `${state.reason}: cancel the take-profit first`,
        });
    if (tps.length > 0 || exits.length > 0 || !v.tradable || held === 0) return out;
    const attempt = state.attempts + 1;
    const price = v.exitPrice(bid, attempt);
    if (price === null) {
      if (v.topSource !== "book") out.push({ kind: "fetch_rest_top" });
      return out;
    }
    out.push({ kind: "set_state", state: { ...state, attempts: attempt } });
    out.push({ kind: "exit_ioc", price, count: held, attempt, reason: state.reason ?? "manual" });
    return out;
  }
  if (v.topSource !== "book") out.push({ kind: "fetch_rest_top" });
  // An exit order working while protecting (a manual sell): leave the take-profit alone until it settles.
  if (exits.length > 0) return out;
  const [first, ...extra] = tps;
  for (const tp of extra)
    if (!v.busy.has(tp.intentId))
      out.push({ kind: "cancel", intentId: tp.intentId, why: "one take-profit per position" });
  if (first === undefined) {
    if (v.tradable && held > 0)
      out.push({
        kind: "place_take_profit",
        price: v.plan.takeProfit,
        count: held,
        expirationMs: v.nowMs + v.takeProfitExpiryMs,
      });
    return out;
  }
  if (first.state === "pending" || v.busy.has(first.intentId) || extra.length > 0) return out;
  const working = openCount(first);
  if (held === 0)
    // Everything is reported sold: nothing left for a take-profit to sell.
    out.push({ kind: "cancel", intentId: first.intentId, why: "the position is reported sold" });
  else if (working !== held && (v.tradable || working > held))
    out.push({ kind: "resize_take_profit", intentId: first.intentId, remaining: held });
  return out;
}
