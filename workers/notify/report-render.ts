/**
 * The daily report email: `renderDailyReport(data) -> { subject, html, text }`, a pure function
 * of the day's figures (`report-data.ts`), so a retried send carries the same body. The equity
 * curve is drawn with table cells (bars are cells with a height and a background colour), since
 * Gmail and Outlook render neither SVG nor canvas and the email must need no images or scripts.
 * The text part carries the same figures. Called by the report job.
 */
import {
  BAD,
  type Cell,
  dataTable,
  emailDocument,
  FONT,
  figures,
  GOOD,
  MUTED,
  paragraph,
  type RenderedEmail,
  RULE,
  section,
  signColor,
} from "./email-html.ts";
import {
  formatContracts,
  formatFigure,
  formatLocalDateTime,
  formatLocalTime,
  formatPriceUsd,
  formatTenthsPct,
  formatUsd,
  oneLine,
} from "./format.ts";
import type { DailyReportData, EquityPoint, MarketSummary, RoundTripLine } from "./report-data.ts";

/** Bars in the HTML chart: 72 slots of about 20 minutes, 8 px wide, 576 px in all. */
export const CHART_SLOTS = 72;
const BAR_WIDTH_PX = 8;
/** Height of each half of the chart (above and below the start-of-day line). */
const HALF_HEIGHT_PX = 48;
/** Slots in the plain-text sparkline (30 minutes each). */
const SPARK_SLOTS = 48;
const SPARK_CHARS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;
/**
 * Rows listed one by one in each table; the rest are counted. Together they keep the HTML under
 * Gmail's 102 KB clipping limit on the busiest day.
 */
export const MAX_LISTED_ROUND_TRIPS = 20;
export const MAX_LISTED_ROWS = 10;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The last snapshot in each of `slots` equal slices of the day; null where a slice has none. */
export function slotValues(
  points: readonly EquityPoint[],
  startMs: number,
  endMs: number,
  slots: number,
): (number | null)[] {
  const out: (number | null)[] = new Array(slots).fill(null);
  const span = endMs - startMs;
  for (const p of points) {
    if (p.atMs < startMs || p.atMs >= endMs) continue;
    const i = Math.min(slots - 1, Math.floor(((p.atMs - startMs) * slots) / span));
    out[i] = p.equity; // points are in time order, so the last one wins
  }
  return out;
}

/** Bar heights in px for changes from `base`: positive above the line, negative below. */
export function barHeights(
  values: readonly (number | null)[],
  base: number,
  halfPx: number,
): (number | null)[] {
  let maxAbs = 0;
  for (const v of values) if (v !== null) maxAbs = Math.max(maxAbs, Math.abs(v - base));
  return values.map((v) => {
    if (v === null) return null;
    const d = v - base;
    if (d === 0 || maxAbs === 0) return 0;
    const h = Math.max(1, Math.round((Math.abs(d) * halfPx) / maxAbs));
    return d > 0 ? h : -h;
  });
}

// Markup kept small: 72 columns x 2 rows, and Gmail clips a message past 102 KB.
function bar(heightPx: number, color: string): string {
  return `<table role="presentation" width="${BAR_WIDTH_PX}" cellpadding="0" cellspacing="0" border="0"><tr><td height="${heightPx}" bgcolor="${color}" style="height:${heightPx}px;background-color:${color};font-size:0;line-height:0;"></td></tr></table>`;
}

function chartCell(valign: "top" | "bottom", inner: string): string {
  return `<td width="${BAR_WIDTH_PX}" height="${HALF_HEIGHT_PX}" valign="${valign}" style="height:${HALF_HEIGHT_PX}px;font-size:0;line-height:0;">${inner}</td>`;
}

