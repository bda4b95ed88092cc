/**
 * Notification settings, parsed with zod at the config boundary: `AlertConfig` (which alerts go
 * out, to whom, how often per kind), `ReportConfig` (whether and when the daily report goes out,
 * in which time zone) and `mailSettings(env)` (the Resend key and the addresses from the
 * Worker's env). Defaults are documented on each field and in docs/notifications.md. Read by the
 * account object and the notification jobs.
 */
import { z } from "zod";
import { isValidTimeZone, LOCAL_TIME_RE } from "./trading-day.ts";

export const ALERT_KINDS = [
  "breaker_trip",
  "resume",
  "position_opened",
  "position_closed",
  "recon_difference",
  "feed_loss",
  "outbox_near_bound",
  "critical_error",
] as const;
export const AlertKind = z.enum(ALERT_KINDS);
export type AlertKind = z.infer<typeof AlertKind>;

export const DEFAULT_ALERT_WINDOW_MS = 300_000;
const DAY_MS = 86_400_000;
/** Resend accepts at most 50 recipients per email. */
export const MAX_RECIPIENTS = 50;

/** A bare address: `ops@example.com`. */
export const EmailAddress = z
  .string()
  .trim()
  .max(320)
  .regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".]+$/, "not an email address");

/** A sender as Resend takes it: `bot@example.com` or `Kalshi bot <bot@example.com>`. */
export const Sender = z
  .string()
  .trim()
  .max(400)
  .refine((s) => {
    const m = /^([^<>]*)<([^<>]+)>$/.exec(s);
    const address = m === null ? s : (m[2] as string);
    return EmailAddress.safeParse(address).success;
  }, "not a sender address (`bot@example.com` or `Name <bot@example.com>`)");

/** Recipients: an array, or one string with addresses separated by commas (the env var form). */
export const Recipients = z.preprocess(
  (v) =>
    typeof v === "string"
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : v,
  z.array(EmailAddress).max(MAX_RECIPIENTS),
);

export const AlertKindOverride = z.strictObject({
  /** false = never send this kind (it is not counted either). Default: enabled. */
  enabled: z.boolean().optional(),
  /** Rate-limit window of this kind; 0 = every alert goes out. Default: `perKindWindowMs`. */
  windowMs: z.number().int().min(0).max(DAY_MS).optional(),
});
export type AlertKindOverride = z.infer<typeof AlertKindOverride>;

export const AlertConfig = z.strictObject({
  /** Master switch. Default true. */
  enabled: z.boolean().default(true),
  /** Recipients; default: REPORT_EMAIL_TO. */
  to: Recipients.optional(),
  /** Sender; default: REPORT_EMAIL_FROM. */
  from: Sender.optional(),
  /** At most one email per kind per this window; the rest are counted into the next. Default 300 000 (5 min). */
  perKindWindowMs: z.number().int().min(0).max(DAY_MS).default(DEFAULT_ALERT_WINDOW_MS),
  /** Per-kind overrides, e.g. `{ position_opened: { enabled: false } }`. Default none. */
  perKind: z.partialRecord(AlertKind, AlertKindOverride).default({}),
});
export type AlertConfig = z.infer<typeof AlertConfig>;

export const DEFAULT_TIME_ZONE = "America/New_York";
export const DEFAULT_REPORT_SEND_AT = "07:00";

export const TimeZone = z
  .string()
  .refine(isValidTimeZone, "not an IANA time zone (such as America/New_York)");

export const ReportConfig = z.strictObject({
  /** Default true. */
  enabled: z.boolean().default(true),
  /**
   * Local time (HH:MM, 24 h) after which the report of the previous trading day is sent.
   * Default "07:00".
   */
  sendAtLocalTime: z
    .string()
    .regex(LOCAL_TIME_RE, "not a local time HH:MM (00:00 to 23:59)")
    .default(DEFAULT_REPORT_SEND_AT),
  /** The zone of the trading day and of every time in the emails. Default America/New_York. */
  timeZone: TimeZone.default(DEFAULT_TIME_ZONE),
  /** Recipients; default: REPORT_EMAIL_TO. */
  to: Recipients.optional(),
  /** Sender; default: REPORT_EMAIL_FROM. */
  from: Sender.optional(),
});
export type ReportConfig = z.infer<typeof ReportConfig>;

/** The env the mail settings come from (secrets and vars of the Worker). */
export const MailEnv = z.object({
  RESEND_API_KEY: z.string().optional(),
  REPORT_EMAIL_FROM: z.string().optional(),
  REPORT_EMAIL_TO: z.string().optional(),
  /** Only for local runs and tests (the Resend stand-in); unset in production. */
  RESEND_BASE_URL: z.string().optional(),
});
export type MailEnv = z.infer<typeof MailEnv>;

/** What a send needs besides the message. */
export interface MailSettings {
  apiKey: string;
  from: string;
  to: string[];
  baseUrl: string | undefined;
}

export type MailSettingsResult = { ok: true; settings: MailSettings } | { ok: false; reason: string };

/**
 * Mail settings from the env, with the config's `to` / `from` taking precedence. Not ok (with a
 * reason that never contains the key) when the key, the sender or every recipient is missing or
 * malformed: notifications are then off, and nothing else is affected.
 */
export function mailSettings(
  env: unknown,
  override: { to?: string[]; from?: string } = {},
): MailSettingsResult {
  const e = MailEnv.safeParse(env);
  if (!e.success) return { ok: false, reason: "mail env is not an object of strings" };
  const apiKey = e.data.RESEND_API_KEY?.trim() ?? "";
  if (apiKey.length === 0) return { ok: false, reason: "RESEND_API_KEY is not set" };
  const from = Sender.safeParse(override.from ?? e.data.REPORT_EMAIL_FROM ?? "");
  if (!from.success) return { ok: false, reason: "REPORT_EMAIL_FROM is not a sender address" };
  const to = Recipients.safeParse(override.to ?? e.data.REPORT_EMAIL_TO ?? "");
  if (!to.success)
    return { ok: false, reason: "REPORT_EMAIL_TO has an address that is not valid (or more than 50)" };
  if (to.data.length === 0) return { ok: false, reason: "REPORT_EMAIL_TO is empty" };
  let baseUrl: string | undefined;
  const raw = e.data.RESEND_BASE_URL?.trim();
  if (raw) {
    if (!URL.canParse(raw)) return { ok: false, reason: "RESEND_BASE_URL is not a URL" };
    baseUrl = raw;
  }
  return { ok: true, settings: { apiKey, from: from.data, to: to.data, baseUrl } };
}

/** The window of `kind` under `cfg`. */
export function windowOf(cfg: AlertConfig, kind: AlertKind): number {
  return cfg.perKind[kind]?.windowMs ?? cfg.perKindWindowMs;
}

/** Whether `kind` is sent at all under `cfg`. */
export function kindEnabled(cfg: AlertConfig, kind: AlertKind): boolean {
  return cfg.enabled && cfg.perKind[kind]?.enabled !== false;
}
