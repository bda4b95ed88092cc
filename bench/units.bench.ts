/**
 * Cost of the fixed-point layer on the hot path: parsing a realistic mix of Kalshi price,
 * count and money strings (as they arrive in orderbook deltas, fills and positions), the
 * throwing parsers used at REST boundaries, the formatters used to build orders, and
 * snapping an order price to a tapered tick grid.
 */

import {
  parseTickGrid,
  priceRangesForStructure,
  snapForBuy,
  snapForSell,
} from "../shared/kalshi/tick-grid.ts";
import {
  fixedOrNaN,
  formatCount,
  formatMoney,
  formatPrice,
  MAX_COUNT,
  MAX_MONEY,
  PRICE_SCALE,
  parseCount,
  parseMoney,
  parsePrice,
} from "../shared/kalshi/units.ts";
import { atMost, timeSync } from "./harness.ts";
import type { BenchResult } from "./types.ts";

const PRICE = 0;
const COUNT = 1;
const MONEY = 2;
const MIX_SIZE = 3000;

/** Deterministic pseudo-random integers (LCG), so every run parses the same strings. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s % n;
  };
}

/**
 * Half prices (`"0.5600"`, the bulk of orderbook traffic), a third counts (`"125.00"`, and
 * fractional `"0.37"`), the rest money (`"12.345600"`, signed P&L `"-3.210000"`), in the
 * fixed widths Kalshi sends.
 */
function buildMix(): { strings: string[]; kinds: Uint8Array } {
  const rnd = lcg(42);
  const strings: string[] = [];
  const kinds = new Uint8Array(MIX_SIZE);
  for (let i = 0; i < MIX_SIZE; i++) {
    const pick = rnd(6);
    if (pick < 3) {
      kinds[i] = PRICE;
      strings.push(formatPrice(1 + rnd(PRICE_SCALE - 1)));
    } else if (pick < 5) {
      kinds[i] = COUNT;
      strings.push(formatCount(rnd(2) === 0 ? 100 * (1 + rnd(500)) : 1 + rnd(100_000)));
    } else {
      kinds[i] = MONEY;
      strings.push(formatMoney((rnd(4) === 0 ? -1 : 1) * rnd(50_000_000)));
    }
  }
  return { strings, kinds };
}

export default async function run(): Promise<BenchResult[]> {
  const { strings, kinds } = buildMix();
  const values = strings.map((s, i) =>
    kinds[i] === PRICE ? parsePrice(s) : kinds[i] === COUNT ? parseCount(s) : parseMoney(s),
  );

  const hot = timeSync(
    () => {
      let acc = 0;
      for (let i = 0; i < MIX_SIZE; i++) {
        const s = strings[i] as string;
        const k = kinds[i];
        acc +=
          k === PRICE
            ? fixedOrNaN(s, 4, false, PRICE_SCALE)
            : k === COUNT
              ? fixedOrNaN(s, 2, false, MAX_COUNT)
              : fixedOrNaN(s, 6, true, MAX_MONEY);
      }
      return acc;
    },
    { itemsPerCall: MIX_SIZE },
  );

  const boundary = timeSync(
    () => {
      let acc = 0;
      for (let i = 0; i < MIX_SIZE; i++) {
        const s = strings[i] as string;
        const k = kinds[i];
        acc += k === PRICE ? parsePrice(s) : k === COUNT ? parseCount(s) : parseMoney(s);
      }
      return acc;
    },
    { itemsPerCall: MIX_SIZE },
  );

  const format = timeSync(
    () => {
      let len = 0;
      for (let i = 0; i < MIX_SIZE; i++) {
        const v = values[i] as number;
        const k = kinds[i];
        len += (k === PRICE ? formatPrice(v) : k === COUNT ? formatCount(v) : formatMoney(v)).length;
      }
      return len;
    },
    { itemsPerCall: MIX_SIZE },
  );

  const ranges = priceRangesForStructure("tapered_deci_cent");
  if (ranges === null) throw new Error("tapered_deci_cent has no price_ranges");
  const grid = parseTickGrid(ranges);
  const snap = timeSync(
    () => {
      let acc = 0;
      for (let p = 1; p < PRICE_SCALE; p += 3)
        acc += (snapForBuy(grid, p) ?? 0) + (snapForSell(grid, p) ?? 0);
      return acc;
    },
    { itemsPerCall: 2 * Math.ceil((PRICE_SCALE - 1) / 3) },
  );

  // Measured on the idle 2-core dev machine: about 30-40, 40-50, 55-70 and 17-30 ns; with
  // other test runs competing for the cores, up to 2-5x that (wall-clock timing). Budgets sit
  // above the loaded figures, to catch regressions of kind (an allocation, a regex, a float
  // detour), not noise.
  return [
    atMost("fixedOrNaN, mixed price/count/money strings", hot.nsPerItem, "ns/value", 200),
    atMost("parsePrice/Count/Money (throwing), same mix", boundary.nsPerItem, "ns/value", 300),
    atMost("formatPrice/Count/Money, same mix", format.nsPerItem, "ns/value", 600),
    atMost("snapForBuy/snapForSell, tapered_deci_cent", snap.nsPerItem, "ns/snap", 150),
  ];
}
