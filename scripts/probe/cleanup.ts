/**
 * Nothing the probe places may outlive it. Every client order id it sends, every order the
 * exchange accepted, every order group it created and the position it found in each market it
 * touched are registered here before or as they happen; each check cancels its own orders in its
 * `finally`, and `run` (after the last check, and on Ctrl-C) makes sure:
 *
 * 1. every registered order still resting is cancelled;
 * 2. a sweep of the touched markets' resting orders cancels any carrying one of our client order
 *    ids (an order whose create answer was lost is found this way);
 * 3. every group still registered is deleted;
 * 4. a position that differs from the one found before is brought back with a reduce-only
 *    immediate-or-cancel order at the far end of the grid (what the bot's exits send);
 * 5. then reads everything again and reports what is left.
 *
 * It does not call Kalshi's account-wide cancel-all: that would also cancel orders the account's
 * bot (or its owner) has resting, and Kalshi says orders placed in the following minute may be
 * cancelled too. "Cancel-all" here means every order the probe placed, found by its ids.
 */
import { randomUUID } from "node:crypto";
import type { KalshiRestClient } from "../../shared/kalshi/rest-client.ts";
import type { CountUnits, PriceUnits } from "../../shared/kalshi/units.ts";
import {
  COUNT_DECIMALS,
  fixedOrNaN,
  formatCount,
  formatPrice,
  MAX_COUNT,
} from "../../shared/kalshi/units.ts";

/** Where a registered market stands before the probe trades in it, and how to flatten in it. */
export interface MarketBaseline {
  ticker: string;
  exchangeIndex: number;
  /** signed contracts (YES positive) held before the probe placed anything */
  position: CountUnits;
  /** lowest and highest tradable prices: an IOC sell at the first and buy at the second always take */
  lowPrice: PriceUnits;
  highPrice: PriceUnits;
}

export interface CleanupReport {
  cancelled: string[];
  groupsDeleted: string[];
  /** positions the probe had to bring back, e.g. `KX-1: 0.01 YES` */
  flattened: string[];
  /** what is still there after cleanup: orders, groups, positions */
  left: string[];
  /** reads or writes that failed during cleanup */
  errors: string[];
}

/** Final re-reads while something still shows, and their spacing. */
const VERIFY_TRIES = 6;
const VERIFY_RETRY_MS = 500;

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface TrackedOrder {
  ticker: string;
  exchangeIndex: number;
}

/** Signed position from Kalshi's `position_fp`; NaN when unreadable. */
export function signedContracts(s: string): number {
  return fixedOrNaN(s, COUNT_DECIMALS, true, MAX_COUNT);
}

export class CleanupRegistry {
  readonly #clientOrderIds = new Map<string, string>(); // client order id -> ticker
  readonly #orders = new Map<string, TrackedOrder>();
  readonly #groups = new Map<string, number>(); // group id -> exchange index
  readonly #markets = new Map<string, MarketBaseline>();

  /** A new client order id for an order in `ticker`, registered before it is sent. */
  newClientOrderId(ticker: string): string {
    const id = randomUUID();
    this.#clientOrderIds.set(id, ticker);
    return id;
  }

  order(orderId: string, ticker: string, exchangeIndex: number): void {
    this.#orders.set(orderId, { ticker, exchangeIndex });
  }

  group(groupId: string, exchangeIndex: number): void {
    this.#groups.set(groupId, exchangeIndex);
  }

  /** The group was deleted by the check that made it. */
  groupGone(groupId: string): void {
    this.#groups.delete(groupId);
  }

