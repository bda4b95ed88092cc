/**
 * The reference parser for Kalshi WebSocket text frames: `JSON.parse`, then hand-written checks
 * of the envelope and of the two order-book payloads (`orderbook_snapshot`, `orderbook_delta`,
 * Kalshi's WebSocket spec, `orderbookSnapshotPayload` / `orderbookDeltaPayload`).
 *
 * It is the slow path of `frame-handler.ts` and the oracle the fast scanner (`fast-json.ts`) is
 * tested against: whatever the scanner accepts must parse here to the same record. It never
 * throws; bad input becomes `{ kind: "invalid", failure }` carrying whatever could still be
 * trusted (sid/seq for the sequence check, the ticker to mark stale).
 *
 * No zod on this path (it runs for every snapshot and every unusual delta); the checks accept
 * exactly what the zod schemas `OrderbookSnapshot` / `OrderbookDelta` in ws-messages.ts accept,
 * plus two checks of meaning (tested): a price of $0 or $1 cannot be a resting bid
 * (`absurd_price`), and a snapshot listing one price twice is corrupt (`duplicate_level`).
 */

import type { CountUnits, PriceUnits } from "../kalshi/units.ts";
import { COUNT_DECIMALS, fixedOrNaN, MAX_COUNT, PRICE_DECIMALS, PRICE_SCALE } from "../kalshi/units.ts";
import { KNOWN_TYPES } from "../kalshi/ws-messages.ts";
import type { BookSide, Level } from "./order-book.ts";
import { MAX_BID_PRICE, MIN_BID_PRICE } from "./order-book.ts";

/** Why a frame was dropped. Each kind is counted and logged once with a sample. */
export type FailureKind =
  | "malformed_json"
  | "not_object"
  | "bad_envelope"
  | "unknown_type"
  | "bad_ticker"
  | "bad_market_id"
  | "bad_price"
  | "absurd_price"
  | "bad_count"
  | "bad_side"
  | "bad_optional_field"
  | "bad_levels"
  | "duplicate_level";

export interface ParsedDelta {
  readonly kind: "delta";
  readonly sid: number;
  readonly seq: number;
  readonly ticker: string;
  /** Price as sent: YES scale, or for side "no" the NO-leg price unless `use_yes_price` is on. */
  readonly price: PriceUnits;
  readonly delta: CountUnits;
  readonly side: BookSide;
  /** `ts_ms`, or NaN when absent. */
  readonly tsMs: number;
}

export interface ParsedSnapshot {
  readonly kind: "snapshot";
  readonly sid: number;
  readonly seq: number;
  readonly ticker: string;
  readonly marketId: string;
  /** Levels as sent (prices on the wire scale), zero-size levels left out. */
  readonly yes: Level[];
  readonly no: Level[];
}

/** Any other well-formed message of a type Kalshi documents; the caller routes it. */
export interface ParsedMessage {
  readonly kind: "message";
  readonly type: string;
  /** 0 when the message carries no sid / seq. */
  readonly sid: number;
  readonly seq: number;
  readonly value: Record<string, unknown>;
}

export interface ParsedInvalid {
  readonly kind: "invalid";
  readonly failure: FailureKind;
  readonly type: string | undefined;
  /** 0 unless the envelope's sid and seq were themselves valid. */
  readonly sid: number;
  readonly seq: number;
  /** The book the frame was about, when its ticker could be read. */
  readonly ticker: string | undefined;
}

export type ParsedFrame = ParsedDelta | ParsedSnapshot | ParsedMessage | ParsedInvalid;

/**
 * The book key. Like the zod schemas in ws-messages.ts, every non-empty string is accepted (the spec's
 * `^[A-Z0-9-]+$` is broken by its own examples, e.g. `FED-23DEC-T3.00`).
 */
export function isValidTicker(t: unknown): t is string {
  return typeof t === "string" && t.length > 0;
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses a price string; NaN if malformed, -1 if well-formed but not a price a bid can rest at. */
export function parseBidPrice(s: unknown): number {
  if (typeof s !== "string") return Number.NaN;
  const p = fixedOrNaN(s, PRICE_DECIMALS, false, PRICE_SCALE);
  if (Number.isNaN(p)) return p;
  return p < MIN_BID_PRICE || p > MAX_BID_PRICE ? -1 : p;
}

function invalid(
  failure: FailureKind,
  type: string | undefined,
  sid: number,
  seq: number,
  ticker: string | undefined,
): ParsedInvalid {
  return { kind: "invalid", failure, type, sid, seq, ticker };
}

/** Parses one text frame. Never throws. */
export function parseFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid("malformed_json", undefined, 0, 0, undefined);
  }
  return parseValue(value);
}

