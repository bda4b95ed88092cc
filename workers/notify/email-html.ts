/**
 * Building blocks for HTML email that renders in Gmail, Outlook (desktop and web) and Apple
 * Mail: layout tables only, inline styles only (no <style>, no classes), no scripts, no SVG, no
 * canvas, no images. Every caller passes text through `escapeHtml` (or uses `cell`, which does).
 * Used by the daily report and the alert renderers.
 */
import { escapeHtml, oneLine } from "./format.ts";

export const FONT = "font-family:Arial,sans-serif;";
export const INK = "#1f2933";
export const MUTED = "#52606d";
export const GOOD = "#15803d";
export const BAD = "#b91c1c";
export const RULE = "#d9e2ec";

/** A rendered email. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** The whole document: a 600 px card centred on a grey page. `bodyRows` are `<tr>` rows. */
export function emailDocument(title: string, preheader: string, bodyRows: string): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    `<body style="margin:0;padding:0;background-color:#f0f4f8;${FONT}color:${INK};">`,
    // Shown by mail clients as the preview line, hidden in the body.
    `<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">${escapeHtml(preheader)}</div>`,
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f0f4f8" style="background-color:#f0f4f8;">',
    '<tr><td align="center" style="padding:16px 8px;">',
    `<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="width:600px;max-width:600px;background-color:#ffffff;border:1px solid ${RULE};${FONT}color:${INK};">`,
    bodyRows,
    `<tr><td style="padding:16px 24px 20px 24px;${FONT}font-size:12px;color:${MUTED};">Sent by the Kalshi trading bot. Figures are in US dollars; times are local to the account's configured time zone.</td></tr>`,
    "</table></td></tr></table></body></html>",
  ].join("\n");
}

/** A section of the card: a heading and its content. */
export function section(title: string, inner: string): string {
  return [
    `<tr><td style="padding:16px 24px 0 24px;${FONT}">`,
    `<h2 style="margin:0 0 8px 0;${FONT}font-size:16px;line-height:20px;color:${INK};">${escapeHtml(title)}</h2>`,
    inner,
    "</td></tr>",
  ].join("\n");
}

/** A paragraph of plain text (escaped). */
export function paragraph(text: string, color = INK): string {
  return `<p style="margin:0 0 8px 0;${FONT}font-size:14px;line-height:20px;color:${color};">${escapeHtml(text)}</p>`;
}

export type Align = "left" | "right";

/** Longer cell text is cut (with "...") so one record cannot swell the message. */
export const MAX_CELL_CHARS = 160;

/** One table cell with escaped text, optionally coloured. */
export interface Cell {
  text: string;
  align?: Align;
  color?: string;
  bold?: boolean;
}

/** Colour for an amount of money: green above zero, red below, ink at zero. */
export function signColor(v: number): string {
  return v > 0 ? GOOD : v < 0 ? BAD : INK;
}

function td(c: Cell, header: boolean, rule = true): string {
  const align = c.align ?? "left";
  const tag = header ? "th" : "td";
  const border = rule ? `border-bottom:1px solid ${RULE};` : "";
  const weight = header || c.bold ? "font-weight:bold;" : "";
  return `<${tag} align="${align}" style="padding:4px 6px;${border}${FONT}font-size:13px;${weight}color:${c.color ?? INK};">${escapeHtml(oneLine(c.text, MAX_CELL_CHARS))}</${tag}>`;
}

/** A data table: a header row and body rows of escaped cells. */
export function dataTable(header: readonly Cell[], rows: readonly (readonly Cell[])[]): string {
  return [
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;">',
    `<tr>${header.map((c) => td(c, true)).join("")}</tr>`,
    ...rows.map((r) => `<tr>${r.map((c) => td(c, false)).join("")}</tr>`),
    "</table>",
  ].join("\n");
}

/** Label / value pairs, two columns. */
export function figures(rows: readonly (readonly [string, Cell])[]): string {
  return [
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;">',
    ...rows.map(
      ([label, value]) =>
        `<tr><td style="padding:3px 6px 3px 0;${FONT}font-size:14px;line-height:20px;color:${MUTED};">${escapeHtml(label)}</td>${td({ align: "right", ...value }, false, false)}</tr>`,
    ),
    "</table>",
  ].join("\n");
}
