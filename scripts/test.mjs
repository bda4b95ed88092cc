#!/usr/bin/env node
/**
 * `npm test`: lint, generated-type freshness, type check, then every Vitest project.
 * Ends with the plain line `N passed, N failed` that CI reads, and exits non-zero
 * on any lint, type or test failure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = (name) => join("node_modules", ".bin", name);
let stepFailures = 0;

// A hung step must fail the run, not eat CI's time budget.
const STEP_TIMEOUT_MS = 15 * 60 * 1000;

function step(label, cmd, args) {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, args, { stdio: "inherit", timeout: STEP_TIMEOUT_MS, killSignal: "SIGKILL" });
  if (r.status !== 0) {
    stepFailures += 1;
    const why =
      r.error?.code === "ETIMEDOUT" ? `timed out after ${STEP_TIMEOUT_MS / 60000} min` : `exit ${r.status}`;
    process.stdout.write(`!! ${label} failed (${why})\n`);
  }
  return r.status === 0;
}

step("lint (biome)", bin("biome"), ["check", "--error-on-warnings", "."]);
step("env types up to date (wrangler types --check)", bin("wrangler"), [
  "types",
  "--check",
  "--strict-vars=false",
  "--env-file",
  ".dev.vars.example",
]);
step("typecheck (tsc)", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]);

const dir = mkdtempSync(join(tmpdir(), "vitest-"));
const report = join(dir, "report.json");
const extra = process.argv.slice(2);
step("tests (vitest)", bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...extra,
]);

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed = r.numPassedTests ?? 0;
  failed = (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (skipped > 0) {
    process.stdout.write(`!! ${skipped} skipped or todo tests: none may be left behind\n`);
    stepFailures += 1;
  }
} else {
  failed += 1;
}
rmSync(dir, { recursive: true, force: true });
// Lint, type or runner failures count as failures in the closing line too.
failed += stepFailures > 0 && failed === 0 ? stepFailures : 0;
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || stepFailures > 0 ? 1 : 0);
