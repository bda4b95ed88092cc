/**
 * Typed Kalshi REST client (Trade API v2, V2 order endpoints). Every call is signed, paced by the
 * rate limiter, bounded by a timeout, and parsed with a zod schema; every method returns a
 * `Result` and never throws for an upstream problem.
 *
 * - Reads are retried on retryable failures (429, 5xx, timeout, network) with exponential
 *   backoff and jitter, up to `maxReadRetries`. List endpoints follow `cursor` to completion,
 *   capped at `maxPages` (hitting the cap is a failure, never a silent partial list).
 * - Writes are sent once. A write that times out or gets 5xx/429/network error is a retryable
 *   failure whose outcome is UNKNOWN (the order may exist): `WriteResult.outcome` says so, and
 *   `retryWrite(result.request)` resends the byte-identical body (same `client_order_id`). If the
 *   first attempt did create the order, Kalshi refuses the resend with 409 `order_already_exists`
 *   and the outcome is `exists`: the order is there, find it with `findOrderByClientOrderId`.
 *   Creates without a `client_order_id` are refused before sending; a `reduce_by` decrease and an
 *   order-group create are not idempotent, so `retryWrite` refuses them.
 * - No redirect is ever followed (`redirect: "manual"`): the signature covers the original path, so
 *   a followed redirect could only 401, and a write must never be replayed elsewhere. A 3xx is a
 *   `redirect` failure.
 * - The signed path is the URL's pathname: it includes `/trade-api/v2` and never the query.
 *
 * Used by the executor (writes), market data, the order path and cron (reads, reconciliation).
 */
import { z } from "zod";
import {
  badResponse,
  classifyHttp,
  classifyThrown,
  type Failure,
  truncate,
  type WriteKind,
  type WriteOutcome,
  writeOutcome,
} from "./errors.ts";
import { bucketFor, type Priority, type RateLimiter } from "./rate-limiter.ts";
import {
  type AmendOrderV2Request,
  AmendOrderV2Response,
  BatchCancelOrdersV2Response,
  type BatchCancelOrderV2Item,
  BatchCreateOrdersV2Response,
  CancelOrderV2Response,
  type CreateOrderGroupRequest,
  CreateOrderGroupResponse,
  type CreateOrderV2Request,
  CreateOrderV2Response,
  type DecreaseOrderV2Request,
  DecreaseOrderV2Response,
  EmptyResponse,
  type Event,
  type EventFeeChange,
  type EventPosition,
  ExchangeStatus,
  type Fill,
  GetAccountApiLimitsResponse,
  GetAccountEndpointCostsResponse,
  GetBalanceResponse,
  GetEventFeeChangesResponse,
  GetEventResponse,
  GetExchangeScheduleResponse,
  GetFillsResponse,
  GetMarketOrderbookResponse,
  GetMarketOrderbooksResponse,
  GetMarketResponse,
  GetMarketsPageLoose,
  GetOrderGroupResponse,
  GetOrderGroupsResponse,
  GetOrderResponse,
  GetOrdersResponse,
  GetPositionsResponse,
  GetSeriesResponse,
  GetSettlementsResponse,
  GetUserDataTimestampResponse,
  Market,
  type MarketPosition,
  type Order,
  type OrderbookFp,
  type OrderGroup,
  type Series,
  type Settlement,
  type UpdateOrderGroupLimitRequest,
} from "./rest-schemas.ts";

/** Signs a request; `KalshiSigner` in `auth.ts` has exactly this shape. */
export interface RequestSigner {
  headers(method: string, pathOrUrl: string, nowMs: number): Promise<Record<string, string>>;
  /** Headers ready now (a signature prepared ahead), or undefined: then `headers` signs. */
  headersNow?(method: string, pathOrUrl: string, nowMs: number): Record<string, string> | undefined;
}

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** `exchange_index` of a write's body or query, when it names one. */
function shardOf(v: unknown): number | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const x = (v as { exchange_index?: unknown }).exchange_index;
  return typeof x === "number" && Number.isInteger(x) ? x : undefined;
}

export type KalshiEnv = "prod" | "demo" | "sim";

export const DEFAULT_SIM_URL = "http://127.0.0.1:8788";

