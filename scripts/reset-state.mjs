#!/usr/bin/env node
/**
 * `npm run reset-state -- --env <sim|demo|prod>`: deletes one environment's local Durable Object
 * storage (`.wrangler/state/<env>`, or `--persist-to`), i.e. what the account object remembers
 * between local runs: wanted markets, the running flag, breakers, orders. `--all` deletes every
 * environment's local state, including the shared `.wrangler/state/v3` of runs before state was
 * kept per environment. Local only: a deployed Worker's state is never touched.
 *
 * Refuses while an `npm start` uses the directory (its run-state file names a live pid) or while
 * something listens on the Worker's port (`--port`, default 8787; `--force` skips only that
 * check), and refuses a directory that does not look like wrangler's local state.
 */

import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DEFAULT_WORKER_PORT,
  defaultPersistDir,
  HOST,
  isAlive,
  LOCAL_ENVS,
  parseLocalEnv,
  parsePort,
  portFree,
  RUN_STATE_FILE,
  readRunState,
} from "./local-run.ts";

const USAGE = `usage: npm run reset-state -- --env <sim|demo|prod> [--persist-to <dir>] [--port <n>] [--force]
       npm run reset-state -- --all

Deletes the local Durable Object storage of one environment (default .wrangler/state/<env>):
wanted markets, the running flag, breakers and orders of local runs. Stop npm start first.

  --env <e>           the environment whose state to delete
  --persist-to <dir>  the directory npm start was given with --persist-to
  --all               every environment's local state (.wrangler/state)
  --port <n>          the Worker's port checked for a running dev server (default ${DEFAULT_WORKER_PORT})
  --force             delete even though something listens on --port
`;

function fail(message, code = 1) {
  process.stderr.write(`[reset-state] ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      env: { type: "string" },
      "persist-to": { type: "string" },
      all: { type: "boolean", default: false },
      port: { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail(`${e instanceof Error ? e.message : String(e)}; see npm run reset-state -- --help`, 2);
}

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

if (values.all === (values.env !== undefined))
  fail("name one environment with --env sim|demo|prod, or pass --all; see --help", 2);
if (values.all && values["persist-to"] !== undefined) fail("--persist-to goes with --env, not --all", 2);
const env = values.env === undefined ? null : parseLocalEnv(values.env);
if (values.env !== undefined && env === null) fail("--env must be sim, demo or prod", 2);
const port = parsePort(values.port, DEFAULT_WORKER_PORT);
if (port === null) fail("--port must be a port number from 1 to 65535", 2);

/** Wrangler's persist directory holds `v3/`; npm start adds its run-state file. */
const STATE_ENTRIES = new Set(["v3", RUN_STATE_FILE]);
const ROOT_ENTRIES = new Set(["v3", ...LOCAL_ENVS]);

function checkShape(dir, allowed) {
  const odd = readdirSync(dir).filter((e) => !allowed.has(e));
  if (odd.length > 0)
    fail(
      `${dir} does not look like wrangler's local state (it holds ${odd.slice(0, 3).join(", ")}): not deleting it`,
    );
}

function checkNotInUse(dir) {
  const run = readRunState(dir);
  if (run && run.pid !== process.pid && isAlive(run.pid))
    fail(`npm start (pid ${run.pid}, port ${run.workerPort}) is using ${dir}: stop it (Ctrl-C) first`);
}

const dirs = values.all
  ? LOCAL_ENVS.map(defaultPersistDir)
  : [values["persist-to"] ?? defaultPersistDir(env)];
const target = values.all ? join(".wrangler", "state") : dirs[0];

for (const dir of dirs) if (existsSync(dir)) checkNotInUse(dir);
if (!(await portFree(port)) && !values.force)
  fail(
    `something listens on ${HOST}:${port} (a running npm start or wrangler dev?): stop it first, or pass --force if it is not this bot`,
  );

if (!existsSync(target)) {
  process.stdout.write(`[reset-state] nothing to delete: ${target} does not exist\n`);
  process.exit(0);
}
checkShape(target, values.all ? ROOT_ENTRIES : STATE_ENTRIES);
if (values.all) for (const dir of dirs) if (existsSync(dir)) checkShape(dir, STATE_ENTRIES);
rmSync(target, { recursive: true, force: true });
process.stdout.write(
  `[reset-state] deleted ${target}: the next ${values.all ? "local run" : `npm start -- --env ${env}`} starts with empty state\n`,
);
