/**
 * Kalshi's REST API (`/trade-api/v2/...`, https://docs.kalshi.com/api-reference) in front of the exchange port:
 * pure request -> reply functions, so the HTTP shell (`index.ts`) owns sockets, auth, rate
 * limits and faults. Replies carry Kalshi's wire shapes (`wire.ts`) and its wrapped error body
 * `{"error":{"code","message","details"}}`.
 */

import {
  fixedOrNaN,
  formatCount,
  formatMoney,
  formatPrice,
  MAX_COUNT,
  PRICE_SCALE,
} from "../../shared/kalshi/units.ts";
import type {
  CreateOrderInput,
  CreateOrderOutcome,
  Rejection,
  SelfTradePrevention,
  SimFill,
  TimeInForce,
} from "../exchange/types.ts";
import { isMultivariate } from "../exchange/types.ts";
import type { ExchangePort } from "./exchange-port.ts";
import type { TierLimits } from "./rate-limit.ts";
import { BASIC_TIER, DEFAULT_COST, ENDPOINT_COSTS, SHARDS } from "./rate-limit.ts";
import type { Json } from "./wire.ts";
import {
  cents,
  eventJson,
  feeChangeJson,
  fillJson,
  levelsJson,
  marketJson,
  money4,
  orderGroupJson,
  orderJson,
  positionJson,
  rfc3339,
  seriesJson,
  settlementJson,
  tradeJson,
} from "./wire.ts";

export const API_PREFIX = "/trade-api/v2";

export interface Reply {
  status: number;
  body: unknown;
  /** the request was processed; the server should now lose the answer (fault) */
  orderId?: string;
  outcome?: "accepted" | "rejected";
}

export interface RestRequest {
  method: string;
  /** path after /trade-api/v2, no query */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** undefined for unauthenticated requests */
  userId: string | undefined;
  nowMs: number;
}

export interface RestState {
  exchange: ExchangePort;
  limits: () => TierLimits;
}

/**
 * Kalshi's wrapped error body. `details` is left out when there is nothing to add, as Kalshi's
 * Order Errors page says (batch items always carry it; they build their own).
 */
export function errorBody(
  code: string,
  message: string,
  details = "",
): { error: { code: string; message: string; details?: string } } {
  return details === "" ? { error: { code, message } } : { error: { code, message, details } };
}

/** A body Kalshi cannot parse (bad JSON) answers 400 with the flat shape, not under `error`. */
export function unparseableBody(details: string): { code: string; message: string; details: string } {
  return { code: "bad_request", message: "bad request", details };
}

function err(status: number, code: string, message: string, details = ""): Reply {
  return { status, body: errorBody(code, message, details), outcome: "rejected" };
}

function fromRejection(r: Rejection): Reply {
  return err(r.status, r.code, r.message, r.details ?? "");
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });

export const LEGACY_V1_ERROR = errorBody("deprecated_v1_order_endpoint", "Please switch to the V2 endpoints");

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---- parsing helpers -------------------------------------------------------------------------

/** Request prices: YES-leg dollar strings with 2-4 decimals (`"0.56"`, `"0.5600"`). */
function reqPrice(v: unknown): number {
  if (typeof v !== "string" || !/^\d\.\d{2,4}$/.test(v)) return Number.NaN;
  return fixedOrNaN(v, 4, false, PRICE_SCALE);
}

/** Request counts: 0-2 decimals (`"10"`, `"10.00"`). */
function reqCount(v: unknown): number {
  if (typeof v !== "string") return Number.NaN;
  return fixedOrNaN(v, 2, false, MAX_COUNT);
}

function intParam(q: URLSearchParams, name: string): number | undefined | null {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  return /^-?\d+$/.test(v) ? Number(v) : null;
}

function paginate<T>(
  items: T[],
  q: URLSearchParams,
  def = 100,
  max = 1000,
): { page: T[]; cursor: string } | Reply {
  const limit = intParam(q, "limit");
  if (limit === null || (limit !== undefined && (limit < 1 || limit > max))) {
    return err(400, "bad_request", "invalid limit", `limit must be between 1 and ${max}`);
  }
  const c = q.get("cursor") ?? "";
  let offset = 0;
  if (c !== "") {
    const decoded = Buffer.from(c, "base64url").toString("utf8");
    if (!/^o:\d+$/.test(decoded)) return err(400, "bad_request", "invalid cursor");
    offset = Number(decoded.slice(2));
  }
  const n = limit ?? def;
  const page = items.slice(offset, offset + n);
  const next = offset + n < items.length ? Buffer.from(`o:${offset + n}`).toString("base64url") : "";
  return { page, cursor: next };
}

