/**
 * The control API under `/_sim/` (never under Kalshi's `/trade-api/`): scenario scripting,
 * the clock in stepped mode, fault injection, inspection and reset. No auth (loopback only).
 * Prices and counts travel as Kalshi strings (`"0.5600"`, `"10.00"`); `sim/control-client.ts`
 * is the typed client. Handlers are pure functions of the context, like the REST ones.
 */

import { formatCount, PRICE_SCALE, parseCount, parsePrice } from "../../shared/kalshi/units.ts";
import { isMarketTicker } from "../../shared/kalshi/wire-fields.ts";
import type { CreateMarketInput } from "../exchange/exchange.ts";
import type { BookSide, FeeType, MarketMetadataUpdate, Rejection } from "../exchange/types.ts";
import type { KeyRegistry } from "./auth.ts";
import type { SimClock } from "./clock.ts";
import type { ExchangePort } from "./exchange-port.ts";
import type { FailureKind, FailureRule, FaultState, Inspection } from "./faults.ts";
import { emptyFaults } from "./faults.ts";
import type { RateLimits } from "./rate-limit.ts";
import { errorBody, type Reply, type RestState } from "./rest.ts";
import { eventJson, fillJson, marketJson, money4, orderJson, positionJson } from "./wire.ts";

const FEE_TYPES: readonly FeeType[] = [
  "quadratic",
  "quadratic_with_maker_fees",
  "quadratic_with_combo_maker_fees",
  "flat",
];

export const CONTROL_PREFIX = "/_sim";

