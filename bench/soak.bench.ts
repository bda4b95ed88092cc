/**
 * Soak throughput: the fault campaign's short run (test/soak/, seed 1) as `npm test` runs it, the
 * whole account object in workerd against the simulator with faults injected, timed by the
 * campaign itself. Reported: simulated seconds per wall second (each one a full step: frames,
 * the alarm, every job and request awaited, the invariants checked) and order writes per wall
 * second. A campaign that broke an invariant fails the bench: its figures would mean nothing.
 *
 * Runs the workers project's test file in a child process (the campaign needs workerd and the
 * test servers its global setup starts); about a minute on a 2-core machine.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { atLeast, info } from "./harness.ts";
import type { BenchResult } from "./types.ts";

/** The table lines the campaign prints: `name   value`. */
function figure(out: string, name: string): number {
  const line = out.split("\n").find((l) => l.trim().startsWith(name));
  if (!line) return Number.NaN;
  const m = /([0-9.]+)\s*(s)?\s*$/.exec(line);
  return m ? Number(m[1]) : Number.NaN;
}

export default async function run(): Promise<BenchResult[]> {
  const r = spawnSync(
    join("node_modules", ".bin", "vitest"),
    ["run", "--project", "workers", "test/soak/soak.worker.test.ts", "--reporter=default"],
    {
      encoding: "utf8",
      env: { ...process.env, SOAK_SEED: "1", SOAK_MINUTES: "0", NO_COLOR: "1", FORCE_COLOR: "0" },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const out = `${r.stdout}\n${r.stderr}`;
  const passed = r.status === 0;
  const steps = figure(out, "steps per wall second");
  const wall = figure(out, "wall time");
  const writes = figure(out, "order writes received");
  return [
    {
      name: "soak short run: every invariant held",
      value: passed ? 1 : 0,
      unit: "bool",
      target: "1",
      ok: passed,
    },
    // Measured 6.5-10.7 on a loaded 2-core machine.
    atLeast("soak: simulated seconds per wall second", steps, "sim s/s", 2),
    info("soak: order writes per wall second", writes / wall, "writes/s"),
    info("soak: wall time of the short run", wall, "s"),
  ];
}