function tsFilter(q: URLSearchParams, getMs: (x: never) => number): ((x: never) => boolean) | Reply {
  const min = intParam(q, "min_ts");
  const max = intParam(q, "max_ts");
  if (min === null || max === null) return err(400, "bad_request", "invalid timestamp filter");
  return (x: never) => {
    const s = Math.floor(getMs(x) / 1000);
    return (min === undefined || s >= min) && (max === undefined || s <= max);
  };
}

function isReply(v: unknown): v is Reply {
  return isRecord(v) && typeof v.status === "number" && "body" in v;
}

/** The `GET /markets?status=` vocabulary differs from response statuses (Kalshi's market lifecycle guide). */
const STATUS_FILTER: Record<string, readonly string[]> = {
  unopened: ["initialized"],
  open: ["active"],
  paused: ["inactive"],
  closed: ["closed", "determined", "disputed", "amended"],
  settled: ["finalized"],
};

// ---- order requests --------------------------------------------------------------------------

const TIFS: readonly TimeInForce[] = ["fill_or_kill", "good_till_canceled", "immediate_or_cancel"];
const STPS: readonly SelfTradePrevention[] = ["taker_at_cross", "maker"];

export function parseCreateOrder(body: unknown, nowMs: number): CreateOrderInput | Reply {
  if (!isRecord(body)) return err(400, "bad_request", "invalid request body");
  const { ticker, side, count, price, time_in_force: tif, self_trade_prevention_type: stp } = body;
  if (typeof ticker !== "string" || ticker === "") return err(400, "invalid_order", "ticker is required");
  if (side !== "bid" && side !== "ask") return err(400, "invalid_order", "side must be bid or ask");
  const p = reqPrice(price);
  if (Number.isNaN(p)) return err(400, "invalid_price", "price must be a dollar string with 2-4 decimals");
  if (p <= 0 || p >= PRICE_SCALE)
    return err(400, "invalid_price", "price must be strictly between $0 and $1");
  const c = reqCount(count);
  if (Number.isNaN(c) || c <= 0)
    return err(400, "invalid_order_size", "count must be a positive fixed-point string");
  if (typeof tif !== "string" || !TIFS.includes(tif as TimeInForce))
    return err(400, "invalid_order", "time_in_force is required");
  if (typeof stp !== "string" || !STPS.includes(stp as SelfTradePrevention)) {
    return err(400, "invalid_order", "self_trade_prevention_type is required");
  }
  const input: CreateOrderInput = {
    ticker,
    side,
    price: p,
    count: c,
    timeInForce: tif as TimeInForce,
    selfTradePrevention: stp as SelfTradePrevention,
  };
  if (body.client_order_id !== undefined) {
    if (typeof body.client_order_id !== "string" || !/^[A-Za-z0-9_+=:/-]{1,64}$/.test(body.client_order_id)) {
      return err(400, "invalid_order", "invalid client_order_id");
    }
    input.clientOrderId = body.client_order_id;
  }
  if (body.expiration_time !== undefined && body.expiration_time !== null) {
    const e = body.expiration_time;
    if (typeof e !== "number" || !Number.isInteger(e))
      return err(400, "invalid_order", "expiration_time must be Unix seconds");
    if (input.timeInForce === "immediate_or_cancel") {
      return err(400, "invalid_order", "Cannot specify both immediate_or_cancel and expiration_ts");
    }
    if (e * 1000 <= nowMs) return err(400, "invalid_order", "Expiration timestamp must be in the future");
    input.expirationTimeSec = e;
  }
  for (const [k, f] of [
    ["post_only", "postOnly"],
    ["reduce_only", "reduceOnly"],
    ["cancel_order_on_pause", "cancelOrderOnPause"],
  ] as const) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "boolean") return err(400, "invalid_order", `${k} must be a boolean`);
    input[f] = v;
  }
  for (const [k, f] of [
    ["subaccount", "subaccount"],
    ["exchange_index", "exchangeIndex"],
  ] as const) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isInteger(v))
      return err(400, "invalid_order", `${k} must be an integer`);
    input[f] = v;
  }
  if (body.order_group_id !== undefined && body.order_group_id !== null) {
    if (typeof body.order_group_id !== "string" || body.order_group_id === "")
      return err(400, "invalid_order", "order_group_id must be a string");
    input.orderGroupId = body.order_group_id;
  }
  return input;
}

/**
 * An order group's contracts limit: `contracts_limit` (whole contracts) or `contracts_limit_fp`
 * (a count string, 0-2 decimals); both may be sent if they agree. Count units, or a reply.
 */
