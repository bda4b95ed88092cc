/**
 * Kalshi's WebSocket API (`/trade-api/ws/v2`) in front of the exchange: the signed upgrade,
 * subscribe / unsubscribe / update_subscription / list_subscriptions with the documented
 * replies and error codes (Kalshi's AsyncAPI spec), one `seq` stream per `sid` that also
 * advances on `ok` / `unsubscribed` replies, and the channels the bot uses. Message shapes follow
 * the AsyncAPI spec's examples. Faults (stall, skipped or repeated seq, dropped sockets) and the
 * 10 s `heartbeat` pings live here too.
 */

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { WebSocketServer } from "ws";
import { formatCount, formatMoney, formatPrice, PRICE_SCALE } from "../../shared/kalshi/units.ts";
import { isMarketTicker } from "../../shared/kalshi/wire-fields.ts";
import type { ExchangeEvent, Level, SimMarket } from "../exchange/types.ts";
import { isMultivariate } from "../exchange/types.ts";
import type { SimClock } from "./clock.ts";
import type { ExchangePort } from "./exchange-port.ts";
import type { FaultState, Inspection } from "./faults.ts";
import type { Json } from "./wire.ts";
import { money4, priceRangesJson, rfc3339, topOfBook, tradeFieldsJson, userOrderJson } from "./wire.ts";

export const WS_PATH = "/trade-api/ws/v2";
export const PING_INTERVAL_MS = 10_000;

/** Channels that carry `seq`; the others (ticker, fill, user_orders, market_positions) do not. */
const SEQUENCED = new Set([
  "orderbook_delta",
  "trade",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "order_group_updates",
  "communications",
  "cfbenchmarks_value",
  "cfbenchmarks_value_5hz",
  "pyth_value",
]);
const KNOWN_CHANNELS = new Set([...SEQUENCED, "ticker", "fill", "user_orders", "market_positions"]);
/** Channels that take no market filter: `market_ticker(s)` on them is ignored (Kalshi's spec). */
const UNFILTERED = new Set([
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "order_group_updates",
  "communications",
]);

const ERRORS: Record<number, string> = {
  1: "Unable to process message",
  2: "Params required",
  3: "Channels required",
  4: "Subscription IDs required",
  5: "Unknown command",
  7: "Unknown subscription ID",
  8: "Unknown channel name",
  11: "Invalid parameter",
  12: "Exactly one subscription ID is required",
  13: "Unsupported action",
  14: "Market Ticker required",
  15: "Action required",
};

interface Subscription {
  sid: number;
  channel: string;
  /** null = all markets */
  tickers: Set<string> | null;
  seq: number;
  useYesPrice: boolean;
}

interface Session {
  ws: WebSocket;
  userId: string;
  subs: Map<number, Subscription>;
  nextSid: number;
}

export interface WsDeps {
  exchange: ExchangePort;
  faults: FaultState;
  inspection: Inspection;
  clock: SimClock;
  pingIntervalMs?: number;
  /** measurement hook: every frame as it is handed to the socket, with the process's monotonic time */
  onFrameSent?: (text: string, atNs: bigint) => void;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Set<Session>();
  private readonly deps: WsDeps;
  private readonly pingTimer: ReturnType<typeof setInterval>;

