/**
 * The probe's printed table, pure: one row per check (check, assumption, expected, observed,
 * verdict), cells word-wrapped to fixed column widths, and a summary line. scripts/probe.ts prints
 * it; the exit code comes from `exitCode`.
 */
import type { CheckRow, Verdict } from "./types.ts";

export const VERDICT_LABEL: Record<Verdict, string> = {
  pass: "pass",
  fail: "FAIL",
  could_not_check: "could not check",
};

export interface Widths {
  check: number;
  assumption: number;
  expected: number;
  observed: number;
  verdict: number;
}

export const DEFAULT_WIDTHS: Widths = { check: 26, assumption: 36, expected: 40, observed: 48, verdict: 15 };

/** Splits `text` into lines of at most `width` characters, at spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(/\s+/).filter((w) => w !== "")) {
      let w = word;
      while (w.length > width) {
        if (line !== "") {
          out.push(line);
          line = "";
        }
        out.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (line === "") line = w;
      else if (line.length + 1 + w.length <= width) line = `${line} ${w}`;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out;
}

export function renderTable(rows: readonly CheckRow[], widths: Widths = DEFAULT_WIDTHS): string {
  const cols: (keyof Widths)[] = ["check", "assumption", "expected", "observed", "verdict"];
  const rule = `+${cols.map((c) => "-".repeat(widths[c] + 2)).join("+")}+`;
  const line = (cells: string[]): string =>
    `|${cells.map((cell, i) => ` ${cell.padEnd(widths[cols[i] as keyof Widths])} `).join("|")}|`;
  const out = [rule, line(cols.map((c) => c)), rule];
  for (const r of rows) {
    const cells = [r.id, r.assumption, r.expected, r.observed, VERDICT_LABEL[r.verdict]].map((t, i) =>
      wrap(t, widths[cols[i] as keyof Widths]),
    );
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(cells.map((c) => c[k] ?? "")));
    out.push(rule);
  }
  return out.join("\n");
}

export function summary(rows: readonly CheckRow[]): string {
  const n = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
  return `${n("pass")} pass, ${n("fail")} fail, ${n("could_not_check")} could not check`;
}

/** 1 when any check failed, else 0 (a check that could not be made is reported, not failed). */
export function exitCode(rows: readonly CheckRow[]): number {
  return rows.some((r) => r.verdict === "fail") ? 1 : 0;
}
