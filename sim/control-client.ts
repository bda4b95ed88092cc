/**
 * A small typed client of the simulator's control API (`/_sim/...`) for tests and scripts:
 * scenario scripting, the stepped clock, faults, inspection and reset. Prices and counts are
 * passed as integer units (shared/kalshi/units.ts) and sent as Kalshi strings.
 */

import type { CountUnits, PriceUnits } from "../shared/kalshi/units.ts";
import { formatCount, formatPrice } from "../shared/kalshi/units.ts";
import type { BookSide } from "./exchange/types.ts";
import type { FailureRule, OrderRequestRecord } from "./server/faults.ts";

export class SimControlError extends Error {
  override name = "SimControlError";
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`control API answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    this.status = status;
    this.body = body;
  }
}

/** A failure to inject: the server's own rule shape, sent snake_case. */
export type FailureSpec = FailureRule;

/** `createMarket` options; every field optional (the simulator picks a series, event and ticker). */
export interface CreateMarketSpec {
  ticker?: string;
  eventTicker?: string;
  seriesTicker?: string;
  /** `linear_cent` (default), `deci_cent`, `tapered_deci_cent`, ... */
  priceLevelStructure?: string;
  /** the participants' starting fair YES value */
  fair?: PriceUnits;
  openTs?: number;
  closeTs?: number;
  /** the hidden result the market drifts toward */
  outcome?: "yes" | "no";
}

/** An order group as `GET /_sim/inspect/order-groups` shows it. */
export interface SimOrderGroupView {
  id: string;
  user: string;
  subaccount: number;
  exchange_index: number;
  contracts_limit_fp: string;
  /** true once triggered (limit exceeded or a manual trigger), until a reset */
  triggered: boolean;
  /** contracts the group's orders filled in the last 15 s */
  rolling_volume_fp: string;
  /** every order placed in the group */
  orders: string[];
}

export class SimControlClient {
  readonly baseUrl: string;

  /** `baseUrl` is the simulator's root URL (`http://127.0.0.1:8788`) or its `/_sim` URL. */
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/_sim\/?$/, "").replace(/\/$/, "");
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method, headers: { "content-type": "application/json" } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${this.baseUrl}/_sim${path}`, init);
    const json: unknown = await res.json();
    if (!res.ok) throw new SimControlError(res.status, json);
    return json as T;
  }

  state(): Promise<{
    now_ms: number;
    stepped: boolean;
    trading_paused: boolean;
    markets: { ticker: string; status: string }[];
    ws_connections: number;
  }> {
    return this.call("GET", "/state");
  }

  async step(ms: number): Promise<number> {
    return (await this.call<{ now_ms: number }>("POST", "/clock/step", { ms })).now_ms;
  }

  async placeLiquidity(
    ticker: string,
    side: BookSide,
    price: PriceUnits,
    count: CountUnits,
  ): Promise<string> {
    const r = await this.call<{ order_id: string }>("POST", "/liquidity", {
      ticker,
      side,
      price: formatPrice(price),
      count: formatCount(count),
    });
    return r.order_id;
  }

  /** Rests house liquidity and pulls it at once: two deltas back to back (latency measurements). */
  async flashLiquidity(ticker: string, side: BookSide, price: PriceUnits, count: CountUnits): Promise<void> {
    await this.call("POST", "/liquidity/flash", {
      ticker,
      side,
      price: formatPrice(price),
      count: formatCount(count),
    });
  }

  async pullLiquidity(ticker: string, side?: BookSide, price?: PriceUnits): Promise<number> {
    const body: Record<string, unknown> = { ticker };
    if (side) body.side = side;
    if (price !== undefined) body.price = formatPrice(price);
    return (await this.call<{ pulled: number }>("POST", "/liquidity/pull", body)).pulled;
  }

  movePrice(ticker: string, price: PriceUnits): Promise<unknown> {
    return this.call("POST", `/markets/${encodeURIComponent(ticker)}/price`, { price: formatPrice(price) });
  }

  async tradeThrough(ticker: string, side: BookSide, price: PriceUnits): Promise<number> {
    const r = await this.call<{ trades: number }>(
      "POST",
      `/markets/${encodeURIComponent(ticker)}/trade-through`,
      {
        side,
        price: formatPrice(price),
      },
    );
    return r.trades;
  }

  /**
   * Lists a new market; the simulator emits `market_lifecycle_v2` `created` (with
   * `price_level_structure` and `price_ranges`). Resolves to the market as REST renders it.
   */
  async createMarket(spec: CreateMarketSpec = {}): Promise<Record<string, unknown> & { ticker: string }> {
    const body: Record<string, unknown> = {};
    if (spec.ticker !== undefined) body.ticker = spec.ticker;
    if (spec.eventTicker !== undefined) body.event_ticker = spec.eventTicker;
    if (spec.seriesTicker !== undefined) body.series_ticker = spec.seriesTicker;
    if (spec.priceLevelStructure !== undefined) body.price_level_structure = spec.priceLevelStructure;
    if (spec.fair !== undefined) body.fair = formatPrice(spec.fair);
    if (spec.openTs !== undefined) body.open_ts = spec.openTs;
    if (spec.closeTs !== undefined) body.close_ts = spec.closeTs;
    if (spec.outcome !== undefined) body.outcome = spec.outcome;
    type MarketReply = { market: Record<string, unknown> & { ticker: string } };
    return (await this.call<MarketReply>("POST", "/markets", body)).market;
  }

  /** Switches a market's tick grid; the simulator emits `price_level_structure_updated`. */
  async setPriceLevelStructure(ticker: string, structure: string): Promise<Record<string, unknown>> {
    const path = `/markets/${encodeURIComponent(ticker)}/price-level-structure`;
    const r = await this.call<{ market: Record<string, unknown> }>("POST", path, {
      price_level_structure: structure,
    });
    return r.market;
  }

  /**
   * Changes a market's subtitle or strike; the simulator announces what changed with
   * `market_lifecycle_v2` `metadata_updated`. Refused for multivariate (KXMVE) markets.
   */
  async updateMarketMetadata(
    ticker: string,
    spec: { yesSubTitle?: string; strikeType?: string; floorStrike?: number; capStrike?: number },
  ): Promise<Record<string, unknown>> {
    const body: Record<string, unknown> = {};
    if (spec.yesSubTitle !== undefined) body.yes_sub_title = spec.yesSubTitle;
    if (spec.strikeType !== undefined) body.strike_type = spec.strikeType;
    if (spec.floorStrike !== undefined) body.floor_strike = spec.floorStrike;
    if (spec.capStrike !== undefined) body.cap_strike = spec.capStrike;
    const path = `/markets/${encodeURIComponent(ticker)}/metadata`;
    return (await this.call<{ market: Record<string, unknown> }>("POST", path, body)).market;
  }

  /**
   * Sets an event's fee override (fee type and multiplier, e.g. `{ feeType: "quadratic",
   * feeMultiplier: 0.5 }`) or clears it (`null`). Fees of the event's markets follow at once; the
   * simulator sends `event_fee_update` and lists the change in `GET /events/fee_changes`.
   */
  async setEventFeeOverride(
    eventTicker: string,
    override: { feeType: string; feeMultiplier: number } | null,
  ): Promise<Record<string, unknown>> {
    const body =
      override === null
        ? { fee_type: null, fee_multiplier: null }
        : { fee_type: override.feeType, fee_multiplier: override.feeMultiplier };
    const path = `/events/${encodeURIComponent(eventTicker)}/fee-override`;
    return (await this.call<{ event: Record<string, unknown> }>("POST", path, body)).event;
  }

  pauseMarket(ticker: string, paused = true): Promise<unknown> {
    return this.call("POST", `/markets/${encodeURIComponent(ticker)}/pause`, { paused });
  }

  closeMarket(ticker: string): Promise<unknown> {
    return this.call("POST", `/markets/${encodeURIComponent(ticker)}/close`);
  }

  determineMarket(ticker: string, result: "yes" | "no"): Promise<unknown> {
    return this.call("POST", `/markets/${encodeURIComponent(ticker)}/determine`, { result });
  }

  settleMarket(ticker: string): Promise<unknown> {
    return this.call("POST", `/markets/${encodeURIComponent(ticker)}/settle`);
  }

  pauseExchange(paused = true): Promise<unknown> {
    return this.call("POST", "/exchange/pause", { paused });
  }

  async dropWebSockets(): Promise<number> {
    return (await this.call<{ dropped: number }>("POST", "/faults/ws-drop")).dropped;
  }

  skipSeq(n = 1): Promise<unknown> {
    return this.call("POST", "/faults/seq", { skip: n });
  }

  repeatSeq(n = 1): Promise<unknown> {
    return this.call("POST", "/faults/seq", { repeat: n });
  }

  stallFeed(stalled = true): Promise<unknown> {
    return this.call("POST", "/faults/stall", { stalled });
  }

  slowResponses(ms: number): Promise<unknown> {
    return this.call("POST", "/faults/slow", { ms });
  }

  addFailure(f: FailureSpec): Promise<unknown> {
    const body: Record<string, unknown> = { kind: f.kind };
    if (f.next !== undefined) body.next = f.next;
    if (f.share !== undefined) body.share = f.share;
    if (f.status !== undefined) body.status = f.status;
    if (f.pathPrefix !== undefined) body.path_prefix = f.pathPrefix;
    if (f.method !== undefined) body.method = f.method;
    return this.call("POST", "/faults/failures", body);
  }

  loseResponses(next = 1, mode: "drop" | "timeout" = "drop"): Promise<unknown> {
    return this.call("POST", "/faults/lose-response", { next, mode });
  }

  clearFaults(): Promise<unknown> {
    return this.call("DELETE", "/faults");
  }

  setRateLimits(enabled: boolean): Promise<unknown> {
    return this.call("POST", "/rate-limits", { enabled });
  }

  async ordersReceived(): Promise<OrderRequestRecord[]> {
    return (await this.call<{ requests: OrderRequestRecord[] }>("GET", "/inspect/orders-received")).requests;
  }

  async counters(): Promise<Record<string, number>> {
    return (await this.call<{ counters: Record<string, number> }>("GET", "/inspect/counters")).counters;
  }

  async orders(user?: string): Promise<Record<string, unknown>[]> {
    const q = user ? `?user=${encodeURIComponent(user)}` : "";
    return (await this.call<{ orders: Record<string, unknown>[] }>("GET", `/inspect/orders${q}`)).orders;
  }

  async fills(user?: string): Promise<Record<string, unknown>[]> {
    const q = user ? `?user=${encodeURIComponent(user)}` : "";
    return (await this.call<{ fills: Record<string, unknown>[] }>("GET", `/inspect/fills${q}`)).fills;
  }

  async positions(user?: string): Promise<Record<string, unknown>[]> {
    const q = user ? `?user=${encodeURIComponent(user)}` : "";
    return (await this.call<{ positions: Record<string, unknown>[] }>("GET", `/inspect/positions${q}`))
      .positions;
  }

  /** Every order group (one user's with `user`): limit, trigger state, rolling volume, orders. */
  async orderGroups(user?: string): Promise<SimOrderGroupView[]> {
    const q = user ? `?user=${encodeURIComponent(user)}` : "";
    return (await this.call<{ order_groups: SimOrderGroupView[] }>("GET", `/inspect/order-groups${q}`))
      .order_groups;
  }

  async balances(): Promise<{ user: string; balance_dollars: string }[]> {
    return (
      await this.call<{ balances: { user: string; balance_dollars: string }[] }>("GET", "/inspect/balances")
    ).balances;
  }

  reset(): Promise<unknown> {
    return this.call("POST", "/reset");
  }
}