export function parseContractsLimit(body: unknown): number | Reply {
  if (!isRecord(body)) return err(400, "bad_request", "invalid request body");
  const int = body.contracts_limit;
  const fp = body.contracts_limit_fp;
  let fromInt: number | undefined;
  let fromFp: number | undefined;
  if (int !== undefined && int !== null) {
    if (typeof int !== "number" || !Number.isInteger(int))
      return err(400, "invalid_parameters", "contracts_limit must be an integer");
    fromInt = int * 100;
  }
  if (fp !== undefined && fp !== null) {
    fromFp = reqCount(fp);
    if (Number.isNaN(fromFp))
      return err(400, "invalid_parameters", "contracts_limit_fp must be a fixed-point count string");
  }
  if (fromInt === undefined && fromFp === undefined)
    return err(400, "missing_parameters", "contracts_limit or contracts_limit_fp is required");
  if (fromInt !== undefined && fromFp !== undefined && fromInt !== fromFp)
    return err(400, "invalid_parameters", "contracts_limit and contracts_limit_fp must match");
  return (fromFp ?? fromInt) as number;
}

function fillSummary(fills: SimFill[]): Json {
  const count = fills.reduce((s, f) => s + f.count, 0);
  if (count === 0) return {};
  const notional = fills.reduce((s, f) => s + f.yesPrice * f.count, 0);
  const fees = fills.reduce((s, f) => s + f.fee, 0);
  return {
    average_fill_price: formatPrice(Math.round(notional / count)),
    average_fee_paid: money4(Math.round((fees * 100) / count)),
  };
}

function createReply(o: CreateOrderOutcome, nowMs: number): Json {
  const out: Json = {
    order_id: o.order.orderId,
    fill_count: formatCount(o.order.fillCount),
    remaining_count: formatCount(o.order.remainingCount),
    ...fillSummary(o.fills),
    ts_ms: nowMs,
  };
  if (o.order.clientOrderId) out.client_order_id = o.order.clientOrderId;
  return out;
}

// ---- the router ------------------------------------------------------------------------------

type Handler = (s: RestState, r: RestRequest, params: string[]) => Reply;
interface Route {
  method: string;
  re: RegExp;
  auth: boolean;
  handler: Handler;
}

const SEG = "([^/]+)";
const routes: Route[] = [];
function route(method: string, pattern: string, auth: boolean, handler: Handler): void {
  routes.push({ method, re: new RegExp(`^${pattern}$`), auth, handler });
}