/** The equity curve as a table: change from the start of day, green above the line, red below. */
export function equityChartHtml(data: DailyReportData): string {
  const eq = data.equity;
  const base = eq.start ?? eq.points[0]?.equity ?? null;
  if (eq.points.length === 0 || base === null) {
    return paragraph("No account snapshots were recorded for this day.", MUTED);
  }
  const heights = barHeights(
    slotValues(eq.points, data.startMs, data.endMs, CHART_SLOTS),
    base,
    HALF_HEIGHT_PX,
  );
  const up = heights.map((h) => chartCell("bottom", h !== null && h > 0 ? bar(h, GOOD) : "")).join("");
  const down = heights.map((h) => chartCell("top", h !== null && h < 0 ? bar(-h, BAD) : "")).join("");
  const quarter = CHART_SLOTS / 4;
  const span = data.endMs - data.startMs;
  const labels = [0, 1, 2, 3]
    .map((q) => {
      const at = data.startMs + Math.floor((span * q) / 4);
      return `<td colspan="${quarter}" align="left" style="padding:2px 0 0 0;${FONT}font-size:11px;line-height:14px;color:${MUTED};">${formatLocalTime(at, data.timeZone)}</td>`;
    })
    .join("");
  const width = CHART_SLOTS * BAR_WIDTH_PX;
  return [
    `<table role="presentation" width="${width}" cellpadding="0" cellspacing="0" border="0" style="width:${width}px;border-collapse:collapse;">`,
    `<tr>${up}</tr>`,
    `<tr><td colspan="${CHART_SLOTS}" height="1" bgcolor="${MUTED}" style="height:1px;background-color:${MUTED};font-size:0;line-height:0;"></td></tr>`,
    `<tr>${down}</tr>`,
    `<tr>${labels}</tr>`,
    "</table>",
    paragraph(
      `Change from the start-of-day equity (${formatUsd(base)}); each bar is the last snapshot in about 20 minutes. ` +
        `High ${eq.high === null ? "n/a" : formatUsd(eq.high)}, low ${eq.low === null ? "n/a" : formatUsd(eq.low)}.`,
      MUTED,
    ),
  ].join("\n");
}

/** The curve as a one-line text sparkline (low to high of the day), `·` where no snapshot. */
export function equitySparkline(data: DailyReportData): string {
  const values = slotValues(data.equity.points, data.startMs, data.endMs, SPARK_SLOTS);
  let lo: number | null = null;
  let hi: number | null = null;
  for (const v of values) {
    if (v === null) continue;
    if (lo === null || v < lo) lo = v;
    if (hi === null || v > hi) hi = v;
  }
  return values
    .map((v) => {
      if (v === null || lo === null || hi === null) return "·";
      if (hi === lo) return SPARK_CHARS[3];
      const i = Math.min(7, Math.floor(((v - lo) * 8) / (hi - lo)));
      return SPARK_CHARS[i];
    })
    .join("");
}

function money(v: number, bold = false): Cell {
  return { text: formatUsd(v), align: "right", color: signColor(v), bold };
}

function marketRows(ms: readonly MarketSummary[]): Cell[][] {
  return ms.map((m) => [
    { text: m.ticker },
    { text: String(m.roundTrips), align: "right" },
    { text: `${m.wins}/${m.losses}`, align: "right" },
    { text: formatUsd(m.fees), align: "right" },
    money(m.net),
  ]);
}

const MARKET_HEADER: Cell[] = [
  { text: "Market" },
  { text: "Round trips", align: "right" },
  { text: "Won/lost", align: "right" },
  { text: "Fees", align: "right" },
  { text: "Net P&L", align: "right" },
];

function tripTimes(t: RoundTripLine, tz: string): string {
  return `${formatLocalTime(t.openedMs, tz)}-${formatLocalTime(t.closedMs, tz)}`;
}

type BreakerTrip = DailyReportData["breakerTrips"][number];

function breakerWhy(b: BreakerTrip): string {
  const nums = Object.entries(b.numbers)
    .map(([k, v]) => formatFigure(k, v).join("="))
    .join(", ");
  return `${b.reason}${nums ? ` (${nums})` : ""}`;
}

