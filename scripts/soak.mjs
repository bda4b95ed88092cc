#!/usr/bin/env node
/**
 * `npm run soak -- --seed N --minutes M`: the fault campaign (test/soak/campaign.ts), long form.
 * Runs the soak test file in the workers project with SOAK_SEED and SOAK_MINUTES set; the run
 * keeps injecting faults until it has reached the floors (100 dropped sockets, 100 seq
 * gaps, 20 restarts, 200 failed order writes) or M minutes have passed, prints the campaign's
 * table, and exits non-zero (naming the seed) when an invariant broke or a floor was not reached.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

function usage(message) {
  process.stderr.write(`soak: ${message}\nusage: npm run soak -- [--seed N] [--minutes M]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let seed = 1;
let minutes = 20;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => {
    const v = args[++i];
    if (v === undefined) usage(`${a} needs a value`);
    if (!/^\d+$/.test(v)) usage(`${a} must be a whole number, not ${v}`);
    return Number(v);
  };
  if (a === "--seed") seed = value();
  else if (a === "--minutes") minutes = value();
  else if (a === "--help" || a === "-h") usage("runs the fault campaign");
  else usage(`unknown argument ${a}`);
}
if (minutes < 1) usage("--minutes must be at least 1");

process.stdout.write(`soak: seed ${seed}, at most ${minutes} min\n`);
const r = spawnSync(
  join("node_modules", ".bin", "vitest"),
  ["run", "--project", "workers", "test/soak/soak.worker.test.ts", "--reporter=default"],
  { stdio: "inherit", env: { ...process.env, SOAK_SEED: String(seed), SOAK_MINUTES: String(minutes) } },
);
if (r.status !== 0)
  process.stdout.write(
    `soak: FAILED with seed ${seed} (replay: npm run soak -- --seed ${seed} --minutes ${minutes})\n`,
  );
else process.stdout.write(`soak: passed with seed ${seed}\n`);
process.exit(r.status ?? 1);