/** Finds the route; `auth` tells the shell whether the request must be signed. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: string[] } | "method" | undefined {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method === method) return { route: r, params: m.slice(1).map((x) => decodeURIComponent(x)) };
  }
  return pathMatched ? "method" : undefined;
}

export function handleRest(s: RestState, r: RestRequest): Reply {
  const m = matchRoute(r.method, r.path);
  if (m === undefined) return err(404, "not_found", "not found");
  if (m === "method") return err(405, "method_not_allowed", "method not allowed");
  if (m.route.auth && r.userId === undefined) return err(401, "authentication_error", "authentication_error");
  return m.route.handler(s, r, m.params);
}

export function routeNeedsAuth(method: string, path: string): boolean {
  const m = matchRoute(method, path);
  return typeof m === "object" && m.route.auth;
}

const user = (r: RestRequest): string => r.userId as string;

// markets
route("GET", "/markets", false, (s, r) => {
  const q = r.query;
  let ms = s.exchange.markets();
  const status = q.get("status");
  if (status) {
    const allowed = STATUS_FILTER[status];
    if (!allowed) return err(400, "bad_request", "invalid status filter", `unknown status ${status}`);
    ms = ms.filter((m) => allowed.includes(m.status));
  }
  const ev = q.get("event_ticker");
  if (ev) ms = ms.filter((m) => m.eventTicker === ev);
  const se = q.get("series_ticker");
  if (se) ms = ms.filter((m) => m.seriesTicker === se);
  const tickers = q.get("tickers");
  if (tickers) {
    const set = new Set(tickers.split(","));
    ms = ms.filter((m) => set.has(m.ticker));
  }
  // mve_filter: `only` the multivariate (combo) markets, or `exclude` them
  const mve = q.get("mve_filter");
  if (mve !== null && mve !== "") {
    if (mve !== "only" && mve !== "exclude") return err(400, "bad_request", "invalid mve_filter");
    ms = ms.filter((m) => isMultivariate(m.seriesTicker) === (mve === "only"));
  }
  for (const [name, get, cmp] of [
    ["min_close_ts", (x: { closeTimeMs: number }) => x.closeTimeMs, 1],
    ["max_close_ts", (x: { closeTimeMs: number }) => x.closeTimeMs, -1],
    ["min_created_ts", (x: { openTimeMs: number }) => x.openTimeMs, 1],
    ["max_created_ts", (x: { openTimeMs: number }) => x.openTimeMs, -1],
    ["min_updated_ts", (x: { updatedTimeMs: number }) => x.updatedTimeMs, 1],
  ] as const) {
    const v = intParam(q, name);
    if (v === null) return err(400, "bad_request", `invalid ${name}`);
    if (v !== undefined) ms = ms.filter((m) => (cmp > 0 ? get(m) >= v * 1000 : get(m) <= v * 1000));
  }
  const p = paginate(ms, q);
  if (isReply(p)) return p;
  return ok({ markets: p.page.map((m) => marketJson(m, s.exchange.book(m.ticker))), cursor: p.cursor });
});

route("GET", "/markets/trades", false, (s, r) => {
  const f = tsFilter(r.query, (t: { tsMs: number }) => t.tsMs);
  if (isReply(f)) return f;
  const ticker = r.query.get("ticker");
  const ts = [...s.exchange.trades()]
    .reverse()
    .filter((t) => (!ticker || t.ticker === ticker) && f(t as never));
  const p = paginate(ts, r.query);
  if (isReply(p)) return p;
  return ok({ trades: p.page.map(tradeJson), cursor: p.cursor });
});

route("GET", "/markets/orderbooks", false, (s, r) => {
  const tickers = r.query
    .getAll("tickers")
    .flatMap((t) => t.split(","))
    .filter((t) => t !== "");
  if (tickers.length === 0) return err(400, "bad_request", "tickers is required");
  if (tickers.length > 100) return err(400, "bad_request", "at most 100 tickers");
  const orderbooks: Json[] = [];
  for (const t of tickers) {
    const b = s.exchange.book(t);
    if (b)
      orderbooks.push({
        ticker: t,
        orderbook_fp: { yes_dollars: levelsJson(b.yesBids), no_dollars: levelsJson(b.noBids) },
      });
  }
  return ok({ orderbooks });
});

route("GET", `/markets/${SEG}`, false, (s, _r, [ticker]) => {
  const m = s.exchange.market(ticker as string);
  if (!m) return err(404, "not_found", "market not found");
  return ok({ market: marketJson(m, s.exchange.book(m.ticker)) });
});

route("GET", `/markets/${SEG}/orderbook`, false, (s, r, [ticker]) => {
  const b = s.exchange.book(ticker as string);
  if (!b) return err(404, "not_found", "market not found");
  const depth = intParam(r.query, "depth");
  if (depth === null || (depth !== undefined && (depth < 0 || depth > 100)))
    return err(400, "bad_request", "invalid depth");
  // Bids only, ascending with the best bid last; depth keeps the best `depth` levels.
  const cut = <T>(levels: T[]): T[] => (depth ? levels.slice(Math.max(0, levels.length - depth)) : levels);
  return ok({
    orderbook_fp: { yes_dollars: cut(levelsJson(b.yesBids)), no_dollars: cut(levelsJson(b.noBids)) },
  });
});

// events and series
function nestedMarkets(s: RestState, eventTicker: string): Json[] {
  return s.exchange
    .markets()
    .filter((m) => m.eventTicker === eventTicker)
    .map((m) => marketJson(m, s.exchange.book(m.ticker)));
}

/** `GET /events` (multivariate events excluded, as Kalshi's spec says) and `GET /events/multivariate`. */
function listEvents(s: RestState, r: RestRequest, multivariate: boolean): Reply {
  const q = r.query;
  let evs = s.exchange.events().filter((e) => isMultivariate(e.seriesTicker) === multivariate);
  const se = q.get("series_ticker");
  if (se) evs = evs.filter((e) => e.seriesTicker === se);
  const status = q.get("status");
  if (status) {
    const allowed = STATUS_FILTER[status];
    if (!allowed) return err(400, "bad_request", "invalid status filter");
    evs = evs.filter((e) =>
      s.exchange.markets().some((m) => m.eventTicker === e.eventTicker && allowed.includes(m.status)),
    );
  }
  const nested = q.get("with_nested_markets") === "true";
  const p = paginate(evs, q, multivariate ? 100 : 200, 200);
  if (isReply(p)) return p;
  return ok({
    events: p.page.map((e) => eventJson(e, nested ? nestedMarkets(s, e.eventTicker) : undefined)),
    cursor: p.cursor,
  });
}