export function reportSubject(d: DailyReportData): string {
  const trips = plural(d.roundTripCount, "round trip");
  const breakers = d.breakerTrips.length > 0 ? `, ${plural(d.breakerTrips.length, "breaker trip")}` : "";
  return oneLine(`Kalshi bot ${d.account} ${d.day}: P&L ${formatUsd(d.pnl.net)}, ${trips}${breakers}`, 200);
}

function summaryFigures(d: DailyReportData): (readonly [string, Cell])[] {
  const e = d.equity;
  const rows: (readonly [string, Cell])[] = [
    ["P&L, net of fees", money(d.pnl.net, true)],
    ["Gross P&L", money(d.pnl.gross)],
    ["Fees on these round trips", { text: formatUsd(d.pnl.fees) }],
    [`Fees paid today (${plural(d.fillCount, "fill")})`, { text: formatUsd(d.feesPaid) }],
    ["Round trips", { text: String(d.roundTripCount) }],
    ["Wins / losses / scratches", { text: `${d.wins} / ${d.losses} / ${d.scratches}` }],
    ["Win rate", { text: formatTenthsPct(d.winRateTenthsPct) }],
  ];
  if (e.start !== null && e.end !== null && e.change !== null) {
    rows.push(["Equity at start", { text: formatUsd(e.start) }]);
    rows.push(["Equity at end", { text: formatUsd(e.end) }]);
    rows.push([
      "Equity change",
      { text: `${formatUsd(e.change)} (${formatTenthsPct(e.changeTenthsPct)})`, color: signColor(e.change) },
    ]);
    rows.push(["Largest drawdown", { text: formatUsd(e.maxDrawdown) }]);
  }
  return rows;
}

/** A titled list shown as a table in HTML and as lines in text, capped at `max` rows. */
interface ListSection {
  title: string;
  /** Shown when there are no rows; null = leave the section out. */
  empty: string | null;
  header: Cell[];
  rows: Cell[][];
  max: number;
  noun: string;
}

function listSections(d: DailyReportData): ListSection[] {
  const tz = d.timeZone;
  return [
    {
      title: "Best markets",
      empty: null,
      header: MARKET_HEADER,
      rows: marketRows(d.best),
      max: MAX_LISTED_ROWS,
      noun: "market",
    },
    {
      title: "Worst markets",
      empty: null,
      header: MARKET_HEADER,
      rows: marketRows(d.worst),
      max: MAX_LISTED_ROWS,
      noun: "market",
    },
    {
      title: "Round trips",
      empty: "No round trip closed today.",
      header: [
        { text: "Held" },
        { text: "Market" },
        { text: "Contracts", align: "right" },
        { text: "Entry -> exit", align: "right" },
        { text: "Exit" },
        { text: "Fees", align: "right" },
        { text: "Net", align: "right" },
      ],
      rows: d.roundTrips.map((t): Cell[] => [
        { text: tripTimes(t, tz) },
        { text: t.ticker },
        { text: `${t.side.toUpperCase()} ${formatContracts(t.contracts)}`, align: "right" },
        { text: `${formatPriceUsd(t.avgEntry)} -> ${formatPriceUsd(t.avgExit)}`, align: "right" },
        { text: t.reason },
        { text: formatUsd(t.fees), align: "right" },
        money(t.net),
      ]),
      max: MAX_LISTED_ROUND_TRIPS,
      noun: "round trip",
    },
    {
      title: "Circuit breakers",
      empty: "No breaker tripped.",
      header: [{ text: "Time" }, { text: "Breaker" }, { text: "Why" }],
      rows: d.breakerTrips.map((b): Cell[] => [
        { text: formatLocalTime(b.atMs, tz) },
        { text: b.breaker, color: BAD, bold: true },
        { text: breakerWhy(b) },
      ]),
      max: MAX_LISTED_ROWS,
      noun: "breaker trip",
    },
    {
      title: "Reconciliation differences",
      empty: "The journal agreed with the exchange.",
      header: [{ text: "Time" }, { text: "Kind" }, { text: "Market" }, { text: "Detail" }],
      rows: d.reconDiffs.map((r): Cell[] => [
        { text: formatLocalTime(r.atMs, tz) },
        { text: r.kind },
        { text: r.ticker ?? "-" },
        { text: r.detail },
      ]),
      max: MAX_LISTED_ROWS,
      noun: "difference",
    },
    {
      title: "Open at the end of the day",
      empty: "No open position.",
      header: [
        { text: "Market" },
        { text: "Contracts", align: "right" },
        { text: "Avg entry", align: "right" },
        { text: "Cost", align: "right" },
        { text: "Opened" },
      ],
      rows: d.openPositions.map((p): Cell[] => [
        { text: p.ticker },
        { text: `${p.side.toUpperCase()} ${formatContracts(p.contracts)}`, align: "right" },
        { text: formatPriceUsd(p.avgEntry), align: "right" },
        { text: formatUsd(p.cost), align: "right" },
        { text: formatLocalDateTime(p.openedMs, tz) },
      ]),
      max: MAX_LISTED_ROWS,
      noun: "position",
    },
  ];
}