/** Recommended hosts (Kalshi's API environments guide). The simulator serves the same paths on loopback. */
export function baseUrlsFor(env: KalshiEnv, simUrl: string = DEFAULT_SIM_URL): { rest: string; ws: string } {
  switch (env) {
    case "prod":
      return {
        rest: "https://external-api.kalshi.com/trade-api/v2",
        ws: "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
      };
    case "demo":
      return {
        rest: "https://external-api.demo.kalshi.co/trade-api/v2",
        ws: "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
      };
    case "sim": {
      const root = simUrl.replace(/\/+$/, "");
      return { rest: `${root}/trade-api/v2`, ws: `${root.replace(/^http/, "ws")}/trade-api/ws/v2` };
    }
  }
}

type QueryValue = string | number | boolean | readonly string[] | undefined | null;
/** Query parameters; an array becomes repeated keys (`tickers=A&tickers=B`). */
export type Query = Record<string, QueryValue>;

export function buildQuery(query: Query | undefined): string {
  if (query === undefined) return "";
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) qs.append(k, item);
    else qs.append(k, String(v));
  }
  const s = qs.toString();
  return s === "" ? "" : `?${s}`;
}

/** A write exactly as sent: `retryWrite` resends it byte for byte. */
export interface WriteRequest<T> {
  readonly method: "POST" | "DELETE" | "PUT";
  readonly path: string;
  readonly query?: Query;
  /** The serialised JSON body, fixed once so a retry cannot differ. */
  readonly bodyText?: string;
  readonly schema: z.ZodType<T>;
  readonly priority: Priority;
  /** Orders in a batch (batch endpoints bill per order). */
  readonly items: number;
  /** False for a `reduce_by` decrease: resending it would reduce twice. */
  readonly idempotent: boolean;
  /** What a 409 means for this write (`writeOutcome`): a single create, a batch create, or other. */
  readonly kind: WriteKind;
  /** The shard the write names (`exchange_index` in its body or query): it bills that shard's bucket. */
  readonly shard?: number;
}

/**
 * A write's result. On failure, `outcome` is `rejected` only when the exchange explicitly
 * refused (or nothing was sent); `unknown` means the order may or may not exist; `exists` (creates
 * only) means a 409 `order_already_exists`: an earlier attempt with this `client_order_id`
 * created the order, so treat it as accepted and look its `order_id` up.
 */
export type WriteResult<T> =
  | { ok: true; value: T; request: WriteRequest<T> }
  | { ok: false; failure: Failure; outcome: WriteOutcome; request: WriteRequest<T> };

/** A list item left out because it failed its schema. */
export interface InvalidItem {
  path: string;
  index: number;
  ticker: string | null;
  issues: string;
}

export interface KalshiRestClientOptions {
  /** REST base including `/trade-api/v2` (see `baseUrlsFor`). */
  baseUrl: string;
  signer: RequestSigner;
  limiter: RateLimiter;
  fetch?: typeof fetch;
  /**
   * Called for each list item that fails its schema and is left out (markets only; see
   * `listMarkets`). Default: one `console.warn` line with the ticker and the first issues.
   */
  onInvalidItem?: (item: InvalidItem) => void;
  /** Per-request timeout, covering the body. Default 10 s. */
  timeoutMs?: number;
  nowMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); for backoff jitter. */
  random?: () => number;
  /** Retries after the first attempt of a read. Default 3. */
  maxReadRetries?: number;
  /** Backoff base and cap (ms). Defaults 200 and 5 000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Page cap for cursor pagination. Default 100. */
  maxPages?: number;
}

interface ReadSpec<T> {
  path: string;
  query?: Query;
  schema: z.ZodType<T>;
}

const DEFAULT_LIST_LIMIT = 1000;

/** Cancel-all answers with an empty body (parsed as `{}`) or some JSON we do not rely on. */
const CANCEL_ALL_RESPONSE = z.unknown();

export class KalshiRestClient {
  private readonly baseUrl: string;
  private readonly basePath: string;
  private readonly signer: RequestSigner;
  private readonly limiter: RateLimiter;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly onInvalidItem: (item: InvalidItem) => void;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxReadRetries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxPages: number;

  constructor(opts: KalshiRestClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.basePath = new URL(this.baseUrl).pathname.replace(/\/+$/, "");
    this.signer = opts.signer;
    this.limiter = opts.limiter;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.now = opts.nowMs ?? (() => Date.now());
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
    this.maxReadRetries = opts.maxReadRetries ?? 3;
    this.backoffBaseMs = opts.backoffBaseMs ?? 200;
    this.backoffMaxMs = opts.backoffMaxMs ?? 5_000;
    this.maxPages = opts.maxPages ?? 100;
    this.onInvalidItem =
      opts.onInvalidItem ??
      ((i) =>
        console.warn(
          JSON.stringify({ event: "kalshi.invalid_item", path: i.path, ticker: i.ticker, issues: i.issues }),
        ));
  }

