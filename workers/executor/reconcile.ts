/**
 * Reconciliation's decisions, pure: given the journal's view and the exchange's (all pages of
 * resting orders, the fills since the cursor, the positions), what must be adopted and which
 * differences to record. Kalshi is the truth; every difference becomes a `recon_diffs` row with
 * its kind, and the ones the bot cannot explain (an order or a position it never placed, a fill of
 * an order it does not know, a position its fills do not explain) block entries until reviewed.
 *
 * The order path (`order-path.ts`) fetches, calls these, and applies the result in transactions.
 */
import type { CountUnits, Fill } from "../../shared/domain.ts";
import type { JournalOrder } from "./journal.ts";
import type { OrderReport } from "./order-state.ts";

/** An exchange order in integer units (from REST `Order`). */
export interface RemoteOrder extends OrderReport {
  clientOrderId: string | null;
  ticker: string;
  /** YES-leg side and price as the exchange holds the order */
  bookSide: "bid" | "ask";
  yesPrice: number;
  initialCount: CountUnits;
  exchangeIndex: number;
}

export interface OrdersPlan {
  /** journal orders the exchange reports on: fold the report in */
  reports: { intentId: string; report: OrderReport }[];
  /** resting at the exchange, unknown to the journal: adopt as external orders */
  unknown: RemoteOrder[];
  /** working in the journal (with an order id), not resting at the exchange: read their final state */
  vanished: JournalOrder[];
}

/** Matches the exchange's resting orders with the journal's working ones. */
export function planOrders(
  working: readonly JournalOrder[],
  resting: readonly RemoteOrder[],
  byClientId: (cid: string) => JournalOrder | undefined,
  byOrderId: (oid: string) => JournalOrder | undefined,
): OrdersPlan {
  const reports: OrdersPlan["reports"] = [];
  const unknown: RemoteOrder[] = [];
  const seen = new Set<string>();
  for (const r of resting) {
    const local = byOrderId(r.orderId) ?? (r.clientOrderId ? byClientId(r.clientOrderId) : undefined);
    if (local === undefined) {
      unknown.push(r);
      continue;
    }
    seen.add(local.intentId);
    reports.push({ intentId: local.intentId, report: r });
  }
  const vanished = working.filter(
    (o) => o.orderId !== null && o.state !== "pending" && !seen.has(o.intentId),
  );
  return { reports, unknown, vanished };
}

export interface FillsPlan {
  /** fills of journal orders that the journal had not seen */
  missed: { fill: Fill; order: JournalOrder }[];
  /** fills of orders the journal does not know */
  unknown: Fill[];
}

export function planFills(
  fills: readonly Fill[],
  hasFill: (id: string) => boolean,
  byOrderId: (oid: string) => JournalOrder | undefined,
): FillsPlan {
  const missed: FillsPlan["missed"] = [];
  const unknown: Fill[] = [];
  const seen = new Set<string>();
  for (const f of fills) {
    if (seen.has(f.fillId) || hasFill(f.fillId)) continue;
    seen.add(f.fillId);
    const order = byOrderId(f.orderId);
    if (order) missed.push({ fill: f, order });
    else unknown.push(f);
  }
  // Oldest first, so positions fold in time order.
  missed.sort((a, b) => a.fill.tsMs - b.fill.tsMs);
  unknown.sort((a, b) => a.tsMs - b.tsMs);
  return { missed, unknown };
}

export interface PositionDiff {
  ticker: string;
  /** signed YES contracts */
  local: CountUnits;
  remote: CountUnits;
}

/** Markets where the journal's position and the exchange's differ (signed YES contracts). */
export function positionDiffs(
  local: ReadonlyMap<string, CountUnits>,
  remote: ReadonlyMap<string, CountUnits>,
): PositionDiff[] {
  const out: PositionDiff[] = [];
  for (const t of new Set([...local.keys(), ...remote.keys()])) {
    const l = local.get(t) ?? 0;
    const r = remote.get(t) ?? 0;
    if (l !== r) out.push({ ticker: t, local: l, remote: r });
  }
  return out.sort((a, b) => (a.ticker < b.ticker ? -1 : 1));
}