route("GET", "/events", false, (s, r) => listEvents(s, r, false));
route("GET", "/events/multivariate", false, (s, r) => listEvents(s, r, true));

/** Every event fee override set or cleared, newest first; `event_ticker` narrows to one event. */
route("GET", "/events/fee_changes", false, (s, r) => {
  const ev = r.query.get("event_ticker");
  const changes = s.exchange
    .eventFeeChanges()
    .filter((c) => !ev || c.eventTicker === ev)
    .reverse();
  const p = paginate(changes, r.query);
  if (isReply(p)) return p;
  return ok({ event_fee_changes: p.page.map(feeChangeJson), cursor: p.cursor });
});

route("GET", `/events/${SEG}`, false, (s, r, [t]) => {
  const e = s.exchange.events().find((x) => x.eventTicker === t);
  if (!e) return err(404, "not_found", "event not found");
  const markets = nestedMarkets(s, e.eventTicker);
  const nested = r.query.get("with_nested_markets") === "true";
  return ok({ event: eventJson(e, nested ? markets : undefined), markets });
});

route("GET", "/series", false, (s, r) => {
  const cat = r.query.get("category");
  return ok({
    series: s.exchange
      .series()
      .filter((x) => !cat || x.category === cat)
      .map(seriesJson),
  });
});

route("GET", `/series/${SEG}`, false, (s, _r, [t]) => {
  const x = s.exchange.series().find((y) => y.ticker === t);
  if (!x) return err(404, "not_found", "series not found");
  return ok({ series: seriesJson(x) });
});

// exchange
route("GET", "/exchange/status", false, (s) =>
  ok({
    exchange_active: true,
    trading_active: !s.exchange.exchangePaused(),
    exchange_estimated_resume_time: null,
  }),
);
route("GET", "/exchange/schedule", false, () => {
  const day = [{ open_time: "00:00", close_time: "23:59" }];
  return ok({
    schedule: {
      standard_hours: [
        {
          start_time: "2026-01-01T00:00:00Z",
          end_time: "2099-01-01T00:00:00Z",
          monday: day,
          tuesday: day,
          wednesday: day,
          thursday: day,
          friday: day,
          saturday: day,
          sunday: day,
        },
      ],
      maintenance_windows: [],
    },
  });
});
route("GET", "/exchange/user_data_timestamp", false, (_s, r) => ok({ as_of_time: rfc3339(r.nowMs) }));

// account
route("GET", "/account/limits", true, (s) => {
  const l = s.limits();
  return ok({
    usage_tier: l.tier,
    read: { refill_rate: l.read.refillRate, bucket_capacity: l.read.capacity },
    write: { refill_rate: l.write.refillRate, bucket_capacity: l.write.capacity },
    grants: [],
  });
});
route("GET", "/account/endpoint_costs", true, () =>
  ok({ default_cost: DEFAULT_COST, endpoint_costs: ENDPOINT_COSTS }),
);

// V2 orders
/** A whole batch (or a create, an amend) is refused while the exchange is paused. */
function tradingPaused(s: RestState): Reply | undefined {
  return s.exchange.exchangePaused() ? err(400, "trading_is_paused", "trading is paused") : undefined;
}

route("POST", "/portfolio/events/orders", true, (s, r) => {
  const paused = tradingPaused(s);
  if (paused) return paused;
  const input = parseCreateOrder(r.body, r.nowMs);
  if (isReply(input)) return input;
  const res = s.exchange.createOrder(user(r), input, r.nowMs);
  if (!res.ok) return fromRejection(res);
  return {
    status: 201,
    body: createReply(res.value, r.nowMs),
    orderId: res.value.order.orderId,
    outcome: "accepted",
  };
});

route("DELETE", "/portfolio/events/orders", true, (s, r) => {
  const sub = intParam(r.query, "subaccount");
  if (sub === null) return err(400, "bad_request", "invalid subaccount");
  s.exchange.cancelAll(user(r), sub, r.nowMs);
  return ok({});
});

route("POST", "/portfolio/events/orders/batched", true, (s, r) => {
  const paused = tradingPaused(s);
  if (paused) return paused;
  if (!isRecord(r.body) || !Array.isArray(r.body.orders) || r.body.orders.length === 0) {
    return err(400, "bad_request", "orders is required");
  }
  // Parse every item first; valid ones go to the core as one batch, invalid ones answer in place.
  const parsed = r.body.orders.map((o) => parseCreateOrder(o, r.nowMs));
  const valid = parsed.filter((p): p is CreateOrderInput => !isReply(p));
  const results = s.exchange.batchCreateOrders
    ? s.exchange.batchCreateOrders(user(r), valid, r.nowMs)
    : valid.map((i) => s.exchange.createOrder(user(r), i, r.nowMs));
  let k = 0;
  const orders = parsed.map((input): Json => {
    if (isReply(input)) return { error: (input.body as { error: unknown }).error };
    const res = results[k++];
    if (!res) return { error: errorBody("internal_server_error", "missing result").error };
    if (!res.ok) {
      const out: Json = { error: { code: res.code, message: res.message, details: res.details ?? "" } };
      if (input.clientOrderId) out.client_order_id = input.clientOrderId;
      return out;
    }
    return createReply(res.value, r.nowMs);
  });
  return { status: 201, body: { orders }, outcome: "accepted" };
});

