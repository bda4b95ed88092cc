/**
 * Kalshi fixed-point strings <-> exact integers. Every price, count and amount of money
 * that crosses the venue boundary goes through here; nothing in the bot holds them as floats.
 *
 * - price: integer units of $0.0001 (`"0.5600"` -> 5600), 0 to 10 000
 * - count: integer hundredths of a contract (`"10.00"` -> 1000)
 * - money: integer micro-dollars (`"1.250000"` -> 1 250 000); price x count is exact in it
 *
 * Two flavours: `parsePrice` & co. throw a `FixedPointError` with a clear message (REST,
 * config, admin input); `fixedOrNaN` returns NaN instead of throwing and allocates nothing,
 * for the WebSocket hot path.
 */

export const PRICE_SCALE = 10_000; // units per dollar
export const COUNT_SCALE = 100; // units per contract
export const MONEY_SCALE = 1_000_000; // micro-dollars per dollar
export const PRICE_DECIMALS = 4;
export const COUNT_DECIMALS = 2;
export const MONEY_DECIMALS = 6;
/** Largest count we accept: 100 million contracts, far above any Kalshi position limit. */
export const MAX_COUNT = 100_000_000 * COUNT_SCALE;
/**
 * Largest absolute money value we accept: $1 billion = 1e15 micro-dollars, below 2^53 so every
 * value is exact in a double. ($1 trillion would be 1e18 micros, past 2^53: parseMoney then
 * returned silently rounded values such as "12345678901.234567" -> 12345678901234568.)
 */
export const MAX_MONEY = 1_000_000_000 * MONEY_SCALE;

export type PriceUnits = number;
export type CountUnits = number;
export type MoneyMicros = number;

export class FixedPointError extends Error {
  override name = "FixedPointError";
}

const POW10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

/**
 * Parses a plain decimal string (`"12"`, `"0.5"`, `"-3.25"`) into an integer scaled by
 * 10^decimals. Returns NaN for anything else: empty, exponent, spaces, `+`, more
 * fractional digits than `decimals`, a lone `.`, or a magnitude above `max`.
 * Trailing zeros beyond `decimals` are NOT accepted: Kalshi never sends them, and a
 * string with more precision than the unit is a sign of a wrong field.
 */
export function fixedOrNaN(s: string, decimals: number, signed: boolean, max: number): number {
  const n = s.length;
  if (n === 0 || n > 24) return Number.NaN;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45 /* - */) {
    if (!signed) return Number.NaN;
    neg = true;
    i = 1;
  }
  let value = 0;
  let intDigits = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
    intDigits++;
  }
  let frac = 0;
  if (i < n) {
    if (s.charCodeAt(i) !== 46 /* . */) return Number.NaN;
    i++;
    for (; i < n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9 || frac === decimals) return Number.NaN;
      value = value * 10 + c;
      frac++;
    }
    if (frac === 0) return Number.NaN; // "1." is not a number Kalshi sends
  }
  if (intDigits === 0) return Number.NaN; // ".5", "-" and "-.5"
  value *= POW10[decimals - frac] as number;
  if (value > max) return Number.NaN;
  return neg ? (value === 0 ? 0 : -value) : value;
}

function parseOrThrow(what: string, s: unknown, decimals: number, signed: boolean, max: number): number {
  if (typeof s !== "string") throw new FixedPointError(`${what}: expected a decimal string, got ${typeof s}`);
  const v = fixedOrNaN(s, decimals, signed, max);
  if (Number.isNaN(v)) {
    const shown = s.length > 32 ? `${s.slice(0, 32)}...` : s;
    const sign = signed ? "" : "non-negative ";
    throw new FixedPointError(
      `${what}: ${JSON.stringify(shown)} is not a ${sign}decimal with at most ${decimals} decimals within range`,
    );
  }
  return v;
}

/** `"0.5600"` -> 5600. Prices lie in [0, 1] dollars. */
export function parsePrice(s: unknown): PriceUnits {
  return parseOrThrow("price", s, PRICE_DECIMALS, false, PRICE_SCALE);
}

/** `"10.00"` -> 1000; non-negative. */
export function parseCount(s: unknown): CountUnits {
  return parseOrThrow("count", s, COUNT_DECIMALS, false, MAX_COUNT);
}

/** Signed count (`delta_fp`, `position_fp`): `"-2.50"` -> -250. */
export function parseSignedCount(s: unknown): CountUnits {
  return parseOrThrow("count", s, COUNT_DECIMALS, true, MAX_COUNT);
}

/** Dollar amount with up to 6 decimals, signed (P&L can be negative): `"-1.25"` -> -1 250 000. */
export function parseMoney(s: unknown): MoneyMicros {
  return parseOrThrow("money", s, MONEY_DECIMALS, true, MAX_MONEY);
}

/** Integer cents (Balance.balance, Settlement.revenue) -> micro-dollars. */
export function centsToMoney(cents: number): MoneyMicros {
  if (!Number.isSafeInteger(cents) || Math.abs(cents) * 10_000 > MAX_MONEY) {
    throw new FixedPointError(`cents: ${String(cents)} is not an integer within range`);
  }
  return cents * 10_000;
}

function formatScaled(v: number, decimals: number): string {
  if (!Number.isSafeInteger(v)) throw new FixedPointError(`cannot format ${String(v)}: not an integer`);
  const scale = POW10[decimals] as number;
  const abs = Math.abs(v);
  const int = Math.floor(abs / scale);
  const frac = String(abs - int * scale).padStart(decimals, "0");
  return `${v < 0 ? "-" : ""}${int}.${frac}`;
}

/** 5600 -> `"0.5600"` (4 decimals, as Kalshi accepts and sends). */
export function formatPrice(p: PriceUnits): string {
  if (p < 0 || p > PRICE_SCALE) throw new FixedPointError(`price ${p} is outside [0, ${PRICE_SCALE}]`);
  return formatScaled(p, PRICE_DECIMALS);
}

/** 1000 -> `"10.00"`. */
export function formatCount(c: CountUnits): string {
  return formatScaled(c, COUNT_DECIMALS);
}

/** 1 250 000 -> `"1.250000"`. */
export function formatMoney(m: MoneyMicros): string {
  return formatScaled(m, MONEY_DECIMALS);
}

/** Cost of `count` contracts at `price`, exactly, in micro-dollars. */
export function notional(price: PriceUnits, count: CountUnits): MoneyMicros {
  return price * count;
}

/** The other leg's price: a NO bid at 0.30 is a YES ask at 0.70. */
export function complement(p: PriceUnits): PriceUnits {
  return PRICE_SCALE - p;
}
