/**
 * `npm run bench`: runs every `bench/*.bench.ts` in name order, prints one table of their
 * results, and exits non-zero when any result has `ok === false` or a bench file fails to
 * load or run. Arguments filter by file name: `npm run bench -- units feed` runs only the
 * files whose names contain "units" or "feed". A full run (no filter) also writes the table, the
 * machine it ran on and the command to `docs/benchmarks.md`, so the published figures are always
 * the last full run's.
 */

import { readdirSync, writeFileSync } from "node:fs";
import { arch, cpus, platform, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchResult, BenchRun } from "./types.ts";

interface Row extends BenchResult {
  file: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks one reported result; a malformed one becomes a failing row rather than a crash. */
function toRow(file: string, r: unknown, index: number): Row {
  if (
    !isRecord(r) ||
    typeof r.name !== "string" ||
    typeof r.value !== "number" ||
    typeof r.unit !== "string" ||
    (r.target !== undefined && typeof r.target !== "string") ||
    (r.ok !== undefined && typeof r.ok !== "boolean")
  ) {
    return { file, name: `result #${index} is not a BenchResult`, value: Number.NaN, unit: "", ok: false };
  }
  const row: Row = { file, name: r.name, value: r.value, unit: r.unit };
  if (typeof r.target === "string") row.target = r.target;
  if (typeof r.ok === "boolean") row.ok = r.ok;
  if (!Number.isFinite(r.value)) row.ok = false;
  return row;
}

async function runFile(dir: string, file: string): Promise<Row[]> {
  try {
    const mod: unknown = await import(pathToFileURL(join(dir, file)).href);
    if (!isRecord(mod) || typeof mod.default !== "function") {
      return [
        {
          file,
          name: "no default export run(): Promise<BenchResult[]>",
          value: Number.NaN,
          unit: "",
          ok: false,
        },
      ];
    }
    const run = mod.default as BenchRun;
    const results: unknown = await run();
    if (!Array.isArray(results)) {
      return [{ file, name: "run() did not resolve to an array", value: Number.NaN, unit: "", ok: false }];
    }
    return results.map((r: unknown, i) => toRow(file, r, i));
  } catch (err) {
    return [{ file, name: `threw: ${describeError(err)}`, value: Number.NaN, unit: "", ok: false }];
  }
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

function status(r: Row): string {
  if (r.ok === false) return "FAIL";
  if (r.ok === true) return "ok";
  return "-";
}

function renderTable(rows: readonly Row[]): string {
  const header = ["file", "result", "value", "unit", "target", "status"];
  const cells = rows.map((r) => [r.file, r.name, formatValue(r.value), r.unit, r.target ?? "", status(r)]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => (row[c] as string).length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (c === 2 ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function markdownTable(rows: readonly Row[]): string {
  const escapeCell = (cell: string) => cell.replaceAll("|", "\\|");
  const lines = [
    "| file | result | value | unit | target | status |",
    "| --- | --- | ---: | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${[r.file, r.name, formatValue(r.value), r.unit, r.target ?? "", status(r)].map(escapeCell).join(" | ")} |`,
    ),
  ];
  return lines.join("\n");
}

/** The machine, in the words an operator compares with their own. */
function machine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? "unknown CPU";
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  return `${cores.length} x ${model}, ${gib} GiB, ${platform()}/${arch()}, Node ${process.version}`;
}

function writeReport(dir: string, rows: readonly Row[]): string {
  const path = join(dir, "..", "docs", "benchmarks.md");
  const failed = rows.filter((r) => r.ok === false).length;
  const text = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (every `bench/*.bench.ts`, no filter); rerun it to refresh this page.",
    "What each bench measures and why its target is what it is: [bench/README.md](../bench/README.md).",
    "",
    `- Run: ${new Date().toISOString()}`,
    `- Machine: ${machine()}`,
    "- Command: `npm run bench`",
    `- Result: ${rows.length} results, ${failed} over budget or broken`,
    "",
    "Figures from a shared or busy machine are slower than a quiet one; the ratios (the object's path",
    "over `JSON.parse` of the same frames) move less than the absolute times.",
    "",
    markdownTable(rows),
    "",
  ].join("\n");
  writeFileSync(path, text);
  return path;
}

async function main(): Promise<number> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const filters = process.argv.slice(2);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  if (files.length === 0) {
    process.stderr.write(
      `bench: no bench/*.bench.ts file${filters.length > 0 ? " matches the filter" : ""}\n`,
    );
    return 1;
  }
  const rows: Row[] = [];
  for (const file of files) {
    process.stderr.write(`bench: running ${file}\n`);
    rows.push(...(await runFile(dir, file)));
  }
  process.stdout.write(`\n${renderTable(rows)}\n\n`);
  const failed = rows.filter((r) => r.ok === false).length;
  if (filters.length === 0) process.stderr.write(`bench: wrote ${writeReport(dir, rows)}\n`);
  process.stdout.write(
    `bench: ${files.length} files, ${rows.length} results, ${failed} over budget or broken\n`,
  );
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