route("DELETE", "/portfolio/events/orders/batched", true, (s, r) => {
  if (!isRecord(r.body) || !Array.isArray(r.body.orders) || r.body.orders.length === 0) {
    return err(400, "bad_request", "orders is required");
  }
  const ids = r.body.orders.map((o) => (isRecord(o) && typeof o.order_id === "string" ? o.order_id : ""));
  const results = s.exchange.batchCancelOrders
    ? s.exchange.batchCancelOrders(user(r), ids, r.nowMs)
    : ids.map((id) => s.exchange.cancelOrder(user(r), id, r.nowMs));
  const orders = ids.map((id, i): Json => {
    const res = results[i];
    if (!res)
      return {
        order_id: id,
        reduced_by: "0.00",
        error: errorBody("internal_server_error", "missing result").error,
      };
    if (!res.ok)
      return {
        order_id: id,
        reduced_by: "0.00",
        error: { code: res.code, message: res.message, details: res.details ?? "" },
      };
    const out: Json = { order_id: id, reduced_by: formatCount(res.value.reducedBy), ts_ms: r.nowMs };
    if (res.value.order.clientOrderId) out.client_order_id = res.value.order.clientOrderId;
    return out;
  });
  return ok({ orders });
});

route("DELETE", `/portfolio/events/orders/${SEG}`, true, (s, r, [id]) => {
  const res = s.exchange.cancelOrder(user(r), id as string, r.nowMs);
  if (!res.ok) return fromRejection(res);
  const out: Json = { order_id: id, reduced_by: formatCount(res.value.reducedBy), ts_ms: r.nowMs };
  if (res.value.order.clientOrderId) out.client_order_id = res.value.order.clientOrderId;
  return ok(out);
});

route("POST", `/portfolio/events/orders/${SEG}/amend`, true, (s, r, [id]) => {
  const paused = tradingPaused(s);
  if (paused) return paused;
  const b = r.body;
  if (!isRecord(b)) return err(400, "bad_request", "invalid request body");
  if (typeof b.ticker !== "string") return err(400, "invalid_order", "ticker is required");
  if (b.side !== "bid" && b.side !== "ask") return err(400, "invalid_order", "side must be bid or ask");
  const price = reqPrice(b.price);
  if (Number.isNaN(price))
    return err(400, "invalid_price", "price must be a dollar string with 2-4 decimals");
  const count = reqCount(b.count);
  if (Number.isNaN(count) || count <= 0)
    return err(400, "invalid_order_size", "count must be a positive fixed-point string");
  const existing = s.exchange.orders(user(r)).find((o) => o.orderId === id);
  if (existing && typeof b.client_order_id === "string" && b.client_order_id !== existing.clientOrderId) {
    return err(400, "order_id_and_client_order_id_mismatch", "client_order_id does not match the order");
  }
  const input = { ticker: b.ticker, side: b.side, price, count } as const;
  const res = s.exchange.amendOrder(
    user(r),
    id as string,
    typeof b.updated_client_order_id === "string"
      ? { ...input, updatedClientOrderId: b.updated_client_order_id }
      : input,
    r.nowMs,
  );
  if (!res.ok) return fromRejection(res);
  return ok(createReply(res.value, r.nowMs));
});

route("POST", `/portfolio/events/orders/${SEG}/decrease`, true, (s, r, [id]) => {
  const b = r.body;
  if (!isRecord(b)) return err(400, "bad_request", "invalid request body");
  const hasBy = b.reduce_by !== undefined;
  const hasTo = b.reduce_to !== undefined;
  if (hasBy === hasTo) return err(400, "invalid_order", "exactly one of reduce_by or reduce_to is required");
  const v = reqCount(hasBy ? b.reduce_by : b.reduce_to);
  if (Number.isNaN(v)) return err(400, "invalid_order_size", "invalid count");
  const res = s.exchange.decreaseOrder(
    user(r),
    id as string,
    hasBy ? { reduceBy: v } : { reduceTo: v },
    r.nowMs,
  );
  if (!res.ok) return fromRejection(res);
  const out: Json = { order_id: id, remaining_count: formatCount(res.value.remainingCount), ts_ms: r.nowMs };
  if (res.value.clientOrderId) out.client_order_id = res.value.clientOrderId;
  return ok(out);
});