/** Validates an already-parsed frame. Never throws. */
export function parseValue(value: unknown): ParsedFrame {
  if (!isRecord(value)) return invalid("not_object", undefined, 0, 0, undefined);
  const type = value.type;
  if (typeof type !== "string") return invalid("bad_envelope", undefined, 0, 0, undefined);
  const rawSid = value.sid;
  const rawSeq = value.seq;
  const sidOk = rawSid === undefined || isPositiveInt(rawSid);
  const seqOk = rawSeq === undefined || isPositiveInt(rawSeq);
  // sid and seq are only trusted together; a frame with a bad one is not sequenced.
  const sid = sidOk && seqOk && rawSid !== undefined && rawSeq !== undefined ? rawSid : 0;
  const seq = sid === 0 ? 0 : (rawSeq as number);
  const isBook = type === "orderbook_delta" || type === "orderbook_snapshot";
  if (!KNOWN_TYPES.has(type)) return invalid("unknown_type", type, sid, seq, undefined);
  const msg = value.msg;
  const ticker = isRecord(msg) && isValidTicker(msg.market_ticker) ? msg.market_ticker : undefined;
  if (!sidOk || !seqOk || (isBook && sid === 0)) return invalid("bad_envelope", type, sid, seq, ticker);
  if (!isBook) return { kind: "message", type, sid, seq, value };
  // A snapshot answering get_snapshot carries the command id (CommandId: integer >= 0).
  if (type === "orderbook_snapshot" && value.id !== undefined && !(isInt(value.id) && value.id >= 0)) {
    return invalid("bad_envelope", type, sid, seq, ticker);
  }
  if (!isRecord(msg)) return invalid("bad_envelope", type, sid, seq, undefined);
  if (ticker === undefined) return invalid("bad_ticker", type, sid, seq, undefined);
  if (typeof msg.market_id !== "string" || msg.market_id.length === 0)
    return invalid("bad_market_id", type, sid, seq, ticker);
  return type === "orderbook_delta"
    ? parseDeltaMsg(msg, sid, seq, ticker)
    : parseSnapshotMsg(msg, sid, seq, ticker);
}

function parseDeltaMsg(msg: Record<string, unknown>, sid: number, seq: number, ticker: string): ParsedFrame {
  const type = "orderbook_delta";
  const price = parseBidPrice(msg.price_dollars);
  if (Number.isNaN(price)) return invalid("bad_price", type, sid, seq, ticker);
  if (price < 0) return invalid("absurd_price", type, sid, seq, ticker);
  const rawDelta = msg.delta_fp;
  const delta =
    typeof rawDelta === "string" ? fixedOrNaN(rawDelta, COUNT_DECIMALS, true, MAX_COUNT) : Number.NaN;
  if (Number.isNaN(delta)) return invalid("bad_count", type, sid, seq, ticker);
  const side = msg.side;
  if (side !== "yes" && side !== "no") return invalid("bad_side", type, sid, seq, ticker);
  const tsMs = msg.ts_ms;
  if (
    (tsMs !== undefined && !isInt(tsMs)) ||
    (msg.ts !== undefined && typeof msg.ts !== "string") ||
    (msg.client_order_id !== undefined && typeof msg.client_order_id !== "string") ||
    (msg.subaccount !== undefined && !isInt(msg.subaccount))
  ) {
    return invalid("bad_optional_field", type, sid, seq, ticker);
  }
  return {
    kind: "delta",
    sid,
    seq,
    ticker,
    price,
    delta,
    side,
    tsMs: tsMs === undefined ? Number.NaN : tsMs,
  };
}

function parseLevels(raw: unknown, out: Level[]): FailureKind | null {
  if (raw === undefined) return null;
  if (!Array.isArray(raw)) return "bad_levels";
  const seen = new Set<number>();
  for (const level of raw) {
    if (!Array.isArray(level) || level.length !== 2) return "bad_levels";
    const price = parseBidPrice(level[0]);
    if (Number.isNaN(price)) return "bad_price";
    if (price < 0) return "absurd_price";
    const rawSize = level[1];
    const size =
      typeof rawSize === "string" ? fixedOrNaN(rawSize, COUNT_DECIMALS, false, MAX_COUNT) : Number.NaN;
    if (Number.isNaN(size)) return "bad_count";
    if (seen.has(price)) return "duplicate_level";
    seen.add(price);
    // A zero-size level is an empty level, not an error.
    if (size > 0) out.push({ price, size });
  }
  return null;
}

function parseSnapshotMsg(
  msg: Record<string, unknown>,
  sid: number,
  seq: number,
  ticker: string,
): ParsedFrame {
  const type = "orderbook_snapshot";
  const yes: Level[] = [];
  const no: Level[] = [];
  const failure = parseLevels(msg.yes_dollars_fp, yes) ?? parseLevels(msg.no_dollars_fp, no);
  if (failure !== null) return invalid(failure, type, sid, seq, ticker);
  return { kind: "snapshot", sid, seq, ticker, marketId: msg.market_id as string, yes, no };
}
