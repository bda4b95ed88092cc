/**
 * The admin API's trust boundary: zod schemas for every request body and query string, and the
 * conversion of a manual order body into the domain `Intent` (integer units, parsed once with
 * `shared/kalshi/units.ts`). The routes in `app.ts` validate with `@hono/zod-validator`; a failed
 * parse becomes a 400 with field-level errors (`errors.ts`).
 */
import { z } from "zod";
import type { Intent } from "../../shared/domain.ts";
import {
  COUNT_SCALE,
  FixedPointError,
  PRICE_SCALE,
  parseCount,
  parsePrice,
} from "../../shared/kalshi/units.ts";
import { MARKET_TICKER_RE } from "../../shared/kalshi/wire-fields.ts";
import { HISTORY_TABLES } from "../history/rows.ts";

const Ticker = z
  .string()
  .min(1)
  .max(100)
  .regex(MARKET_TICKER_RE, "a Kalshi market ticker: upper-case letters, digits, '.' and '-'");

/**
 * A limit price: a dollar string with up to 4 decimals (`"0.9100"`, `"0.91"`) or integer units of
 * $0.0001 (`9100`). Strictly between $0 and $1: nothing trades at either end.
 */
export const PriceInput = z.union([z.string(), z.number()]).transform((v, ctx): number => {
  let units: number;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) {
      ctx.addIssue({
        code: "custom",
        message: "integer units of $0.0001 (9100 = $0.91), or a dollar string",
      });
      return z.NEVER;
    }
    units = v;
  } else {
    try {
      units = parsePrice(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: e instanceof FixedPointError ? e.message : "not a price" });
      return z.NEVER;
    }
  }
  if (units <= 0 || units >= PRICE_SCALE) {
    ctx.addIssue({ code: "custom", message: "price must be above $0 and below $1 (1 to 9999 units)" });
    return z.NEVER;
  }
  return units;
});

/** Contracts as a string with up to 2 decimals (`"2"`, `"2.00"`, `"0.50"`); more than zero. */
export const CountInput = z.string().transform((v, ctx): number => {
  let units: number;
  try {
    units = parseCount(v);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: e instanceof FixedPointError ? e.message : "not a count" });
    return z.NEVER;
  }
  if (units <= 0) {
    ctx.addIssue({
      code: "custom",
      message: `count must be more than 0 (1/${COUNT_SCALE} contract at least)`,
    });
    return z.NEVER;
  }
  return units;
});

/** An instant: ISO 8601 with an offset (`2026-11-23T15:00:00Z`) or Unix milliseconds. */
export const InstantInput = z.union([
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  z.int().positive(),
]);

export const TimeInForceInput = z.enum(["good_till_canceled", "immediate_or_cancel", "fill_or_kill"]);

/** `POST /api/orders`: a manual order, in Kalshi's words (snake_case) and units. */
export const ManualOrderBody = z
  .strictObject({
    ticker: Ticker,
    side: z.enum(["yes", "no"]),
    action: z.enum(["buy", "sell"]),
    price: PriceInput,
    count: CountInput,
    time_in_force: TimeInForceInput.default("good_till_canceled"),
    post_only: z.boolean().default(false),
    reduce_only: z.boolean().default(false),
    expiration: InstantInput.nullable().default(null),
  })
  .refine((b) => b.expiration === null || b.time_in_force === "good_till_canceled", {
    message: "an expiration needs time_in_force good_till_canceled (Kalshi refuses it on IOC and FOK)",
    path: ["expiration"],
  });
export type ManualOrderBody = z.infer<typeof ManualOrderBody>;

/** The domain intent of a validated manual order. The account decides whether it is an exit. */
export function manualIntent(b: ManualOrderBody): Intent {
  return {
    ticker: b.ticker,
    side: b.side,
    action: b.action,
    price: b.price,
    count: b.count,
    purpose: "manual",
    tif: b.time_in_force,
    postOnly: b.post_only,
    reduceOnly: b.reduce_only,
    expirationMs: b.expiration,
    positionId: null,
    reason: "admin",
  };
}

/** `POST /api/halt`. */
export const HaltBody = z.strictObject({
  reason: z.string().trim().min(1, "say why trading is halted").max(300),
});

/** `POST /api/report/send`. */
export const ReportSendBody = z.strictObject({
  day: z.iso.date().optional(),
});

/** `PATCH /api/config`: any JSON object; the account merges it and validates the whole document. */
export const ConfigPatchBody = z.record(z.string(), z.unknown());

const LimitParam = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);
const MsParam = z.coerce.number().int().min(0);

/** `?limit&before` (before: Unix ms, exclusive) for orders and trades. */
export const PageQuery = z.strictObject({
  limit: LimitParam(500, 100),
  before: MsParam.optional(),
});

export const PnlQuery = z.strictObject({ days: LimitParam(366, 30) });

export const ReconQuery = z.strictObject({
  open: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .default(false),
});

export const HistoryParams = z.strictObject({ table: z.enum(HISTORY_TABLES) });

export const HistoryQuery = z
  .strictObject({
    since: MsParam.optional(),
    until: MsParam.optional(),
    cursor: z.string().min(1).max(500).optional(),
    limit: LimitParam(500, 50),
  })
  .refine((q) => q.since === undefined || q.until === undefined || q.since < q.until, {
    message: "since must be before until",
    path: ["since"],
  });

export const ReportsQuery = z.strictObject({
  day: z.iso.date().optional(),
  limit: LimitParam(500, 30),
});

/** `:id` of an order (the journal's intent id) or a reconciliation difference. */
export const IdParam = z.strictObject({ id: z.string().min(1).max(200) });

export const TickerParam = z.strictObject({ ticker: Ticker });