  constructor(deps: WsDeps) {
    this.deps = deps;
    this.pingTimer = setInterval(() => this.pingAll(), deps.pingIntervalMs ?? PING_INTERVAL_MS);
    this.pingTimer.unref();
    deps.exchange.onEvent((ev) => this.onEvent(ev));
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Completes an upgrade already authenticated by the caller. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, userId: string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session: Session = { ws, userId, subs: new Map(), nextSid: 1 };
      this.sessions.add(session);
      this.deps.inspection.count("ws_connections");
      ws.on("message", (data, isBinary) => {
        if (isBinary) this.error(session, 0, 1);
        else this.onCommand(session, data.toString());
      });
      ws.on("close", () => this.sessions.delete(session));
      ws.on("error", () => this.sessions.delete(session));
    });
  }

  /** Server pings: a Ping control frame with payload `heartbeat`. Skipped while the feed is stalled. */
  pingAll(): void {
    if (this.deps.faults.stalled) return;
    for (const s of this.sessions) if (s.ws.readyState === s.ws.OPEN) s.ws.ping("heartbeat");
  }

  /** Fault: drop every socket without a close handshake (clients see 1006). */
  dropAll(): number {
    const n = this.sessions.size;
    for (const s of this.sessions) s.ws.terminate();
    this.sessions.clear();
    this.deps.inspection.count("ws_drops", n);
    return n;
  }

  close(): void {
    clearInterval(this.pingTimer);
    for (const s of this.sessions) s.ws.terminate();
    this.sessions.clear();
    this.wss.close();
  }

  private raw(session: Session, obj: Json): void {
    if (this.deps.faults.stalled) return;
    if (session.ws.readyState !== session.ws.OPEN) return;
    const text = JSON.stringify(obj);
    const traced = this.deps.onFrameSent;
    if (traced) traced(text, process.hrtime.bigint());
    session.ws.send(text);
  }

  /** Sends on a subscription, numbering it when the channel is sequenced; applies seq faults. */
  private emit(session: Session, sub: Subscription, obj: Json): void {
    const f = this.deps.faults;
    if (SEQUENCED.has(sub.channel)) {
      if (f.skipSeq > 0) {
        f.skipSeq -= 1;
        sub.seq += 1;
      }
      sub.seq += 1;
      const framed = { ...obj, sid: sub.sid, seq: sub.seq };
      this.raw(session, framed);
      if (f.repeatSeq > 0) {
        f.repeatSeq -= 1;
        this.raw(session, framed);
      }
      return;
    }
    this.raw(session, { ...obj, sid: sub.sid });
  }

  private error(session: Session, id: number, code: number, extra: Json = {}): undefined {
    this.raw(session, {
      id,
      type: "error",
      msg: { code, msg: ERRORS[code] ?? "Unable to process message", ...extra },
    });
  }

  private onCommand(session: Session, text: string): undefined {
    this.deps.inspection.count("ws_commands");
    let cmd: unknown;
    try {
      cmd = JSON.parse(text);
    } catch {
      return this.error(session, 0, 1);
    }
    if (!isRecord(cmd)) return this.error(session, 0, 1);
    const id = typeof cmd.id === "number" && Number.isInteger(cmd.id) ? cmd.id : 0;
    if (cmd.id !== undefined && typeof cmd.id !== "number") return this.error(session, 0, 1);
    const params = cmd.params;
    switch (cmd.cmd) {
      case "subscribe":
        return this.subscribe(session, id, params);
      case "unsubscribe":
        return this.unsubscribe(session, id, params);
      case "update_subscription":
        return this.update(session, id, params);
      case "list_subscriptions":
        this.raw(session, {
          id,
          type: "ok",
          msg: [...session.subs.values()].map((s) => ({ channel: s.channel, sid: s.sid })),
        });
        return;
      default:
        return this.error(session, id, 5);
    }
  }

  /** market_ticker | market_tickers -> list; undefined when neither; null on a bad value. */
  private tickersOf(params: Record<string, unknown>): string[] | undefined | null {
    const one = params.market_ticker;
    const many = params.market_tickers;
    if (one !== undefined && many !== undefined) return null;
    if (one !== undefined) return isMarketTicker(one) ? [one] : null;
    if (many !== undefined) {
      if (!Array.isArray(many) || many.length === 0) return null;
      if (!many.every(isMarketTicker)) return null;
      return many as string[];
    }
    return undefined;
  }

  private subscribe(session: Session, id: number, params: unknown): undefined {
    if (!isRecord(params)) return this.error(session, id, 2);
    const channels = params.channels;
    if (!Array.isArray(channels) || channels.length === 0) return this.error(session, id, 3);
    if (!channels.every((c) => typeof c === "string" && KNOWN_CHANNELS.has(c)))
      return this.error(session, id, 8);
    const tickers = this.tickersOf(params);
    if (tickers === null) return this.error(session, id, 11);
    if (params.use_yes_price !== undefined && typeof params.use_yes_price !== "boolean")
      return this.error(session, id, 11);
    if (channels.includes("orderbook_delta") && tickers === undefined) return this.error(session, id, 14);
    for (const channel of channels as string[]) {
      this.deps.inspection.count(`ws_subscribe_${channel}`);
      const filtered = !UNFILTERED.has(channel) && tickers !== undefined;
      // Re-subscribing is idempotent: new tickers join the existing subscription.
      let sub = [...session.subs.values()].find((s) => s.channel === channel);
      const added: string[] = [];
      if (sub) {
        if (sub.tickers && filtered) {
          for (const t of tickers) if (!sub.tickers.has(t)) added.push(t);
          for (const t of added) sub.tickers.add(t);
        } else if (sub.tickers && !filtered) {
          sub.tickers = null;
        }
      } else {
        sub = {
          sid: session.nextSid++,
          channel,
          tickers: filtered ? new Set(tickers) : null,
          seq: 0,
          useYesPrice: params.use_yes_price === true,
        };
        session.subs.set(sub.sid, sub);
        if (sub.tickers) added.push(...sub.tickers);
      }
      this.raw(session, { id, type: "subscribed", msg: { channel, sid: sub.sid } });
      if (channel === "orderbook_delta") for (const t of added) this.snapshot(session, sub, t);
      if (channel === "ticker" && params.send_initial_snapshot === true) {
        for (const t of added) {
          const msg = this.tickerMsg(t);
          if (msg) this.emit(session, sub, { type: "ticker", msg });
        }
      }
    }
  }

  private unsubscribe(session: Session, id: number, params: unknown): undefined {
    if (!isRecord(params)) return this.error(session, id, 2);
    const sids = params.sids;
    if (!Array.isArray(sids) || sids.length === 0) return this.error(session, id, 4);
    for (const sid of sids) {
      const sub = typeof sid === "number" ? session.subs.get(sid) : undefined;
      if (!sub) {
        this.error(session, id, 7);
        continue;
      }
      if (SEQUENCED.has(sub.channel)) this.emit(session, sub, { id, type: "unsubscribed" });
      else {
        // asyncapi's unsubscribedResponsePayload requires `seq` whatever the channel; on an
        // unsequenced channel (ticker, fill, ...) it is the sid's first and only number.
        sub.seq += 1;
        this.raw(session, { id, sid: sub.sid, seq: sub.seq, type: "unsubscribed" });
      }
      session.subs.delete(sub.sid);
    }
  }

  private update(session: Session, id: number, params: unknown): undefined {
    if (!isRecord(params)) return this.error(session, id, 2);
    let sid: unknown = params.sid;
    if (params.sids !== undefined) {
      if (sid !== undefined || !Array.isArray(params.sids) || params.sids.length !== 1)
        return this.error(session, id, 12);
      sid = params.sids[0];
    }
    if (sid === undefined) return this.error(session, id, 12);
    if (params.action === undefined) return this.error(session, id, 15);
    const action = params.action;
    if (action !== "add_markets" && action !== "delete_markets" && action !== "get_snapshot")
      return this.error(session, id, 13);
    const sub = typeof sid === "number" ? session.subs.get(sid) : undefined;
    if (!sub) return this.error(session, id, 7);
    const tickers = this.tickersOf(params);
    if (tickers === null) return this.error(session, id, 11);
    if (tickers === undefined) return this.error(session, id, 14);
    if (action === "get_snapshot") {
      if (sub.channel !== "orderbook_delta") return this.error(session, id, 13);
      for (const t of tickers) this.snapshot(session, sub, t, id);
      return;
    }
    if (!sub.tickers) return this.error(session, id, 13); // an all-markets subscription has no list to edit
    const added = tickers.filter((t) => !sub.tickers?.has(t));
    for (const t of tickers) {
      if (action === "add_markets") sub.tickers.add(t);
      else sub.tickers.delete(t);
    }
    this.emit(session, sub, { id, type: "ok", msg: { market_tickers: [...sub.tickers] } });
    if (action === "add_markets" && sub.channel === "orderbook_delta")
      for (const t of added) this.snapshot(session, sub, t);
  }

  private snapshot(session: Session, sub: Subscription, ticker: string, id?: number): void {
    const m = this.deps.exchange.market(ticker);
    const book = this.deps.exchange.book(ticker);
    if (!m || !book) return;
    const msg: Json = { market_ticker: ticker, market_id: m.marketId };
    const fmt = (levels: readonly Level[], flip: boolean): [string, string][] =>
      levels
        .map(([p, c]) => [flip ? PRICE_SCALE - p : p, c] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([p, c]) => [formatPrice(p), formatCount(c)]);
    // A side's key is absent when that side is empty (asyncapi orderbookSnapshotPayload).
    if (book.yesBids.length > 0) msg.yes_dollars_fp = fmt(book.yesBids, false);
    if (book.noBids.length > 0) msg.no_dollars_fp = fmt(book.noBids, sub.useYesPrice);
    const obj: Json = { type: "orderbook_snapshot", msg };
    if (id !== undefined) obj.id = id;
    this.emit(session, sub, obj);
  }

  private tickerMsg(ticker: string): Json | undefined {
    const m = this.deps.exchange.market(ticker);
    if (!m) return undefined;
    const top = topOfBook(this.deps.exchange.book(ticker));
    const now = this.deps.clock.nowMs();
    const last = this.deps.exchange.trades().findLast((t) => t.ticker === ticker);
    return {
      market_id: m.marketId,
      market_ticker: m.ticker,
      price_dollars: formatPrice(m.lastPrice),
      yes_bid_dollars: formatPrice(top.bid),
      yes_ask_dollars: formatPrice(top.ask),
      volume_fp: formatCount(m.volume),
      open_interest_fp: formatCount(m.openInterest),
      dollar_volume: Math.floor((m.volume * m.lastPrice) / 1_000_000),
      dollar_open_interest: Math.floor((m.openInterest * m.lastPrice) / 1_000_000),
      yes_bid_size_fp: formatCount(top.bidSize),
      yes_ask_size_fp: formatCount(top.askSize),
      last_trade_size_fp: formatCount(last?.count ?? 0),
      ts: Math.floor(now / 1000),
      ts_ms: now,
      time: rfc3339(now),
    };
  }

  private matches(sub: Subscription, channel: string, ticker: string | undefined): boolean {
    return (
      sub.channel === channel && (sub.tickers === null || (ticker !== undefined && sub.tickers.has(ticker)))
    );
  }

  private each(
    channel: string,
    ticker: string | undefined,
    user: string | undefined,
    f: (s: Session, sub: Subscription) => void,
  ): void {
    for (const s of this.sessions) {
      if (user !== undefined && s.userId !== user) continue;
      for (const sub of s.subs.values()) if (this.matches(sub, channel, ticker)) f(s, sub);
    }
  }

  private onEvent(ev: ExchangeEvent): void {
    switch (ev.kind) {
      case "book_delta":
        this.each("orderbook_delta", ev.ticker, undefined, (s, sub) => {
          const flip = ev.side === "no" && sub.useYesPrice;
          const msg: Json = {
            market_ticker: ev.ticker,
            market_id: ev.marketId,
            price_dollars: formatPrice(flip ? PRICE_SCALE - ev.price : ev.price),
            delta_fp: formatCount(ev.delta),
            side: ev.side,
            ts: rfc3339(ev.tsMs),
            ts_ms: ev.tsMs,
          };
          // client_order_id only reaches the user whose order moved the book
          if (ev.user !== undefined && ev.user === s.userId && ev.clientOrderId)
            msg.client_order_id = ev.clientOrderId;
          this.emit(s, sub, { type: "orderbook_delta", msg });
        });
        return;
      case "trade":
        this.each("trade", ev.ticker, undefined, (s, sub) =>
          this.emit(s, sub, {
            type: "trade",
            msg: {
              ...tradeFieldsJson(ev),
              market_ticker: ev.ticker,
              ts: Math.floor(ev.tsMs / 1000),
              ts_ms: ev.tsMs,
            },
          }),
        );
        return;
      case "ticker": {
        const msg = this.tickerMsg(ev.ticker);
        if (msg)
          this.each("ticker", ev.ticker, undefined, (s, sub) => this.emit(s, sub, { type: "ticker", msg }));
        return;
      }
      case "fill": {
        const f = ev.fill;
        this.each("fill", f.ticker, ev.user, (s, sub) => {
          const msg: Json = {
            trade_id: f.tradeId,
            order_id: f.orderId,
            market_ticker: f.ticker,
            exchange_index: f.exchangeIndex,
            is_taker: f.isTaker,
            side: f.outcomeSide,
            yes_price_dollars: formatPrice(f.yesPrice),
            count_fp: formatCount(f.count),
            fee_cost: formatMoney(f.fee),
            // legacy (action, side): Kalshi's order-direction table maps an ask to (buy, no), as REST does
            action: "buy",
            ts: Math.floor(f.tsMs / 1000),
            ts_ms: f.tsMs,
            post_position_fp: formatCount(f.postPosition),
            purchased_side: f.outcomeSide,
            outcome_side: f.outcomeSide,
            book_side: f.side,
            subaccount: f.subaccount,
          };
          if (f.clientOrderId) msg.client_order_id = f.clientOrderId;
          this.emit(s, sub, { type: "fill", msg });
        });
        return;
      }
      case "order_group": {
        const msg: Json = { event_type: ev.eventType, order_group_id: ev.groupId };
        if (ev.contractsLimit !== undefined) msg.contracts_limit_fp = formatCount(ev.contractsLimit);
        msg.ts_ms = ev.tsMs;
        this.each("order_group_updates", undefined, ev.user, (s, sub) =>
          this.emit(s, sub, { type: "order_group_updates", msg }),
        );
        return;
      }
      case "order":
        this.each("user_orders", ev.order.ticker, ev.user, (s, sub) =>
          this.emit(s, sub, { type: "user_order", msg: userOrderJson(ev.order) }),
        );
        return;
      case "position": {
        const p = ev.position;
        this.each("market_positions", ev.ticker, ev.user, (s, sub) =>
          this.emit(s, sub, {
            type: "market_position",
            msg: {
              user_id: ev.user,
              market_ticker: ev.ticker,
              position_fp: formatCount(p.position),
              position_cost_dollars: money4(p.marketExposure),
              realized_pnl_dollars: money4(p.realizedPnl),
              fees_paid_dollars: money4(p.feesPaid),
              position_fee_cost_dollars: money4(p.feesPaid),
              volume_fp: formatCount(p.volume),
            },
          }),
        );
        return;
      }
      case "lifecycle": {
        const m = this.deps.exchange.market(ev.ticker);
        // Combo (KXMVE*) markets have their own channel; market_lifecycle_v2 carries all the others.
        const mve = m !== undefined && isMultivariate(m.seriesTicker);
        const channel = mve ? "multivariate_market_lifecycle" : "market_lifecycle_v2";
        const msg = m
          ? lifecycleMsg(ev, m, this.deps.exchange)
          : { market_ticker: ev.ticker, event_type: ev.eventType };
        this.each(channel, ev.ticker, undefined, (s, sub) => this.emit(s, sub, { type: channel, msg }));
        return;
      }
      case "event_lifecycle": {
        const e = this.deps.exchange.events().find((x) => x.eventTicker === ev.eventTicker);
        if (!e) return;
        const channel = isMultivariate(e.seriesTicker)
          ? "multivariate_market_lifecycle"
          : "market_lifecycle_v2";
        const msg: Json = {
          event_ticker: e.eventTicker,
          exchange_index: e.exchangeIndex,
          title: e.title,
          subtitle: e.subTitle,
          collateral_return_type: e.collateralReturnType,
          series_ticker: e.seriesTicker,
        };
        this.each(channel, undefined, undefined, (s, sub) =>
          this.emit(s, sub, { type: "event_lifecycle", msg }),
        );
        return;
      }
      case "event_fee_update": {
        const e = this.deps.exchange.events().find((x) => x.eventTicker === ev.eventTicker);
        if (!e) return;
        const msg: Json = {
          event_ticker: e.eventTicker,
          fee_type_override: e.feeTypeOverride,
          fee_multiplier_override:
            e.feeMultiplierOverridePpm === null ? null : e.feeMultiplierOverridePpm / 1_000_000,
        };
        // Kalshi delivers it on market_lifecycle_v2 only
        this.each("market_lifecycle_v2", undefined, undefined, (s, sub) =>
          this.emit(s, sub, { type: "event_fee_update", msg }),
        );
        return;
      }
    }
  }
}

