/**
 * Alert emails: `renderAlert(alert, opts) -> { subject, html, text }`, pure, so a retried send
 * carries the same body. Each kind says what happened, what it means for trading and what the
 * trader may do; when alerts of the kind were merged into it (de-duplicated or rate-limited since
 * the kind's previous email), their counts per key follow. Called by the alert job.
 */
import type { Alert, SuppressedCount } from "./alerts.ts";
import { SEVERITY } from "./alerts.ts";
import {
  BAD,
  type Cell,
  dataTable,
  emailDocument,
  FONT,
  figures,
  INK,
  paragraph,
  type RenderedEmail,
  RULE,
  section,
} from "./email-html.ts";
import {
  escapeHtml,
  formatContracts,
  formatFigure,
  formatLocalDateTime,
  formatLocalTime,
  formatPriceUsd,
  formatUsd,
  oneLine,
} from "./format.ts";

export interface RenderAlertOptions {
  /** The account's name, shown in the subject. */
  account?: string;
  /** Zone of the times shown; default America/New_York. */
  timeZone?: string;
  /** Every alert of this kind since its previous email, per key, this one included. */
  merged?: readonly SuppressedCount[];
}

interface Parts {
  headline: string;
  /** What it means for trading, and what to do. */
  meaning: string;
  details: [string, string][];
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function partsOf(a: Alert): Parts {
  switch (a.kind) {
    case "breaker_trip":
      return {
        headline: `breaker ${a.breaker} tripped, trading ${a.tradingState}`,
        meaning:
          a.tradingState === "halted"
            ? "New entries are stopped and working entry orders cancelled; exits stay protected. Trading stays halted until the breaker clears or you resume it through the admin API."
            : "New entries are stopped; only exits are placed until the breaker clears or you resume through the admin API.",
        details: [["Reason", a.reason], ...Object.entries(a.numbers).map(([k, v]) => formatFigure(k, v))],
      };
    case "resume":
      return {
        headline: `trading ${a.tradingState} again (${a.what})`,
        meaning: "The condition that stopped entries has cleared.",
        details: [["Detail", a.detail]],
      };
    case "position_opened":
      return {
        headline: `opened ${a.side.toUpperCase()} ${formatContracts(a.contracts)} ${a.ticker} at ${formatPriceUsd(a.avgEntry)}`,
        meaning: "A new position; it is kept with a take-profit and a stop.",
        details: [
          ["Market", a.ticker],
          ["Side", a.side.toUpperCase()],
          ["Contracts", formatContracts(a.contracts)],
          ["Average entry", formatPriceUsd(a.avgEntry)],
          ["Cost", formatUsd(a.cost)],
        ],
      };
    case "position_closed": {
      const t = a.roundTrip;
      return {
        headline: `closed ${t.ticker} ${t.side.toUpperCase()} ${formatContracts(t.contracts)}: net ${formatUsd(t.pnl)}`,
        meaning: `The round trip ended (${t.reason}).`,
        details: [
          ["Market", t.ticker],
          ["Side", t.side.toUpperCase()],
          ["Contracts", formatContracts(t.contracts)],
          ["Entry -> exit", `${formatPriceUsd(t.avgEntry)} -> ${formatPriceUsd(t.avgExit)}`],
          ["Exit reason", t.reason],
          ["Fees", formatUsd(t.fees)],
          ["Net P&L", formatUsd(t.pnl)],
        ],
      };
    }
    case "recon_difference":
      return {
        headline: `reconciliation difference ${a.diffKind}${a.ticker ? ` on ${a.ticker}` : ""}`,
        meaning: a.blocksEntries
          ? "The journal and the exchange disagree in a way the bot cannot explain: entries are blocked until you acknowledge the difference through the admin API."
          : "The journal and the exchange disagreed; the exchange's view was adopted.",
        details: [
          ["Kind", a.diffKind],
          ["Market", a.ticker ?? "-"],
          ["Detail", a.detail],
        ],
      };
    case "feed_loss":
      return {
        headline: `market data lost for ${seconds(a.silentMs)}`,
        meaning:
          "No new position is opened while the feed is down; open positions keep their exits. The bot reconnects by itself.",
        details: [
          ["Silent for", seconds(a.silentMs)],
          ["Reason", a.reason],
        ],
      };
    case "outbox_near_bound":
      return {
        headline: `history outbox at ${a.rows} of ${a.bound} rows`,
        meaning:
          "History is not reaching Supabase as fast as it is written. Trading goes on; check that Supabase is reachable and its keys are set.",
        details: [
          ["Rows waiting", String(a.rows)],
          ["Bound", String(a.bound)],
        ],
      };
    case "critical_error":
      return {
        headline: `critical error in ${a.where}`,
        meaning:
          "Something failed that the bot could not handle by itself; look at the logs and the dashboard.",
        details: [
          ["Where", a.where],
          ["Error", a.message],
        ],
      };
  }
}

function mergedLines(merged: readonly SuppressedCount[], tz: string): string[] {
  return merged.map(
    (m) =>
      `${m.key} x${m.count} (${m.count === 1 ? formatLocalTime(m.firstMs, tz) : `${formatLocalTime(m.firstMs, tz)} to ${formatLocalTime(m.lastMs, tz)}`})`,
  );
}

/** The email for one alert (and the alerts merged into it). */
export function renderAlert(alert: Alert, opts: RenderAlertOptions = {}): RenderedEmail {
  const tz = opts.timeZone ?? "America/New_York";
  const merged = opts.merged ?? [];
  const severity = SEVERITY[alert.kind].toUpperCase();
  const p = partsOf(alert);
  const account = opts.account ? ` ${oneLine(opts.account, 60)}` : "";
  const total = merged.reduce((s, m) => s + m.count, 0);
  const more = total > 1 ? ` (+${total - 1} more)` : "";
  const subject = oneLine(`[${severity}] Kalshi bot${account}: ${p.headline}${more}`, 200);
  const when = formatLocalDateTime(alert.atMs, tz);
  const details: [string, string][] = [["When", `${when} (${tz})`], ...p.details];

  const rows = [
    `<tr><td style="padding:20px 24px 8px 24px;${FONT}border-bottom:1px solid ${RULE};">` +
      `<h1 style="margin:0;${FONT}font-size:18px;line-height:24px;color:${severity === "CRITICAL" ? BAD : INK};">${severity}: ${escapeHtml(p.headline)}</h1>` +
      "</td></tr>",
    section("What it means", paragraph(p.meaning)),
    section("Details", figures(details.map(([k, v]): readonly [string, Cell] => [k, { text: v }]))),
  ];
  const countsTitle = `${total} ${alert.kind} alerts since the previous one emailed`;
  if (total > 1) {
    rows.push(
      section(
        countsTitle,
        dataTable(
          [{ text: "Key" }, { text: "Count", align: "right" }, { text: "First" }, { text: "Last" }],
          merged.map((m): Cell[] => [
            { text: m.key },
            { text: String(m.count), align: "right" },
            { text: formatLocalTime(m.firstMs, tz) },
            { text: formatLocalTime(m.lastMs, tz) },
          ]),
        ),
      ),
    );
  }
  const html = emailDocument(subject, p.meaning, rows.join("\n"));

  const text = [
    `${severity}: ${oneLine(p.headline, 300)}`,
    "",
    oneLine(p.meaning, 1000),
    "",
    ...details.map(([k, v]) => `${k}: ${oneLine(v, 500)}`),
    ...(total > 1
      ? ["", `${countsTitle}:`, ...mergedLines(merged, tz).map((l) => `  ${oneLine(l, 300)}`)]
      : []),
    "",
    `Sent by the Kalshi trading bot${account}. Times are ${tz}.`,
    "",
  ].join("\n");
  return { subject, html, text };
}
