/**
 * A strict, allocation-free scanner for the one frame that dominates the feed: `orderbook_delta`.
 *
 * `scanDelta(text, out)` reads the frame straight from the characters (fields in any order),
 * checks full JSON syntax for everything it consumes, parses the fixed-point fields in place
 * (`fixedAt`, the substring-free twin of `fixedOrNaN`) and hashes the ticker so the store can
 * find the market without allocating a string. It returns true only when the frame is a valid
 * delta that the reference parser (`frame-parse.ts`) would turn into exactly the same record;
 * anything unusual (string escapes, nested unknown fields, duplicate keys, non-canonical numbers,
 * other message types, any invalid field) returns false and the caller falls back to
 * `JSON.parse` + `parseValue`, which decides. So the scanner never rejects, it only declines.
 *
 * Called by `frame-handler.ts` on every frame; equivalence with the reference parser is a
 * property test in `fast-json.test.ts`.
 */

import { COUNT_DECIMALS, MAX_COUNT, PRICE_DECIMALS, PRICE_SCALE } from "../kalshi/units.ts";
import type { BookSide } from "./order-book.ts";
import { MAX_BID_PRICE, MIN_BID_PRICE } from "./order-book.ts";

/** What the scanner extracts from a delta frame; reused across frames (no allocation). */
export interface DeltaScan {
  sid: number;
  seq: number;
  tickerStart: number;
  tickerEnd: number;
  tickerHash: number;
  price: number;
  delta: number;
  side: BookSide;
  /** NaN when absent. */
  tsMs: number;
}

export function newDeltaScan(): DeltaScan {
  return {
    sid: 0,
    seq: 0,
    tickerStart: 0,
    tickerEnd: 0,
    tickerHash: 0,
    price: 0,
    delta: 0,
    side: "yes",
    tsMs: Number.NaN,
  };
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units; the scanner computes the same hash while reading a ticker. */
export function hashTicker(t: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), FNV_PRIME);
  return h;
}

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

/** Exactly `fixedOrNaN(s.slice(start, end), decimals, signed, max)`, without the slice. */
export function fixedAt(
  s: string,
  start: number,
  end: number,
  decimals: number,
  signed: boolean,
  max: number,
): number {
  const n = end - start;
  if (n <= 0 || n > 24) return Number.NaN;
  let i = start;
  let neg = false;
  if (s.charCodeAt(i) === 45) {
    if (!signed) return Number.NaN;
    neg = true;
    i++;
  }
  let value = 0;
  let intDigits = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
    intDigits++;
  }
  let frac = 0;
  if (i < end) {
    if (s.charCodeAt(i) !== 46) return Number.NaN;
    i++;
    for (; i < end; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9 || frac === decimals) return Number.NaN;
      value = value * 10 + c;
      frac++;
    }
    if (frac === 0) return Number.NaN;
  }
  if (intDigits === 0) return Number.NaN;
  value *= POW10[decimals - frac] as number;
  if (value > max) return Number.NaN;
  return neg ? (value === 0 ? 0 : -value) : value;
}

// Char codes.
const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN = 123;
const CLOSE = 125;

// Field bits, for required-field and duplicate-key checks.
const F_TYPE = 1;
const F_SID = 2;
const F_SEQ = 4;
const F_MSG = 8;
const ENVELOPE_REQUIRED = F_TYPE | F_SID | F_SEQ | F_MSG;
const M_TICKER = 1;
const M_ID = 2;
const M_PRICE = 4;
const M_DELTA = 8;
const M_SIDE = 16;
const M_TS = 32;
const M_TS_MS = 64;
const M_COID = 128;
const M_SUB = 256;
const MSG_REQUIRED = M_TICKER | M_ID | M_PRICE | M_DELTA | M_SIDE;

/**
 * End position of the last number scanned (module scratch: the scanner is synchronous). Only
 * positions live here, never values: a small integer is stored unboxed, a double (`ts_ms`)
 * would allocate a heap number on every frame.
 */
let gPos = 0;

function skipWs(s: string, i: number, n: number): number {
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  return i;
}

/** `s[i]` is a quote: returns the index after the closing quote, or -1 on escapes, controls or EOF. */
function skipPlainString(s: string, i: number, n: number): number {
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH || c < 32) return -1;
  }
  return -1;
}