/**
 * A lifecycle message's `msg` (Kalshi's AsyncAPI marketLifecycleV2Payload and
 * multivariateMarketLifecyclePayload):
 * only the keys its event type carries. `exchange_index` comes with `created` only, as the spec says.
 */
function lifecycleMsg(
  ev: Extract<ExchangeEvent, { kind: "lifecycle" }>,
  m: SimMarket,
  exchange: ExchangePort,
): Json {
  const msg: Json = { market_ticker: ev.ticker, event_type: ev.eventType };
  switch (ev.eventType) {
    case "created":
      msg.exchange_index = m.exchangeIndex;
      msg.open_ts = Math.floor(m.openTimeMs / 1000);
      msg.close_ts = Math.floor(m.closeTimeMs / 1000);
      msg.additional_metadata = createdMetadata(m, exchange);
      msg.price_level_structure = m.priceLevelStructure;
      // the multivariate payload has no price_ranges key
      if (!isMultivariate(m.seriesTicker)) msg.price_ranges = priceRangesJson(m.priceRanges);
      break;
    case "close_date_updated":
      msg.close_ts = Math.floor(m.closeTimeMs / 1000);
      break;
    case "determined":
      msg.determination_ts = Math.floor(ev.tsMs / 1000);
      msg.result = m.result;
      msg.settlement_value = m.result === "yes" ? "1.0000" : "0.0000";
      break;
    case "settled":
      msg.settled_ts = Math.floor(ev.tsMs / 1000);
      break;
    case "deactivated":
    case "activated":
      msg.is_deactivated = ev.eventType === "deactivated";
      break;
    case "price_level_structure_updated":
      msg.price_level_structure = m.priceLevelStructure;
      msg.price_ranges = priceRangesJson(m.priceRanges);
      break;
    case "metadata_updated": {
      const md = ev.metadata ?? {};
      if (md.strikeType !== undefined) msg.strike_type = md.strikeType;
      if (md.floorStrike !== undefined) msg.floor_strike = md.floorStrike;
      if (md.capStrike !== undefined) msg.cap_strike = md.capStrike;
      if (md.yesSubTitle !== undefined) msg.yes_sub_title = md.yesSubTitle;
      break;
    }
  }
  return msg;
}

/** `additional_metadata` of a `created` event (asyncapi's example carries it; sim markets have no rules text). */
function createdMetadata(m: SimMarket, exchange: ExchangePort): Json {
  const event = exchange.events().find((e) => e.eventTicker === m.eventTicker);
  return {
    name: m.ticker,
    title: event?.title ?? m.ticker,
    yes_sub_title: m.yesSubTitle,
    no_sub_title: "",
    rules_primary: "",
    rules_secondary: "",
    can_close_early: m.canCloseEarly,
    event_ticker: m.eventTicker,
    expected_expiration_ts: Math.floor(m.expectedExpirationTimeMs / 1000),
  };
}