  market(b: MarketBaseline): void {
    if (!this.#markets.has(b.ticker)) this.#markets.set(b.ticker, b);
  }

  /** Client order ids the probe sent (tests and the report use it). */
  get clientOrderIds(): ReadonlySet<string> {
    return new Set(this.#clientOrderIds.keys());
  }

  /**
   * Cancels, deletes and flattens whatever is left; then reports what still is. Never throws.
   * `sleep` spaces the final re-reads (real time by default).
   */
  async run(
    rest: KalshiRestClient,
    sleep: (ms: number) => Promise<void> = realSleep,
  ): Promise<CleanupReport> {
    const report: CleanupReport = { cancelled: [], groupsDeleted: [], flattened: [], left: [], errors: [] };
    const note = (what: string, message: string) => report.errors.push(`${what}: ${message}`);

    // 1. registered orders
    for (const [orderId, o] of this.#orders) {
      const got = await rest.getOrder(orderId);
      if (!got.ok) {
        note(`read order ${orderId}`, got.failure.message);
        continue;
      }
      if (got.value.status !== "resting") continue;
      const c = await rest.cancelOrder(orderId, { exchange_index: o.exchangeIndex });
      if (c.ok) report.cancelled.push(orderId);
      else note(`cancel ${orderId}`, c.failure.message);
    }

    // 2. sweep by client order id
    for (const m of this.#markets.values()) {
      for (const o of await this.#restingOurs(rest, m.ticker, report)) {
        const c = await rest.cancelOrder(o.orderId, { exchange_index: m.exchangeIndex });
        if (c.ok) report.cancelled.push(o.orderId);
        else note(`cancel ${o.orderId}`, c.failure.message);
      }
    }

    // 3. groups
    for (const [groupId, exchangeIndex] of this.#groups) {
      const d = await rest.deleteOrderGroup(groupId, { exchange_index: exchangeIndex });
      if (d.ok || d.failure.reason === "not_found") {
        if (d.ok) report.groupsDeleted.push(groupId);
        this.#groups.delete(groupId);
      } else note(`delete group ${groupId}`, d.failure.message);
    }

    // 4. positions
    for (const m of this.#markets.values()) {
      const now = await this.#position(rest, m.ticker, report);
      if (now === null || now === m.position) continue;
      const diff = now - m.position;
      // Sell YES we gained (ask at the lowest price), or buy back YES we sold (bid at the highest).
      const r = await rest.createOrder(
        {
          ticker: m.ticker,
          client_order_id: this.newClientOrderId(m.ticker),
          side: diff > 0 ? "ask" : "bid",
          count: formatCount(Math.abs(diff)),
          price: formatPrice(diff > 0 ? m.lowPrice : m.highPrice),
          time_in_force: "immediate_or_cancel",
          self_trade_prevention_type: "taker_at_cross",
          reduce_only: true,
          exchange_index: m.exchangeIndex,
        },
        "reduce",
      );
      if (r.ok)
        report.flattened.push(`${m.ticker}: ${formatCount(Math.abs(diff))} ${diff > 0 ? "YES" : "NO"}`);
      else note(`flatten ${m.ticker}`, r.failure.message);
    }

    // 5. what is left, read again a few times while anything shows: the REST view lags the
    // matching engine slightly, so a cancel just answered may still list the order as resting.
    for (let attempt = 1; ; attempt++) {
      const left = await this.#leftovers(rest, report, attempt === VERIFY_TRIES);
      if (left.length === 0 || attempt === VERIFY_TRIES) {
        report.left.push(...left);
        break;
      }
      await sleep(VERIFY_RETRY_MS);
    }
    return report;
  }

  async #leftovers(rest: KalshiRestClient, report: CleanupReport, noteErrors: boolean): Promise<string[]> {
    const scratch: CleanupReport = { cancelled: [], groupsDeleted: [], flattened: [], left: [], errors: [] };
    const left: string[] = [];
    for (const m of this.#markets.values()) {
      for (const o of await this.#restingOurs(rest, m.ticker, scratch))
        left.push(`order ${o.orderId} resting in ${m.ticker}`);
      const now = await this.#position(rest, m.ticker, scratch);
      if (now !== null && now !== m.position)
        left.push(`position in ${m.ticker}: ${formatCount(now)} (was ${formatCount(m.position)})`);
    }
    if (this.#groups.size > 0) {
      const groups = await rest.listOrderGroups();
      if (!groups.ok) scratch.errors.push(`list order groups: ${groups.failure.message}`);
      else for (const g of groups.value) if (this.#groups.has(g.id)) left.push(`order group ${g.id}`);
    }
    if (noteErrors || left.length === 0) report.errors.push(...scratch.errors);
    return left;
  }

  async #restingOurs(
    rest: KalshiRestClient,
    ticker: string,
    report: CleanupReport,
  ): Promise<{ orderId: string }[]> {
    const r = await rest.listOrders({ ticker, status: "resting" });
    if (!r.ok) {
      report.errors.push(`list resting orders in ${ticker}: ${r.failure.message}`);
      return [];
    }
    return r.value
      .filter((o) => o.client_order_id != null && this.#clientOrderIds.has(o.client_order_id))
      .map((o) => ({ orderId: o.order_id }));
  }

  async #position(rest: KalshiRestClient, ticker: string, report: CleanupReport): Promise<number | null> {
    const r = await rest.getPositions({ ticker });
    if (!r.ok) {
      report.errors.push(`read position in ${ticker}: ${r.failure.message}`);
      return null;
    }
    const p = r.value.market_positions.find((x) => x.ticker === ticker);
    if (p === undefined) return 0;
    const n = signedContracts(p.position_fp);
    if (Number.isNaN(n)) {
      report.errors.push(`position in ${ticker} unreadable: ${p.position_fp}`);
      return null;
    }
    return n;
  }
}