/** Canonical non-negative JSON integer of at most 15 digits at `i` (end in gPos), else -1. */
function scanUint(s: string, i: number, n: number): number {
  let c = s.charCodeAt(i) - 48;
  if (!(c >= 0 && c <= 9)) return -1;
  let v = c;
  let j = i + 1;
  if (c !== 0) {
    for (; j < n; j++) {
      c = s.charCodeAt(j) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
  }
  if (j - i > 15) return -1;
  if (j < n) {
    const d = s.charCodeAt(j);
    // A fraction, an exponent, or a digit after a leading zero: not ours to judge.
    if (d === 46 || d === 101 || d === 69 || (d >= 48 && d <= 57)) return -1;
  }
  gPos = j;
  return v;
}

function scanDigits(s: string, i: number, n: number): number {
  const start = i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i === start ? -1 : i;
}

/** Any JSON number (full grammar). */
function skipNumber(s: string, i: number, n: number): number {
  if (s.charCodeAt(i) === 45) i++;
  const c = s.charCodeAt(i);
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) i = scanDigits(s, i, n);
  else return -1;
  if (i < n && s.charCodeAt(i) === 46) {
    i = scanDigits(s, i + 1, n);
    if (i < 0) return -1;
  }
  if (i < n) {
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      i = scanDigits(s, i, n);
    }
  }
  return i;
}

/** A scalar value of a field we do not use; objects and arrays are left to the slow path. */
function skipScalar(s: string, i: number, n: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipPlainString(s, i, n);
  if (c === 45 || (c >= 48 && c <= 57)) return skipNumber(s, i, n);
  if (c === 116) return s.startsWith("true", i) ? i + 4 : -1;
  if (c === 102) return s.startsWith("false", i) ? i + 5 : -1;
  if (c === 110) return s.startsWith("null", i) ? i + 4 : -1;
  return -1;
}

/** A quoted fixed-point string at `i` (end in gPos); NaN when not a plain, valid number. */
function scanFixed(s: string, i: number, n: number, decimals: number, signed: boolean, max: number): number {
  if (s.charCodeAt(i) !== QUOTE) return Number.NaN;
  const end = skipPlainString(s, i, n);
  if (end < 0) return Number.NaN;
  gPos = end;
  return fixedAt(s, i + 1, end - 1, decimals, signed, max);
}

/**
 * Scans an `orderbook_delta` frame into `out`. True when `out` holds the frame's record, false
 * when the caller must use the reference parser (which may still accept the frame).
 */
export function scanDelta(s: string, out: DeltaScan): boolean {
  const n = s.length;
  let i = skipWs(s, 0, n);
  if (s.charCodeAt(i) !== OPEN) return false;
  let seen = 0;
  i = skipWs(s, i + 1, n);
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) return false;
    const k = s.charCodeAt(i + 1);
    let field = 0;
    if (k === 116 && s.startsWith('"type"', i)) {
      field = F_TYPE;
      i += 6;
    } else if (k === 115 && s.startsWith('"sid"', i)) {
      field = F_SID;
      i += 5;
    } else if (k === 115 && s.startsWith('"seq"', i)) {
      field = F_SEQ;
      i += 5;
    } else if (k === 109 && s.startsWith('"msg"', i)) {
      field = F_MSG;
      i += 5;
    } else {
      i = skipPlainString(s, i, n);
      if (i < 0) return false;
    }
    if (field !== 0) {
      if ((seen & field) !== 0) return false;
      seen |= field;
    }
    i = skipWs(s, i, n);
    if (s.charCodeAt(i) !== COLON) return false;
    i = skipWs(s, i + 1, n);
    switch (field) {
      case F_TYPE:
        if (!s.startsWith('"orderbook_delta"', i)) return false;
        i += 17;
        break;
      case F_SID: {
        const v = scanUint(s, i, n);
        if (v <= 0) return false;
        out.sid = v;
        i = gPos;
        break;
      }
      case F_SEQ: {
        const v = scanUint(s, i, n);
        if (v <= 0) return false;
        out.seq = v;
        i = gPos;
        break;
      }
      case F_MSG:
        i = scanDeltaMsg(s, i, n, out);
        break;
      default:
        i = skipScalar(s, i, n);
    }
    if (i < 0) return false;
    i = skipWs(s, i, n);
    const c = s.charCodeAt(i);
    if (c === COMMA) {
      i = skipWs(s, i + 1, n);
      continue;
    }
    if (c !== CLOSE) return false;
    break;
  }
  return seen === ENVELOPE_REQUIRED && skipWs(s, i + 1, n) === n;
}