function moreLine(l: ListSection): string | null {
  const more = l.rows.length - l.max;
  return more > 0 ? `...and ${plural(more, `more ${l.noun}`)}.` : null;
}

function htmlBody(d: DailyReportData): string {
  const rows: string[] = [
    `<tr><td style="padding:20px 24px 4px 24px;${FONT}border-bottom:1px solid ${RULE};">` +
      `<h1 style="margin:0;${FONT}font-size:20px;line-height:26px;">Daily report: ${formatUsd(d.pnl.net)}</h1>` +
      paragraph(`Account ${d.account}, trading day ${d.day} (${d.timeZone})`, MUTED) +
      "</td></tr>",
    section("Summary", figures(summaryFigures(d))),
    section("Equity during the day", equityChartHtml(d)),
  ];
  for (const l of listSections(d)) {
    if (l.rows.length === 0) {
      if (l.empty !== null) rows.push(section(l.title, paragraph(l.empty, MUTED)));
      continue;
    }
    const more = moreLine(l);
    rows.push(
      section(l.title, dataTable(l.header, l.rows.slice(0, l.max)) + (more ? paragraph(more, MUTED) : "")),
    );
  }
  return rows.join("\n");
}

function textBody(d: DailyReportData): string {
  const lines: string[] = [
    `Daily report: account ${oneLine(d.account)}, trading day ${d.day} (${d.timeZone})`,
    "",
    ...summaryFigures(d).map(([label, value]) => `${label}: ${value.text}`),
    `Equity curve (00:00 to 24:00, low to high): ${d.equity.points.length === 0 ? "no snapshots" : equitySparkline(d)}`,
  ];
  for (const l of listSections(d)) {
    if (l.rows.length === 0 && l.empty === null) continue;
    lines.push("", `${l.title}:`);
    if (l.rows.length === 0) lines.push(`  ${l.empty}`);
    else lines.push(`  ${l.header.map((c) => c.text).join("  ")}`);
    for (const r of l.rows.slice(0, l.max)) lines.push(`  ${r.map((c) => oneLine(c.text, 300)).join("  ")}`);
    const more = moreLine(l);
    if (more) lines.push(`  ${more}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The daily report email for one day's figures. */
export function renderDailyReport(data: DailyReportData): RenderedEmail {
  const subject = reportSubject(data);
  const preheader = `Net ${formatUsd(data.pnl.net)}, ${plural(data.roundTripCount, "round trip")}, win rate ${formatTenthsPct(data.winRateTenthsPct)}`;
  return { subject, html: emailDocument(subject, preheader, htmlBody(data)), text: textBody(data) };
}
