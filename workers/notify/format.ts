/**
 * Formatting for the emails: money from integer micro-dollars (`$1,234.56`, `-$0.25`), exact
 * percentages to one decimal, prices and contract counts from their integer units, local times,
 * and HTML escaping. Integer arithmetic only (BigInt where a product could pass 2^53), so no
 * float rounding error reaches a figure. Pure; used by the report and alert renderers.
 */
import type { CountUnits, MoneyMicros, PriceUnits } from "../../shared/domain.ts";
import { COUNT_SCALE, PRICE_SCALE } from "../../shared/kalshi/units.ts";
import { wallClockOf } from "./trading-day.ts";

const MICROS_PER_CENT = 10_000;

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function requireInteger(what: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what} ${String(v)} is not a safe integer`);
}

/**
 * Micro-dollars -> `$1,234.56`, rounded to the cent half away from zero; a negative amount gets
 * a leading minus (`-$1,234.56`); an amount that rounds to zero cents is `$0.00`, never `-$0.00`.
 */
export function formatUsd(micros: MoneyMicros): string {
  requireInteger("money", micros);
  const abs = Math.abs(micros);
  const cents = Math.floor((abs + MICROS_PER_CENT / 2) / MICROS_PER_CENT);
  const dollars = Math.floor(cents / 100);
  const rest = String(cents - dollars * 100).padStart(2, "0");
  const sign = micros < 0 && cents > 0 ? "-" : "";
  return `${sign}$${groupThousands(String(dollars))}.${rest}`;
}

/**
 * `numerator / denominator` as a percentage to one decimal (`12.3%`), rounded half away from zero,
 * exactly (BigInt). Null when the denominator is zero.
 */
export function percentTenths(numerator: number, denominator: number): number | null {
  requireInteger("numerator", numerator);
  requireInteger("denominator", denominator);
  if (denominator === 0) return null;
  const n = BigInt(numerator) * 1000n;
  const d = BigInt(denominator);
  const neg = n < 0n !== d < 0n && n !== 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (2n * an + ad) / (2n * ad);
  return Number(neg ? -q : q);
}

/** Tenths of a percent -> `12.3%` (`-0.5%`); null -> `n/a`. */
export function formatTenthsPct(tenths: number | null): string {
  if (tenths === null) return "n/a";
  requireInteger("percentage", tenths);
  const abs = Math.abs(tenths);
  const sign = tenths < 0 ? "-" : "";
  return `${sign}${Math.floor(abs / 10)}.${abs % 10}%`;
}

/** `numerator / denominator` -> `12.3%` or `n/a`. */
export function formatPercent(numerator: number, denominator: number): string {
  return formatTenthsPct(percentTenths(numerator, denominator));
}

/** Price units -> dollars with 2 to 4 decimals: 5600 -> `$0.56`, 5625 -> `$0.5625`. */
export function formatPriceUsd(p: PriceUnits): string {
  requireInteger("price", p);
  const sign = p < 0 ? "-" : "";
  const abs = Math.abs(p);
  const whole = Math.floor(abs / PRICE_SCALE);
  let frac = String(abs - whole * PRICE_SCALE).padStart(4, "0");
  while (frac.length > 2 && frac.endsWith("0")) frac = frac.slice(0, -1);
  return `${sign}$${whole}.${frac}`;
}

/** Count units -> contracts: 1000 -> `10`, 1050 -> `10.50`, 1234500 -> `12,345`. */
export function formatContracts(c: CountUnits): string {
  requireInteger("count", c);
  const sign = c < 0 ? "-" : "";
  const abs = Math.abs(c);
  const whole = Math.floor(abs / COUNT_SCALE);
  const frac = abs - whole * COUNT_SCALE;
  const head = `${sign}${groupThousands(String(whole))}`;
  return frac === 0 ? head : `${head}.${String(frac).padStart(2, "0")}`;
}

/**
 * One of a breaker's figures as `[label, text]`. By convention a key ending in `Micros` holds
 * micro-dollars and is shown as money without the suffix (`dayPnlMicros` -> `dayPnl`, `-$51.00`);
 * any other value is shown as the number it is.
 */
export function formatFigure(key: string, value: number): [string, string] {
  if (key.endsWith("Micros") && key.length > 6 && Number.isSafeInteger(value)) {
    return [key.slice(0, -6), formatUsd(value)];
  }
  return [key, String(value)];
}

/** `HH:MM` on the wall clock of `timeZone`. */
export function formatLocalTime(ms: number, timeZone: string): string {
  const m = wallClockOf(ms, timeZone).minutes;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** `YYYY-MM-DD HH:MM` on the wall clock of `timeZone`. */
export function formatLocalDateTime(ms: number, timeZone: string): string {
  return `${wallClockOf(ms, timeZone).day} ${formatLocalTime(ms, timeZone)}`;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** One line for a plain-text body or a subject: control characters (CR, LF, ...) become spaces. */
export function oneLine(s: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