function scanDeltaMsg(s: string, i: number, n: number, out: DeltaScan): number {
  if (s.charCodeAt(i) !== OPEN) return -1;
  let seen = 0;
  out.tsMs = Number.NaN;
  i = skipWs(s, i + 1, n);
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) return -1;
    const k = s.charCodeAt(i + 1);
    let field = 0;
    if (k === 109 && s.startsWith('"market_ticker"', i)) {
      field = M_TICKER;
      i += 15;
    } else if (k === 109 && s.startsWith('"market_id"', i)) {
      field = M_ID;
      i += 11;
    } else if (k === 112 && s.startsWith('"price_dollars"', i)) {
      field = M_PRICE;
      i += 15;
    } else if (k === 100 && s.startsWith('"delta_fp"', i)) {
      field = M_DELTA;
      i += 10;
    } else if (k === 115 && s.startsWith('"side"', i)) {
      field = M_SIDE;
      i += 6;
    } else if (k === 116 && s.startsWith('"ts_ms"', i)) {
      field = M_TS_MS;
      i += 7;
    } else if (k === 116 && s.startsWith('"ts"', i)) {
      field = M_TS;
      i += 4;
    } else if (k === 99 && s.startsWith('"client_order_id"', i)) {
      field = M_COID;
      i += 17;
    } else if (k === 115 && s.startsWith('"subaccount"', i)) {
      field = M_SUB;
      i += 12;
    } else {
      i = skipPlainString(s, i, n);
      if (i < 0) return -1;
    }
    if (field !== 0) {
      if ((seen & field) !== 0) return -1;
      seen |= field;
    }
    i = skipWs(s, i, n);
    if (s.charCodeAt(i) !== COLON) return -1;
    i = skipWs(s, i + 1, n);
    switch (field) {
      case M_TICKER: {
        if (s.charCodeAt(i) !== QUOTE) return -1;
        const start = i + 1;
        let h = FNV_OFFSET;
        let j = start;
        for (; j < n; j++) {
          const c = s.charCodeAt(j);
          if (c === QUOTE) break;
          if (c === BACKSLASH || c < 32) return -1;
          h = Math.imul(h ^ c, FNV_PRIME);
        }
        const len = j - start;
        if (j >= n || len === 0) return -1;
        out.tickerStart = start;
        out.tickerEnd = j;
        out.tickerHash = h;
        i = j + 1;
        break;
      }
      case M_PRICE: {
        const v = scanFixed(s, i, n, PRICE_DECIMALS, false, PRICE_SCALE);
        // NaN fails both comparisons.
        if (!(v >= MIN_BID_PRICE && v <= MAX_BID_PRICE)) return -1;
        out.price = v;
        i = gPos;
        break;
      }
      case M_DELTA: {
        const v = scanFixed(s, i, n, COUNT_DECIMALS, true, MAX_COUNT);
        if (Number.isNaN(v)) return -1;
        out.delta = v;
        i = gPos;
        break;
      }
      case M_SIDE:
        if (s.startsWith('"yes"', i)) {
          out.side = "yes";
          i += 5;
        } else if (s.startsWith('"no"', i)) {
          out.side = "no";
          i += 4;
        } else return -1;
        break;
      case M_TS_MS: {
        const v = scanUint(s, i, n);
        if (v < 0) return -1;
        out.tsMs = v;
        i = gPos;
        break;
      }
      case M_SUB:
        if (scanUint(s, i, n) < 0) return -1;
        i = gPos;
        break;
      case M_ID:
        if (s.charCodeAt(i) !== QUOTE || s.charCodeAt(i + 1) === QUOTE) return -1; // non-empty
        i = skipPlainString(s, i, n);
        break;
      case M_TS:
      case M_COID:
        if (s.charCodeAt(i) !== QUOTE) return -1;
        i = skipPlainString(s, i, n);
        break;
      default:
        i = skipScalar(s, i, n);
    }
    if (i < 0) return -1;
    i = skipWs(s, i, n);
    const c = s.charCodeAt(i);
    if (c === COMMA) {
      i = skipWs(s, i + 1, n);
      continue;
    }
    if (c !== CLOSE) return -1;
    break;
  }
  return (seen & MSG_REQUIRED) === MSG_REQUIRED ? i + 1 : -1;
}
