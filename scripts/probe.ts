/**
 * `npm run probe`: checks, against a real exchange, what the bot relies on that Kalshi documents
 * but the simulator cannot prove (docs/probe.md). Defaults to Kalshi's demo exchange with the API
 * key in `.dev.vars`; `--sim` runs the same checks against the simulator (one started here, or
 * `--sim-url`'s); `--target prod` is refused unless `--i-know-this-trades-real-money` is given.
 * Prints one row per check (assumption, expected, observed, verdict) and exits 1 when any check
 * failed, 2 when it could not start, 130 when interrupted (after cleaning up).
 */
import { existsSync } from "node:fs";
import { KalshiKeyError } from "../shared/kalshi/auth.ts";
import type { RunningSimulator } from "../sim/server/index.ts";
import { readDevVars } from "./local-run.ts";
import type { ProbeKeys } from "./probe/args.ts";
import { keysFromDevVars, parseProbeArgs, USAGE } from "./probe/args.ts";
import { createProbeSession, probeUrls } from "./probe/context.ts";
import { cleanupRow, runProbe, unknownIds } from "./probe/runner.ts";
import { exitCode, renderTable, summary } from "./probe/table.ts";

function fail(message: string): never {
  process.stderr.write(`probe: ${message}\n`);
  process.exit(2);
}

const parsed = parseProbeArgs(process.argv.slice(2));
if (!parsed.ok) fail(parsed.message);
const opts = parsed.value;
if (opts.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (opts.only) {
  const unknown = unknownIds(opts.only);
  if (unknown.length) fail(`--only names unknown checks: ${unknown.join(", ")}`);
}

let keys: ProbeKeys;
let simUrl: string | null = null;
let sim: RunningSimulator | null = null;
if (opts.target === "sim") {
  const { readSimTestKeys } = await import("../sim/keys/index.ts");
  const k = readSimTestKeys();
  keys = { keyId: k.keyId, privateKeyPem: k.privateKeyPem };
  if (opts.simUrl !== null) simUrl = opts.simUrl;
  else {
    const { startSimulator } = await import("../sim/server/index.ts");
    sim = await startSimulator({ port: 0 });
    simUrl = sim.url;
  }
} else {
  const exists = existsSync(opts.devVarsPath);
  const k = keysFromDevVars(opts.target, readDevVars(opts.devVarsPath), opts.devVarsPath, exists);
  if (!k.ok) fail(k.message);
  keys = k.value;
}

const urls = probeUrls(opts.target, simUrl);
if (!urls.ok) fail(urls.message);

const log = (line: string) => process.stderr.write(`probe: ${line}\n`);
let session: Awaited<ReturnType<typeof createProbeSession>>;
try {
  session = await createProbeSession({ target: opts.target, urls, keys, log });
} catch (err) {
  if (err instanceof KalshiKeyError) fail(err.message);
  throw err;
}
log(`probing ${opts.target} at ${urls.rest}${opts.target === "prod" ? " (REAL MONEY)" : ""}`);

process.once("SIGINT", () => {
  log("interrupted: cleaning up (Ctrl-C again to quit at once)");
  process.once("SIGINT", () => process.exit(130));
  void session.ctx.cleanup.run(session.ctx.rest).then((report) => {
    process.stdout.write(`${renderTable([cleanupRow(report)])}\n`);
    process.exit(130);
  });
});

const rows = await runProbe(session, { only: opts.only });
if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else process.stdout.write(`${renderTable(rows)}\n${summary(rows)}\n`);
await sim?.close();
process.exit(exitCode(rows));