// Order groups (docs.kalshi.com/api-reference/order-groups): writes answer `{}` except create.
function groupQuery(q: URLSearchParams): { subaccount: number | undefined } | Reply {
  const sub = intParam(q, "subaccount");
  if (sub === null || (sub !== undefined && sub < 0)) return err(400, "bad_request", "invalid subaccount");
  return { subaccount: sub };
}

const groupNotFound = (): Reply => err(404, "not_found", "order group not found");

route("POST", "/portfolio/order_groups/create", true, (s, r) => {
  const limit = parseContractsLimit(r.body);
  if (isReply(limit)) return limit;
  const b = r.body as Record<string, unknown>;
  const input: { contractsLimit: number; subaccount?: number; exchangeIndex?: number } = {
    contractsLimit: limit,
  };
  for (const [k, f] of [
    ["subaccount", "subaccount"],
    ["exchange_index", "exchangeIndex"],
  ] as const) {
    const v = b[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      return err(400, "invalid_parameters", `${k} must be a non-negative integer`);
    input[f] = v;
  }
  if (input.exchangeIndex !== undefined && !SHARDS.includes(input.exchangeIndex as (typeof SHARDS)[number]))
    return err(400, "invalid_parameters", `unknown exchange_index ${input.exchangeIndex}`);
  const res = s.exchange.createOrderGroup(user(r), input, r.nowMs);
  if (!res.ok) return fromRejection(res);
  return {
    status: 201,
    body: {
      order_group_id: res.value.id,
      subaccount: res.value.subaccount,
      exchange_index: res.value.exchangeIndex,
    },
  };
});

route("GET", "/portfolio/order_groups", true, (s, r) => {
  const q = groupQuery(r.query);
  if (isReply(q)) return q;
  return ok({ order_groups: s.exchange.orderGroups(user(r), q.subaccount).map(orderGroupJson) });
});

route("GET", `/portfolio/order_groups/${SEG}`, true, (s, r, [id]) => {
  const q = groupQuery(r.query);
  if (isReply(q)) return q;
  const g = s.exchange.orderGroup(user(r), id as string);
  if (!g || (q.subaccount !== undefined && g.subaccount !== q.subaccount)) return groupNotFound();
  return ok({
    is_auto_cancel_enabled: !g.triggered,
    orders: g.orderIds,
    contracts_limit: g.contractsLimit / 100,
    contracts_limit_fp: formatCount(g.contractsLimit),
    exchange_index: g.exchangeIndex,
  });
});

route("PUT", `/portfolio/order_groups/${SEG}/reset`, true, (s, r, [id]) => {
  const res = s.exchange.resetOrderGroup(user(r), id as string, r.nowMs);
  return res.ok ? ok({}) : fromRejection(res);
});

route("PUT", `/portfolio/order_groups/${SEG}/trigger`, true, (s, r, [id]) => {
  const res = s.exchange.triggerOrderGroup(user(r), id as string, r.nowMs);
  return res.ok ? ok({}) : fromRejection(res);
});

route("PUT", `/portfolio/order_groups/${SEG}/limit`, true, (s, r, [id]) => {
  const limit = parseContractsLimit(r.body);
  if (isReply(limit)) return limit;
  const res = s.exchange.updateOrderGroupLimit(user(r), id as string, limit, r.nowMs);
  return res.ok ? ok({}) : fromRejection(res);
});

route("DELETE", `/portfolio/order_groups/${SEG}`, true, (s, r, [id]) => {
  const res = s.exchange.deleteOrderGroup(user(r), id as string, r.nowMs);
  return res.ok ? ok({}) : fromRejection(res);
});

// Legacy V1 writes: every one answers the "switch to V2" error.
const legacy: Handler = () => ({ status: 400, body: LEGACY_V1_ERROR, outcome: "rejected" });
route("POST", "/portfolio/orders", true, legacy);
route("POST", "/portfolio/orders/batched", true, legacy);
route("DELETE", "/portfolio/orders/batched", true, legacy);
route("DELETE", `/portfolio/orders/${SEG}`, true, legacy);
route("POST", `/portfolio/orders/${SEG}/amend`, true, legacy);
route("POST", `/portfolio/orders/${SEG}/decrease`, true, legacy);

// portfolio reads
route("GET", "/portfolio/orders", true, (s, r) => {
  const q = r.query;
  const f = tsFilter(q, (o: { createdTimeMs: number }) => o.createdTimeMs);
  if (isReply(f)) return f;
  const ticker = q.get("ticker");
  const events = q.get("event_ticker")?.split(",");
  const status = q.get("status");
  if (status && !["resting", "canceled", "executed"].includes(status))
    return err(400, "bad_request", "invalid status");
  const sub = intParam(q, "subaccount");
  let os = s.exchange.orders(user(r)).filter((o) => f(o as never));
  if (ticker) os = os.filter((o) => o.ticker === ticker);
  if (events) os = os.filter((o) => events.includes(s.exchange.market(o.ticker)?.eventTicker ?? ""));
  if (status) os = os.filter((o) => o.status === status);
  if (typeof sub === "number") os = os.filter((o) => o.subaccount === sub);
  os.sort((a, b) => b.createdTimeMs - a.createdTimeMs);
  const p = paginate(os, q);
  if (isReply(p)) return p;
  return ok({ orders: p.page.map(orderJson), cursor: p.cursor });
});

route("GET", `/portfolio/orders/${SEG}`, true, (s, r, [id]) => {
  const o = s.exchange.orders(user(r)).find((x) => x.orderId === id);
  if (!o) return err(404, "not_found", "order not found");
  return ok({ order: orderJson(o) });
});

route("GET", "/portfolio/fills", true, (s, r) => {
  const f = tsFilter(r.query, (x: { tsMs: number }) => x.tsMs);
  if (isReply(f)) return f;
  const ticker = r.query.get("ticker");
  const orderId = r.query.get("order_id");
  const fs = s.exchange
    .fills(user(r))
    .filter((x) => (!ticker || x.ticker === ticker) && (!orderId || x.orderId === orderId) && f(x as never))
    .reverse();
  const p = paginate(fs, r.query);
  if (isReply(p)) return p;
  return ok({ fills: p.page.map(fillJson), cursor: p.cursor });
});

route("GET", "/portfolio/positions", true, (s, r) => {
  const ticker = r.query.get("ticker");
  const ev = r.query.get("event_ticker");
  const ps = s.exchange.positions(user(r)).filter((p) => {
    if (ticker && p.ticker !== ticker) return false;
    if (ev && s.exchange.market(p.ticker)?.eventTicker !== ev) return false;
    return true;
  });
  const p = paginate(ps, r.query);
  if (isReply(p)) return p;
  const byEvent = new Map<string, { cost: number; shares: number; pnl: number; fees: number }>();
  for (const x of p.page) {
    const e = s.exchange.market(x.ticker)?.eventTicker ?? "";
    const acc = byEvent.get(e) ?? { cost: 0, shares: 0, pnl: 0, fees: 0 };
    acc.cost += x.marketExposure;
    acc.shares += Math.abs(x.position);
    acc.pnl += x.realizedPnl;
    acc.fees += x.feesPaid;
    byEvent.set(e, acc);
  }
  return ok({
    market_positions: p.page.map(positionJson),
    event_positions: [...byEvent.entries()].map(([e, a]) => ({
      event_ticker: e,
      total_cost_dollars: formatMoney(a.cost),
      total_cost_shares_fp: formatCount(a.shares),
      event_exposure_dollars: formatMoney(a.cost),
      realized_pnl_dollars: formatMoney(a.pnl),
      fees_paid_dollars: formatMoney(a.fees),
    })),
    cursor: p.cursor,
  });
});

route("GET", "/portfolio/balance", true, (s, r) => {
  const bal = s.exchange.balance(user(r));
  const exposure = s.exchange.positions(user(r)).reduce((acc, p) => acc + p.marketExposure, 0);
  return ok({
    balance: cents(bal),
    balance_dollars: money4(bal),
    portfolio_value: cents(exposure),
    updated_ts: Math.floor(r.nowMs / 1000),
  });
});

route("GET", "/portfolio/settlements", true, (s, r) => {
  const f = tsFilter(r.query, (x: { settledTimeMs: number }) => x.settledTimeMs);
  if (isReply(f)) return f;
  const ticker = r.query.get("ticker");
  const ev = r.query.get("event_ticker");
  const ss = s.exchange
    .settlements(user(r))
    .filter((x) => (!ticker || x.ticker === ticker) && (!ev || x.eventTicker === ev) && f(x as never))
    .reverse();
  const p = paginate(ss, r.query);
  if (isReply(p)) return p;
  return ok({ settlements: p.page.map(settlementJson), cursor: p.cursor });
});

export const DEFAULT_LIMITS = BASIC_TIER;