  // ---------- transport ----------

  /**
   * One attempt: pace, sign, send, read, classify, parse. Never throws.
   * `items` is the batch size for per-order billing.
   */
  private async attempt<T>(
    method: string,
    path: string,
    query: Query | undefined,
    bodyText: string | undefined,
    schema: z.ZodType<T>,
    priority: Priority,
    items: number,
    shard?: number,
  ): Promise<Result<T>> {
    const bucket = bucketFor(method, path, shard);
    const cost = this.limiter.costOf(method, path, items);
    // With budget at hand and a signature prepared ahead, nothing below awaits before `fetch`:
    // the request leaves inside this call, ahead of whatever the caller does next.
    if (!this.limiter.takeNow(bucket, cost, priority)) {
      const paced = await this.limiter.acquire(bucket, cost, priority);
      if (!paced.ok) {
        // Not sent: our own budget refusal, final.
        return { ok: false, failure: { retryable: false, reason: "rate_limited", message: paced.error } };
      }
    }
    const url = `${this.baseUrl}${path}${buildQuery(query)}`;
    // The signed path includes /trade-api/v2 and never the query string.
    const signedPath = `${this.basePath}${path}`;
    let headers: Record<string, string>;
    try {
      headers =
        this.signer.headersNow?.(method, signedPath, this.now()) ??
        (await this.signer.headers(method, signedPath, this.now()));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        failure: { retryable: false, reason: "unauthorized", message: `signing failed: ${message}` },
      };
    }
    // An explicit timer, cleared when the exchange answers: a pending AbortSignal.timeout would keep
    // a Durable Object alive (and unevictable) for the whole timeout after every request.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, "TimeoutError")),
      this.timeoutMs,
    );
    const init: RequestInit = {
      method,
      headers: {
        ...headers,
        Accept: "application/json",
        ...(bodyText !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      redirect: "manual",
      signal: controller.signal,
    };
    if (bodyText !== undefined) init.body = bodyText;
    let status: number;
    let text: string;
    try {
      const res = await this.fetchFn(url, init);
      status = res.status;
      text = await res.text();
    } catch (err) {
      return { ok: false, failure: classifyThrown(err) };
    } finally {
      clearTimeout(timer);
    }
    if (status < 200 || status >= 300) {
      // `redirect: "manual"` yields an opaque redirect (status 0) in browsers; treat it as a 3xx.
      const failure = status === 0 ? classifyHttp(302, text) : classifyHttp(status, text);
      if (failure.reason === "rate_limited" && status === 429) this.limiter.onRateLimited(bucket, this.now());
      return { ok: false, failure };
    }
    let json: unknown;
    try {
      json = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      return { ok: false, failure: badResponse(status, `body is not JSON: ${truncate(text, 120)}`) };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      return { ok: false, failure: badResponse(status, `unexpected ${method} ${path} response: ${issues}`) };
    }
    return { ok: true, value: parsed.data };
  }

  /** Backoff before retry number `retry` (0-based): exponential, capped, half of it jittered. */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** retry);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  private async read<T>(spec: ReadSpec<T>): Promise<Result<T>> {
    for (let retry = 0; ; retry++) {
      const r = await this.attempt("GET", spec.path, spec.query, undefined, spec.schema, "read", 1);
      if (r.ok || !r.failure.retryable || retry >= this.maxReadRetries) return r;
      await this.sleep(this.backoffMs(retry));
    }
  }

  /** Follows `cursor` until it is empty; fails (never returns a partial list) at the page cap. */
  private async paginate<P extends { cursor?: string | null }, I>(
    spec: ReadSpec<P>,
    pick: (page: P) => I[],
  ): Promise<Result<I[]>> {
    const out: I[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < this.maxPages; page++) {
      const r = await this.read({ ...spec, query: { ...spec.query, cursor } });
      if (!r.ok) return r;
      for (const item of pick(r.value)) out.push(item);
      const next = r.value.cursor;
      if (next === undefined || next === null || next === "") return { ok: true, value: out };
      if (seen.has(next)) {
        return {
          ok: false,
          failure: badResponse(200, `${spec.path}: cursor ${truncate(next, 40)} repeated`),
        };
      }
      seen.add(next);
      cursor = next;
    }
    return {
      ok: false,
      failure: badResponse(200, `${spec.path}: more than ${this.maxPages} pages; narrow the query`),
    };
  }

  private async write<T>(req: WriteRequest<T>): Promise<WriteResult<T>> {
    const r = await this.attempt(
      req.method,
      req.path,
      req.query,
      req.bodyText,
      req.schema,
      req.priority,
      req.items,
      req.shard,
    );
    if (r.ok) return { ok: true, value: r.value, request: req };
    return { ok: false, failure: r.failure, outcome: writeOutcome(r.failure, req.kind), request: req };
  }

  /**
   * Resends a write exactly as first sent (same path, query and body, hence the same
   * `client_order_id`). For the executor after an `unknown` outcome. When the first attempt did
   * create the order, Kalshi refuses the resend with 409 `order_already_exists`: the result is
   * `{ ok: false, outcome: "exists", failure: { reason: "already_exists" } }`, which means
   * accepted; `findOrderByClientOrderId` (or the `user_order` carrying the id) gives its
   * `order_id`. A 409 without that code stays `unknown` (reconcile). Refuses, without sending, a
   * write that is not idempotent (`reduce_by` decrease, order-group create).
   */
  async retryWrite<T>(request: WriteRequest<T>): Promise<WriteResult<T>> {
    if (!request.idempotent) {
      const failure: Failure = {
        retryable: false,
        reason: "rejected",
        message: `${request.method} ${request.path} is not idempotent; reconcile instead of resending`,
      };
      return { ok: false, failure, outcome: "unknown", request };
    }
    return this.write(request);
  }

  private writeRequest<T>(
    method: WriteRequest<T>["method"],
    path: string,
    schema: z.ZodType<T>,
    priority: Priority,
    opts: { body?: unknown; query?: Query; items?: number; idempotent?: boolean; kind?: WriteKind } = {},
  ): WriteRequest<T> {
    const shard = shardOf(opts.body) ?? shardOf(opts.query);
    const req: WriteRequest<T> = {
      method,
      path,
      schema,
      priority,
      items: opts.items ?? 1,
      idempotent: opts.idempotent ?? true,
      kind: opts.kind ?? "other",
      ...(shard !== undefined ? { shard } : {}),
      ...(opts.query !== undefined ? { query: opts.query } : {}),
      ...(opts.body !== undefined ? { bodyText: JSON.stringify(opts.body) } : {}),
    };
    return Object.freeze(req);
  }

  private refused<T>(req: WriteRequest<T>, message: string): WriteResult<T> {
    return {
      ok: false,
      failure: { retryable: false, reason: "rejected", message },
      outcome: "rejected",
      request: req,
    };
  }

  // ---------- market data ----------

  /**
   * `GET /markets`, every page. `tickers` is sent as a comma list. Each market is validated on its
   * own: one that fails its schema is left out and reported through `onInvalidItem`, so one odd
   * market cannot hide the rest of the universe.
   */
  listMarkets(
    params: {
      event_ticker?: string;
      series_ticker?: string;
      status?: "unopened" | "open" | "paused" | "closed" | "settled";
      tickers?: readonly string[];
      min_close_ts?: number;
      max_close_ts?: number;
      min_updated_ts?: number;
      mve_filter?: "only" | "exclude";
      limit?: number;
    } = {},
  ): Promise<Result<Market[]>> {
    const { tickers, limit, ...rest } = params;
    return this.paginate(
      {
        path: "/markets",
        query: { ...rest, tickers: tickers?.join(","), limit: limit ?? DEFAULT_LIST_LIMIT },
        schema: GetMarketsPageLoose,
      },
      (p) => this.validItems("/markets", p.markets, Market),
    );
  }

  private validItems<T>(path: string, items: unknown[], schema: z.ZodType<T>): T[] {
    const out: T[] = [];
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      const r = schema.safeParse(item);
      if (r.success) {
        out.push(r.data);
        continue;
      }
      const ticker =
        typeof item === "object" && item !== null && typeof (item as { ticker?: unknown }).ticker === "string"
          ? (item as { ticker: string }).ticker
          : null;
      const issues = r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      this.onInvalidItem({ path, index, ticker, issues });
    }
    return out;
  }

  async getMarket(ticker: string): Promise<Result<Market>> {
    const r = await this.read({ path: `/markets/${encodeURIComponent(ticker)}`, schema: GetMarketResponse });
    return r.ok ? { ok: true, value: r.value.market } : r;
  }

  /** `GET /markets/{ticker}/orderbook`; `depth` 0 = all levels. Bids only, order not guaranteed. */
  async getOrderbook(ticker: string, depth?: number): Promise<Result<OrderbookFp>> {
    const r = await this.read({
      path: `/markets/${encodeURIComponent(ticker)}/orderbook`,
      query: { depth },
      schema: GetMarketOrderbookResponse,
    });
    return r.ok ? { ok: true, value: r.value.orderbook_fp } : r;
  }

  /** `GET /markets/orderbooks` for up to 100 tickers, sent as repeated `tickers=` keys. */
  async getOrderbooks(
    tickers: readonly string[],
  ): Promise<Result<{ ticker: string; orderbook_fp: OrderbookFp }[]>> {
    const r = await this.read({
      path: "/markets/orderbooks",
      query: { tickers },
      schema: GetMarketOrderbooksResponse,
    });
    return r.ok ? { ok: true, value: r.value.orderbooks } : r;
  }

  /** `GET /series/{series_ticker}`: the fee type and multiplier live here. */
  async getSeries(seriesTicker: string): Promise<Result<Series>> {
    const r = await this.read({
      path: `/series/${encodeURIComponent(seriesTicker)}`,
      schema: GetSeriesResponse,
    });
    return r.ok ? { ok: true, value: r.value.series } : r;
  }

  /**
   * `GET /events/{event_ticker}`: the event with its series ticker and, while one is set, its fee
   * override (`eventFees` combines it with the series' fee).
   */
  async getEvent(eventTicker: string): Promise<Result<Event>> {
    const r = await this.read({
      path: `/events/${encodeURIComponent(eventTicker)}`,
      schema: GetEventResponse,
    });
    return r.ok ? { ok: true, value: r.value.event } : r;
  }

  /** `GET /events/fee_changes`, every page: event fee overrides set (values) or cleared (nulls). */
  listEventFeeChanges(
    params: { event_ticker?: string; limit?: number } = {},
  ): Promise<Result<EventFeeChange[]>> {
    return this.paginate(
      { path: "/events/fee_changes", query: params, schema: GetEventFeeChangesResponse },
      (p) => p.event_fee_changes,
    );
  }

  // ---------- orders (V2 writes) ----------

  /**
   * `POST /portfolio/events/orders`. `client_order_id` is required here: it is what makes a
   * retry after an unknown outcome safe. `priority` is `reduce` for risk-reducing orders, else `open`.
   */
  createOrder(
    body: CreateOrderV2Request & { client_order_id: string },
    priority: Priority,
  ): Promise<WriteResult<CreateOrderV2Response>> {
    const req = this.writeRequest("POST", "/portfolio/events/orders", CreateOrderV2Response, priority, {
      body,
      kind: "create",
    });
    if (!body.client_order_id)
      return Promise.resolve(this.refused(req, "create without client_order_id: not sent"));
    return this.write(req);
  }

  /** `POST /portfolio/events/orders/batched`; per-item errors are in the response. Billed per order. */
  batchCreateOrders(
    orders: readonly (CreateOrderV2Request & { client_order_id: string })[],
    priority: Priority,
  ): Promise<WriteResult<BatchCreateOrdersV2Response>> {
    const req = this.writeRequest(
      "POST",
      "/portfolio/events/orders/batched",
      BatchCreateOrdersV2Response,
      priority,
      {
        body: { orders },
        items: orders.length,
        kind: "batch_create",
      },
    );
    if (orders.length === 0) return Promise.resolve(this.refused(req, "empty batch: not sent"));
    if (orders.some((o) => !o.client_order_id)) {
      return Promise.resolve(
        this.refused(req, "batch create with an order lacking client_order_id: not sent"),
      );
    }
    return this.write(req);
  }

  /**
   * `DELETE /portfolio/events/orders/{order_id}`. Pass the market's `exchange_index` (or
   * `market_ticker` to auto-route) for orders on shards >= 1.
   */
  cancelOrder(
    orderId: string,
    params: { subaccount?: number; exchange_index?: number; market_ticker?: string } = {},
    priority: Priority = "cancel",
  ): Promise<WriteResult<CancelOrderV2Response>> {
    return this.write(
      this.writeRequest(
        "DELETE",
        `/portfolio/events/orders/${encodeURIComponent(orderId)}`,
        CancelOrderV2Response,
        priority,
        {
          query: params,
        },
      ),
    );
  }

  /**
   * `DELETE /portfolio/events/orders`: cancels every resting order on every shard (optionally one
   * subaccount). Orders placed during the following minute may also be cancelled.
   */
  cancelAllOrders(params: { subaccount?: number } = {}): Promise<WriteResult<unknown>> {
    return this.write(
      this.writeRequest("DELETE", "/portfolio/events/orders", CANCEL_ALL_RESPONSE, "cancel", {
        query: params,
      }),
    );
  }

  /** `DELETE /portfolio/events/orders/batched` with a JSON body. Billed per order. */
  batchCancelOrders(
    orders: readonly BatchCancelOrderV2Item[],
    priority: Priority = "cancel",
  ): Promise<WriteResult<BatchCancelOrdersV2Response>> {
    const req = this.writeRequest(
      "DELETE",
      "/portfolio/events/orders/batched",
      BatchCancelOrdersV2Response,
      priority,
      {
        body: { orders },
        items: orders.length,
      },
    );
    if (orders.length === 0) return Promise.resolve(this.refused(req, "empty batch: not sent"));
    return this.write(req);
  }

  /** `POST /portfolio/events/orders/{order_id}/amend`. `count` is the new total (filled + resting). */
  amendOrder(
    orderId: string,
    body: AmendOrderV2Request,
    priority: Priority,
    params: { subaccount?: number } = {},
  ): Promise<WriteResult<AmendOrderV2Response>> {
    return this.write(
      this.writeRequest(
        "POST",
        `/portfolio/events/orders/${encodeURIComponent(orderId)}/amend`,
        AmendOrderV2Response,
        priority,
        { body, query: params },
      ),
    );
  }

  /**
   * `POST /portfolio/events/orders/{order_id}/decrease`, keeping queue priority. Prefer
   * `reduce_to`: it is idempotent; a `reduce_by` request cannot be retried.
   */
  decreaseOrder(
    orderId: string,
    body: DecreaseOrderV2Request,
    priority: Priority = "cancel",
  ): Promise<WriteResult<DecreaseOrderV2Response>> {
    const req = this.writeRequest(
      "POST",
      `/portfolio/events/orders/${encodeURIComponent(orderId)}/decrease`,
      DecreaseOrderV2Response,
      priority,
      { body, idempotent: body.reduce_to !== undefined },
    );
    if ((body.reduce_by === undefined) === (body.reduce_to === undefined)) {
      return Promise.resolve(
        this.refused(req, "decrease needs exactly one of reduce_by or reduce_to: not sent"),
      );
    }
    return this.write(req);
  }

  // ---------- order groups ----------
  // https://docs.kalshi.com/getting_started/order_groups: a contracts limit over a rolling 15 s
  // window; past it every resting order of the group is cancelled and new ones are refused until
  // `resetOrderGroup`. Writes bill the write bucket; `priority` defaults to `cancel`, since they
  // reduce risk.

  /**
   * `POST /portfolio/order_groups/create`; answers the new group's id. Not idempotent (the server
   * picks the id): `retryWrite` refuses it, so after an `unknown` outcome list the groups instead.
   */
  createOrderGroup(
    body: CreateOrderGroupRequest,
    priority: Priority = "cancel",
  ): Promise<WriteResult<CreateOrderGroupResponse>> {
    const req = this.writeRequest(
      "POST",
      "/portfolio/order_groups/create",
      CreateOrderGroupResponse,
      priority,
      { body, idempotent: false },
    );
    if (body.contracts_limit_fp === undefined && body.contracts_limit === undefined) {
      return Promise.resolve(this.refused(req, "order group create needs a contracts limit: not sent"));
    }
    return this.write(req);
  }

  /** `GET /portfolio/order_groups/{order_group_id}`: the auto-cancel flag, the limit and the group's order ids. */
  getOrderGroup(
    orderGroupId: string,
    params: { subaccount?: number } = {},
  ): Promise<Result<GetOrderGroupResponse>> {
    return this.read({
      path: `/portfolio/order_groups/${encodeURIComponent(orderGroupId)}`,
      query: params,
      schema: GetOrderGroupResponse,
    });
  }

  /** `GET /portfolio/order_groups` (one page: Kalshi does not paginate it). Omit `subaccount` for all. */
  async listOrderGroups(params: { subaccount?: number } = {}): Promise<Result<OrderGroup[]>> {
    const r = await this.read({
      path: "/portfolio/order_groups",
      query: params,
      schema: GetOrderGroupsResponse,
    });
    return r.ok ? { ok: true, value: r.value.order_groups } : r;
  }

  /** `PUT .../{order_group_id}/reset`: clears the trigger and the rolling volume. */
  resetOrderGroup(
    orderGroupId: string,
    params: { subaccount?: number; exchange_index?: number } = {},
    priority: Priority = "cancel",
  ): Promise<WriteResult<EmptyResponse>> {
    return this.groupWrite("reset", orderGroupId, params, priority);
  }

  /** `PUT .../{order_group_id}/trigger`: cancels the group's resting orders and refuses new ones until a reset. */
  triggerOrderGroup(
    orderGroupId: string,
    params: { subaccount?: number; exchange_index?: number } = {},
    priority: Priority = "cancel",
  ): Promise<WriteResult<EmptyResponse>> {
    return this.groupWrite("trigger", orderGroupId, params, priority);
  }

  /** `PUT .../{order_group_id}/limit`: a limit below the current rolling volume triggers the group. */
  updateOrderGroupLimit(
    orderGroupId: string,
    body: UpdateOrderGroupLimitRequest,
    params: { exchange_index?: number } = {},
    priority: Priority = "cancel",
  ): Promise<WriteResult<EmptyResponse>> {
    const req = this.writeRequest(
      "PUT",
      `/portfolio/order_groups/${encodeURIComponent(orderGroupId)}/limit`,
      EmptyResponse,
      priority,
      { body, query: params },
    );
    if (body.contracts_limit_fp === undefined && body.contracts_limit === undefined) {
      return Promise.resolve(this.refused(req, "order group limit update needs a contracts limit: not sent"));
    }
    return this.write(req);
  }

  /** `DELETE /portfolio/order_groups/{order_group_id}`: cancels the group's resting orders and removes it. */
  deleteOrderGroup(
    orderGroupId: string,
    params: { subaccount?: number; exchange_index?: number } = {},
    priority: Priority = "cancel",
  ): Promise<WriteResult<EmptyResponse>> {
    return this.write(
      this.writeRequest(
        "DELETE",
        `/portfolio/order_groups/${encodeURIComponent(orderGroupId)}`,
        EmptyResponse,
        priority,
        { query: params },
      ),
    );
  }

  private groupWrite(
    action: "reset" | "trigger",
    orderGroupId: string,
    params: { subaccount?: number; exchange_index?: number },
    priority: Priority,
  ): Promise<WriteResult<EmptyResponse>> {
    return this.write(
      this.writeRequest(
        "PUT",
        `/portfolio/order_groups/${encodeURIComponent(orderGroupId)}/${action}`,
        EmptyResponse,
        priority,
        { query: params },
      ),
    );
  }

  // ---------- portfolio reads ----------

  /** `GET /portfolio/orders`, every page. `event_ticker` (up to 10) is sent as a comma list. */
  listOrders(
    params: {
      ticker?: string;
      event_ticker?: readonly string[];
      min_ts?: number;
      max_ts?: number;
      status?: "resting" | "canceled" | "executed";
      subaccount?: number;
      exchange_index?: number;
      limit?: number;
    } = {},
  ): Promise<Result<Order[]>> {
    const { event_ticker, ...rest } = params;
    return this.paginate(
      {
        path: "/portfolio/orders",
        query: { ...rest, event_ticker: event_ticker?.join(",") },
        schema: GetOrdersResponse,
      },
      (p) => p.orders,
    );
  }

  async getOrder(orderId: string): Promise<Result<Order>> {
    const r = await this.read({
      path: `/portfolio/orders/${encodeURIComponent(orderId)}`,
      schema: GetOrderResponse,
    });
    return r.ok ? { ok: true, value: r.value.order } : r;
  }

  /**
   * The order a create with `clientOrderId` made in market `ticker`, or null when there is none:
   * what the executor calls after a create's outcome is `exists` (or to settle an `unknown` one).
   * Kalshi has no `client_order_id` filter, so this lists the market's orders (every page, any
   * status; narrow with `min_ts`, Unix seconds, when the send time is known) and matches the id.
   */
  async findOrderByClientOrderId(
    ticker: string,
    clientOrderId: string,
    params: { min_ts?: number; subaccount?: number } = {},
  ): Promise<Result<Order | null>> {
    const r = await this.listOrders({ ticker, ...params });
    if (!r.ok) return r;
    return { ok: true, value: r.value.find((o) => o.client_order_id === clientOrderId) ?? null };
  }

  /** `GET /portfolio/fills`, every page. */
  listFills(
    params: {
      ticker?: string;
      order_id?: string;
      min_ts?: number;
      max_ts?: number;
      subaccount?: number;
      exchange_index?: number;
      limit?: number;
    } = {},
  ): Promise<Result<Fill[]>> {
    return this.paginate(
      { path: "/portfolio/fills", query: params, schema: GetFillsResponse },
      (p) => p.fills,
    );
  }

  /** `GET /portfolio/positions`, every page (unsettled positions only; `subaccount` defaults to 0 at Kalshi). */
  async getPositions(
    params: {
      ticker?: string;
      event_ticker?: string;
      count_filter?: string;
      subaccount?: number;
      exchange_index?: number;
      limit?: number;
    } = {},
  ): Promise<Result<{ market_positions: MarketPosition[]; event_positions: EventPosition[] }>> {
    const events: EventPosition[] = [];
    const r = await this.paginate(
      {
        path: "/portfolio/positions",
        query: { ...params, limit: params.limit ?? DEFAULT_LIST_LIMIT },
        schema: GetPositionsResponse,
      },
      (p) => {
        events.push(...p.event_positions);
        return p.market_positions;
      },
    );
    return r.ok ? { ok: true, value: { market_positions: r.value, event_positions: events } } : r;
  }

  /** `GET /portfolio/balance`. Mind the units: `balance`/`portfolio_value` cents, `balance_dollars` exact. */
  getBalance(
    params: { subaccount?: number; exchange_index?: number } = {},
  ): Promise<Result<GetBalanceResponse>> {
    return this.read({ path: "/portfolio/balance", query: params, schema: GetBalanceResponse });
  }

  /** `GET /portfolio/settlements`, every page. `revenue` and `value` are cents. */
  listSettlements(
    params: {
      ticker?: string;
      event_ticker?: string;
      min_ts?: number;
      max_ts?: number;
      subaccount?: number;
      limit?: number;
    } = {},
  ): Promise<Result<Settlement[]>> {
    return this.paginate(
      {
        path: "/portfolio/settlements",
        query: { ...params, limit: params.limit ?? DEFAULT_LIST_LIMIT },
        schema: GetSettlementsResponse,
      },
      (p) => p.settlements,
    );
  }

  // ---------- exchange and account ----------

  getExchangeStatus(): Promise<Result<ExchangeStatus>> {
    return this.read({ path: "/exchange/status", schema: ExchangeStatus });
  }

  /**
   * `GET /exchange/user_data_timestamp`, as Unix ms: the REST portfolio endpoints reflect the
   * matching engine up to this time. An order sent before it and missing from `GET
   * /portfolio/orders` was not created.
   */
  async getUserDataTimestamp(): Promise<Result<number>> {
    const r = await this.read({
      path: "/exchange/user_data_timestamp",
      schema: GetUserDataTimestampResponse,
    });
    if (!r.ok) return r;
    const ms = Date.parse(r.value.as_of_time);
    if (Number.isNaN(ms)) {
      return {
        ok: false,
        failure: badResponse(200, `as_of_time ${truncate(r.value.as_of_time, 40)} is not a time`),
      };
    }
    return { ok: true, value: ms };
  }

  getExchangeSchedule(): Promise<Result<GetExchangeScheduleResponse>> {
    return this.read({ path: "/exchange/schedule", schema: GetExchangeScheduleResponse });
  }

  getAccountLimits(): Promise<Result<GetAccountApiLimitsResponse>> {
    return this.read({ path: "/account/limits", schema: GetAccountApiLimitsResponse });
  }

  getEndpointCosts(): Promise<Result<GetAccountEndpointCostsResponse>> {
    return this.read({ path: "/account/endpoint_costs", schema: GetAccountEndpointCostsResponse });
  }

  /**
   * Sizes the limiter from `GET /account/limits` and `GET /account/endpoint_costs`. Either may
   * fail; the limiter keeps its defaults for what did not answer. Returns what was applied.
   */
  async configureLimiter(): Promise<{ limits: boolean; costs: boolean; failures: Failure[] }> {
    const [limits, costs] = [await this.getAccountLimits(), await this.getEndpointCosts()];
    this.limiter.configure(limits.ok ? limits.value : null, costs.ok ? costs.value : null);
    const failures: Failure[] = [];
    if (!limits.ok) failures.push(limits.failure);
    if (!costs.ok) failures.push(costs.failure);
    return { limits: limits.ok, costs: costs.ok, failures };
  }
}