export interface SimContext {
  exchange: ExchangePort;
  rest: RestState;
  clock: SimClock;
  faults: FaultState;
  inspection: Inspection;
  rateLimits: RateLimits;
  keys: KeyRegistry;
  /** recreate the exchange and clear faults, counters and buckets */
  reset(): void;
  dropWebSockets(): number;
  wsConnections(): number;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const bad = (message: string): Reply => ({ status: 400, body: errorBody("bad_request", message) });
const fromRejection = (r: Rejection): Reply => ({
  status: r.status,
  body: errorBody(r.code, r.message, r.details ?? ""),
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function side(v: unknown): BookSide | undefined {
  return v === "bid" || v === "ask" ? v : undefined;
}

function tryParse<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/**
 * `POST /_sim/markets` body -> the core's input: `ticker`, `event_ticker`, `series_ticker`,
 * `price_level_structure`, `fair` (dollar string), `open_ts` / `close_ts` (Unix seconds, as in
 * the lifecycle messages), `outcome` (`yes` | `no`, the hidden result). All optional.
 */
function createMarketInput(b: Record<string, unknown>): CreateMarketInput | string {
  const input: CreateMarketInput = {};
  if (b.ticker !== undefined) {
    if (!isMarketTicker(b.ticker)) return "ticker must match ^[A-Z0-9.-]+$";
    input.ticker = b.ticker;
  }
  if (b.event_ticker !== undefined) {
    if (!isMarketTicker(b.event_ticker)) return "event_ticker must match ^[A-Z0-9.-]+$";
    input.eventTicker = b.event_ticker;
  }
  if (b.series_ticker !== undefined) {
    if (typeof b.series_ticker !== "string") return "series_ticker must be a string";
    input.seriesTicker = b.series_ticker;
  }
  if (b.price_level_structure !== undefined) {
    if (typeof b.price_level_structure !== "string") return "price_level_structure must be a string";
    input.priceLevelStructure = b.price_level_structure;
  }
  if (b.fair !== undefined) {
    const p = tryParse(() => parsePrice(b.fair));
    if (p === undefined || p <= 0 || p >= PRICE_SCALE)
      return "fair must be a dollar string strictly inside (0, 1)";
    input.fair = p;
  }
  for (const [key, field] of [
    ["open_ts", "openTimeMs"],
    ["close_ts", "closeTimeMs"],
  ] as const) {
    const v = b[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return `${key} must be Unix seconds`;
    input[field] = v * 1000;
  }
  if (b.outcome !== undefined) {
    if (b.outcome !== "yes" && b.outcome !== "no") return "outcome must be yes or no";
    input.eventualOutcome = b.outcome;
  }
  return input;
}

export function handleControl(
  ctx: SimContext,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): Reply {
  const b = isRecord(body) ? body : {};
  const now = ctx.clock.nowMs();
  const ex = ctx.exchange;
  const key = `${method} ${path}`;

  const market = /^\/markets\/([^/]+)\/([a-z-]+)$/.exec(path);
  if (market && method === "POST") {
    const ticker = decodeURIComponent(market[1] as string);
    if (!ex.market(ticker)) return { status: 404, body: errorBody("not_found", "market not found") };
    const action = market[2];
    let r: { ok: true } | Rejection;
    switch (action) {
      case "price-level-structure": {
        if (typeof b.price_level_structure !== "string") return bad("price_level_structure is required");
        const m = ex.setPriceLevelStructure(ticker, b.price_level_structure, now);
        return m.ok ? ok({ market: marketJson(m.value, ex.book(ticker)) }) : fromRejection(m);
      }
      case "metadata": {
        const update: MarketMetadataUpdate = {};
        if (b.yes_sub_title !== undefined) {
          if (typeof b.yes_sub_title !== "string") return bad("yes_sub_title must be a string");
          update.yesSubTitle = b.yes_sub_title;
        }
        if (b.strike_type !== undefined) {
          if (typeof b.strike_type !== "string") return bad("strike_type must be a string");
          update.strikeType = b.strike_type;
        }
        for (const [k, f] of [
          ["floor_strike", "floorStrike"],
          ["cap_strike", "capStrike"],
        ] as const) {
          const v = b[k];
          if (v === undefined) continue;
          if (typeof v !== "number" || !Number.isFinite(v)) return bad(`${k} must be a number`);
          update[f] = v;
        }
        const m = ex.updateMarketMetadata(ticker, update, now);
        return m.ok ? ok({ market: marketJson(m.value, ex.book(ticker)) }) : fromRejection(m);
      }
      case "price": {
        const p = tryParse(() => parsePrice(b.price));
        if (p === undefined) return bad("price must be a dollar string");
        r = ex.movePrice(ticker, p, now);
        break;
      }
      case "trade-through": {
        const p = tryParse(() => parsePrice(b.price));
        const s = side(b.side);
        if (p === undefined || !s) return bad("side (bid|ask) and price are required");
        const t = ex.tradeThrough(ticker, s, p, now);
        if (!t.ok) return fromRejection(t);
        return ok({ trades: t.value.length });
      }
      case "pause":
        r = ex.setTradingPaused(ticker, b.paused !== false, now);
        break;
      case "close":
        r = ex.closeMarket(ticker, now);
        break;
      case "determine":
        if (b.result !== "yes" && b.result !== "no") return bad("result must be yes or no");
        r = ex.determineMarket(ticker, b.result, now);
        break;
      case "settle":
        r = ex.settleMarket(ticker, now);
        break;
      default:
        return { status: 404, body: errorBody("not_found", "unknown market action") };
    }
    return r.ok ? ok({ ok: true }) : fromRejection(r);
  }

  const feeOverride = /^\/events\/([^/]+)\/fee-override$/.exec(path);
  if (feeOverride && method === "POST") {
    const eventTicker = decodeURIComponent(feeOverride[1] as string);
    const type = b.fee_type ?? null;
    const mult = b.fee_multiplier ?? null;
    if (type !== null && !FEE_TYPES.includes(type as FeeType))
      return bad(`fee_type must be one of ${FEE_TYPES.join(", ")} or null`);
    if (mult !== null && (typeof mult !== "number" || !Number.isFinite(mult) || mult < 0))
      return bad("fee_multiplier must be a non-negative number or null");
    const e = ex.setEventFeeOverride(
      eventTicker,
      type as FeeType | null,
      mult === null ? null : Math.round((mult as number) * 1_000_000),
      now,
    );
    return e.ok ? ok({ event: eventJson(e.value) }) : fromRejection(e);
  }

  switch (key) {
    case "GET /state":
      return ok({
        now_ms: now,
        stepped: ctx.clock.stepped,
        trading_paused: ex.exchangePaused(),
        markets: ex.markets().map((m) => ({ ticker: m.ticker, status: m.status })),
        ws_connections: ctx.wsConnections(),
        faults: ctx.faults,
      });
    case "POST /clock/step": {
      if (!ctx.clock.stepped) return bad("the clock is not in stepped mode (start with --stepped)");
      const ms = b.ms;
      if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0)
        return bad("ms must be a non-negative integer");
      return ok({ now_ms: ctx.clock.step(ms) });
    }
    case "POST /markets": {
      const input = createMarketInput(b);
      if (typeof input === "string") return bad(input);
      const m = ex.createMarket(input, now);
      return m.ok ? ok({ market: marketJson(m.value, ex.book(m.value.ticker)) }) : fromRejection(m);
    }
    case "POST /liquidity": {
      const s = side(b.side);
      const p = tryParse(() => parsePrice(b.price));
      const c = tryParse(() => parseCount(b.count));
      if (typeof b.ticker !== "string" || !s || p === undefined || c === undefined) {
        return bad("ticker, side (bid|ask), price and count are required");
      }
      const r = ex.placeLiquidity(b.ticker, s, p, c, now);
      return r.ok ? ok({ order_id: r.value.orderId }) : fromRejection(r);
    }
    case "POST /liquidity/flash": {
      // Rests house liquidity and pulls it at once: two deltas back to back on the socket. A client
      // that acts on the first sees its order arrive after the second (latency measurements).
      const s = side(b.side);
      const p = tryParse(() => parsePrice(b.price));
      const c = tryParse(() => parseCount(b.count));
      if (typeof b.ticker !== "string" || !s || p === undefined || c === undefined) {
        return bad("ticker, side (bid|ask), price and count are required");
      }
      const r = ex.placeLiquidity(b.ticker, s, p, c, now);
      if (!r.ok) return fromRejection(r);
      return ok({ order_id: r.value.orderId, pulled: ex.pullLiquidity(b.ticker, s, p, now) });
    }
    case "POST /liquidity/pull": {
      if (typeof b.ticker !== "string") return bad("ticker is required");
      const p = b.price === undefined ? undefined : tryParse(() => parsePrice(b.price));
      if (b.price !== undefined && p === undefined) return bad("price must be a dollar string");
      return ok({ pulled: ex.pullLiquidity(b.ticker, side(b.side), p, now) });
    }
    case "POST /exchange/pause":
      ex.setExchangePaused(b.paused !== false, now);
      return ok({ trading_active: !ex.exchangePaused() });
    case "POST /faults/ws-drop":
      return ok({ dropped: ctx.dropWebSockets() });
    case "POST /faults/seq":
      if (typeof b.skip === "number") ctx.faults.skipSeq += b.skip;
      if (typeof b.repeat === "number") ctx.faults.repeatSeq += b.repeat;
      return ok({ skip: ctx.faults.skipSeq, repeat: ctx.faults.repeatSeq });
    case "POST /faults/stall":
      ctx.faults.stalled = b.stalled !== false;
      return ok({ stalled: ctx.faults.stalled });
    case "POST /faults/slow":
      if (typeof b.ms !== "number" || b.ms < 0) return bad("ms must be a non-negative number");
      ctx.faults.slowMs = b.ms;
      return ok({ slow_ms: b.ms });
    case "POST /faults/failures": {
      const kind = b.kind;
      if (kind !== "5xx" && kind !== "429" && kind !== "timeout")
        return bad("kind must be 5xx, 429 or timeout");
      const rule: FailureRule = { kind: kind as FailureKind };
      if (typeof b.next === "number") rule.next = b.next;
      else if (typeof b.share === "number" && b.share >= 0 && b.share <= 1) rule.share = b.share;
      else return bad("next (a count) or share (0..1) is required");
      if (typeof b.status === "number") rule.status = b.status;
      if (typeof b.path_prefix === "string") rule.pathPrefix = b.path_prefix;
      if (typeof b.method === "string") rule.method = b.method.toUpperCase();
      ctx.faults.failures.push(rule);
      return ok({ failures: ctx.faults.failures });
    }
    case "POST /faults/lose-response": {
      const next = typeof b.next === "number" ? b.next : 1;
      const mode = b.mode === "timeout" ? "timeout" : "drop";
      ctx.faults.loseResponse = { next, mode };
      return ok({ lose_response: ctx.faults.loseResponse });
    }
    case "DELETE /faults":
      Object.assign(ctx.faults, emptyFaults());
      return ok({ faults: ctx.faults });
    case "POST /rate-limits":
      if (typeof b.enabled === "boolean") ctx.rateLimits.enabled = b.enabled;
      ctx.rateLimits.reset();
      return ok({ enabled: ctx.rateLimits.enabled });
    case "GET /inspect/orders-received":
      return ok({ requests: ctx.inspection.orderRequests });
    case "GET /inspect/counters":
      return ok({ counters: ctx.inspection.counters });
    case "GET /inspect/orders": {
      const u = query.get("user") ?? ctx.keys.userIds()[0] ?? "";
      return ok({ orders: ex.orders(u).map(orderJson) });
    }
    case "GET /inspect/fills": {
      const u = query.get("user") ?? ctx.keys.userIds()[0] ?? "";
      return ok({ fills: ex.fills(u).map(fillJson) });
    }
    case "GET /inspect/positions": {
      const u = query.get("user") ?? ctx.keys.userIds()[0] ?? "";
      return ok({ positions: ex.positions(u).map(positionJson) });
    }
    case "GET /inspect/order-groups": {
      const u = query.get("user");
      return ok({
        order_groups: ex
          .allOrderGroups()
          .filter((g) => u === null || g.userId === u)
          .map((g) => ({
            id: g.id,
            user: g.userId,
            subaccount: g.subaccount,
            exchange_index: g.exchangeIndex,
            contracts_limit_fp: formatCount(g.contractsLimit),
            triggered: g.triggered,
            rolling_volume_fp: formatCount(g.rollingVolume),
            orders: g.orderIds,
          })),
      });
    }
    case "GET /inspect/exchange":
      return ok({ exchange: ex.inspect?.() ?? null });
    case "GET /inspect/balances":
      return ok({
        balances: ctx.keys.userIds().map((u) => ({ user: u, balance_dollars: money4(ex.balance(u)) })),
      });
    case "POST /reset":
      ctx.reset();
      return ok({ ok: true });
    default:
      return { status: 404, body: errorBody("not_found", `unknown control endpoint ${key}`) };
  }
}
