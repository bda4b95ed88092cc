#!/usr/bin/env node
/**
 * `npm start`: a local run of the bot. Starts the Worker under `wrangler dev` (local Durable
 * Object storage, 127.0.0.1:8787) against one environment, chosen only by `--env`:
 *
 * - `sim` (default): the Kalshi simulator (`sim/main.ts`) on 127.0.0.1:8788 with its throwaway
 *   test key. The simulator is supervised: when it exits it is restarted on the same port with
 *   backoff, and the Worker keeps running (its feed reconnects by itself). The feed is started.
 * - `demo` / `prod`: Kalshi's exchange with the keys in `.dev.vars`. No simulator, and the feed
 *   is not started: the banner says how.
 *
 * State is kept per environment (`--persist-to`, default `.wrangler/state/<env>`), so nothing
 * from the simulator reaches demo; `npm run reset-state -- --env <env>` clears one. The admin
 * token comes from $ADMIN_TOKEN, else `.dev.vars`, else is generated for this run; the Worker
 * always gets the token the banner names. Busy ports, unknown flags and a `.dev.vars` that tries
 * to choose the environment end with one line and a non-zero exit, before anything is spawned.
 * `--help` lists the flags; docs/environments.md explains them.
 *
 * The private key is written only to a 0600 temporary env file, removed on exit; never printed.
 */

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveTarget, secretsStatus } from "../shared/environment.ts";
import { readSimTestKeys } from "../sim/keys/index.ts";
import {
  DEFAULT_SIM_PORT,
  DEFAULT_WORKER_PORT,
  defaultPersistDir,
  devVarsConflict,
  HOST,
  isWranglerNoise,
  LogOnce,
  parseLocalEnv,
  parsePort,
  portFree,
  quietWranglerEnv,
  RequestLogFilter,
  readDevVars,
  removeRunState,
  restartDelayMs,
  wranglerEnvFor,
  writeRunState,
} from "./local-run.ts";

const USAGE = `usage: npm start -- [flags]

Runs the bot locally under wrangler dev, against the Kalshi simulator (default) or, with
--env demo or --env prod, against Kalshi with the keys in .dev.vars.

  --env <sim|demo|prod>  the exchange (default sim). demo and prod need KALSHI_KEY_ID and
                         KALSHI_PRIVATE_KEY in the dev vars file; prod trades real money
  --port <n>             the Worker's port on 127.0.0.1 (default ${DEFAULT_WORKER_PORT})
  --sim-port <n>         the simulator's port on 127.0.0.1 (default ${DEFAULT_SIM_PORT}; sim only)
  --persist-to <dir>     local Durable Object storage (default .wrangler/state/<env>)
  --dev-vars <file>      the secrets file (default .dev.vars; see .dev.vars.example)
  --seed <n>  --markets <n>  --speed <x>
                         passed to the simulator (sim only; see npm run sim -- --help)
  -h, --help             this text

The admin token is $ADMIN_TOKEN, else ADMIN_TOKEN from the dev vars file, else a new one
generated for this run and printed. Clear an environment's local state with
npm run reset-state -- --env <env>. More in docs/environments.md.
`;

function fail(message, code = 1) {
  process.stderr.write(`[start] ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      env: { type: "string" },
      port: { type: "string" },
      "sim-port": { type: "string" },
      "persist-to": { type: "string" },
      "dev-vars": { type: "string" },
      seed: { type: "string" },
      markets: { type: "string" },
      speed: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail(`${e instanceof Error ? e.message : String(e)}; see npm start -- --help`, 2);
}

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const env = parseLocalEnv(values.env);
if (env === null) fail("--env must be sim, demo or prod; see npm start -- --help", 2);
const useSim = env === "sim";
const workerPort = parsePort(values.port, DEFAULT_WORKER_PORT);
if (workerPort === null) fail("--port must be a port number from 1 to 65535", 2);
const simPort = parsePort(values["sim-port"], DEFAULT_SIM_PORT);
if (simPort === null) fail("--sim-port must be a port number from 1 to 65535", 2);
if (useSim && simPort === workerPort) fail("--port and --sim-port must differ", 2);
if (!useSim) {
  for (const f of ["sim-port", "seed", "markets", "speed"])
    if (values[f] !== undefined) fail(`--${f} is for the simulator; --env ${env} does not start it`, 2);
}
const persistDir = values["persist-to"] ?? defaultPersistDir(env);
const devVarsFile = values["dev-vars"] ?? ".dev.vars";
if (values["dev-vars"] !== undefined && !existsSync(devVarsFile))
  fail(`--dev-vars: ${devVarsFile} not found`, 2);

const children = [];
const once = new LogOnce();
let tmpDir;
let stopping = false;
let simRestartTimer;
const sim = { child: null, startedAt: 0, attempt: 0, restarts: 0, seenLines: new Set() };
let workerChild = null;

function log(line) {
  process.stdout.write(`[start] ${line}\n`);
}

/** After children exist: one line on stderr, then stop them all and exit non-zero. */
function abort(message) {
  process.stderr.write(`[start] ${message}\n`);
  stop(1);
}

/** Logs `message` under `topic` unless it is what that topic said last. */
function logOnce(topic, message) {
  const m = once.next(topic, message);
  if (m !== null) log(m);
}

/**
 * Starts a child in its own process group, so a stop can signal everything it spawned. Each
 * output line goes through `filter` (null drops it) and gets the child's name as a prefix.
 */
function run(name, cmd, args, { filter = (l) => l, env: childEnv = process.env } = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: childEnv });
  children.push(child);
  const relay = (stream) => {
    let rest = "";
    return (chunk) => {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        if (line.trim() === "") continue;
        const out = filter(line);
        if (out !== null) stream.write(`[${name}] ${out}\n`);
      }
    };
  };
  child.stdout.on("data", relay(process.stdout));
  child.stderr.on("data", relay(process.stderr));
  child.on("error", (err) => {
    log(`${name} could not start: ${err.message}`);
    stop(1);
  });
  return child;
}

function isRunning(child) {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

function killGroup(child, signal) {
  if (!isRunning(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  clearTimeout(simRestartTimer);
  for (const child of children) killGroup(child, "SIGTERM");
  const force = setTimeout(() => {
    for (const child of children) killGroup(child, "SIGKILL");
  }, 5000);
  force.unref();
  Promise.all(children.map((c) => (isRunning(c) ? new Promise((r) => c.once("exit", r)) : null))).then(() => {
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
    removeRunState(persistDir);
    process.exit(code);
  });
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

/** Polls `url` until it answers 2xx; false when `alive()` turns false or the time is up. */
async function waitFor(url, timeoutMs, alive = () => true) {
  const deadline = Date.now() + timeoutMs;
  while (!stopping && alive() && Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function saveRunState() {
  writeRunState(persistDir, {
    pid: process.pid,
    env,
    workerPort,
    simPort: useSim ? simPort : null,
    workerPid: workerChild?.pid ?? null,
    simPid: isRunning(sim.child) ? sim.child.pid : null,
    simRestarts: sim.restarts,
  });
}

// ---------------------------------------------------------------- the simulator, supervised

function simArgs() {
  const args = ["--experimental-strip-types", "sim/main.ts", "--port", String(simPort)];
  for (const f of ["seed", "markets", "speed"]) if (values[f] !== undefined) args.push(`--${f}`, values[f]);
  return args;
}

/** A restarted simulator prints its banner again; each distinct line is shown once per run. */
function simLine(line) {
  if (sim.seenLines.has(line)) return null;
  if (sim.seenLines.size < 500) sim.seenLines.add(line);
  return line;
}

function startSim() {
  const child = run("sim", process.execPath, simArgs(), { filter: simLine });
  sim.child = child;
  sim.startedAt = Date.now();
  child.on("exit", (code, signal) => onSimExit(child, code, signal));
  return child;
}

function simUp(child) {
  return waitFor(`http://${HOST}:${simPort}/_sim/state`, 30_000, () => isRunning(child));
}

function onSimExit(child, code, signal) {
  if (stopping || child !== sim.child) return;
  // A simulator that ran for a while before exiting starts a new backoff sequence.
  if (Date.now() - sim.startedAt > 30_000) sim.attempt = 0;
  const delay = restartDelayMs(sim.attempt);
  sim.attempt += 1;
  logOnce(
    "sim",
    `simulator exited (${signal ?? `code ${code}`}); restarting it on port ${simPort} with backoff. The Worker keeps running; its feed reconnects by itself`,
  );
  saveRunState();
  simRestartTimer = setTimeout(async () => {
    if (stopping) return;
    sim.restarts += 1;
    const next = startSim();
    if (await simUp(next)) {
      logOnce("sim", `simulator back on port ${simPort} (pid ${next.pid}), restart ${sim.restarts}`);
      saveRunState();
    } else if (isRunning(next)) {
      killGroup(next, "SIGKILL"); // up but not answering: its exit schedules the next try
    }
  }, delay);
}

// ---------------------------------------------------------------- main

function tokenOk(t) {
  return typeof t === "string" && /^[\x21-\x7e]+$/.test(t) && !/['"\\]/.test(t);
}

async function main() {
  const devVars = readDevVars(devVarsFile);
  const conflict = devVarsConflict(devVars, devVarsFile);
  if (conflict) fail(conflict, 2);

  if (!(await portFree(workerPort)))
    fail(`port ${workerPort} on ${HOST} is in use (the Worker's port): choose another with --port <n>`);
  if (useSim && !(await portFree(simPort)))
    fail(`port ${simPort} on ${HOST} is in use (the simulator's port): choose another with --sim-port <n>`);

  let tokenSource = "generated for this run";
  let adminToken = randomBytes(18).toString("base64url");
  if (process.env.ADMIN_TOKEN) {
    adminToken = process.env.ADMIN_TOKEN;
    tokenSource = "$ADMIN_TOKEN";
  } else if (devVars.ADMIN_TOKEN) {
    adminToken = devVars.ADMIN_TOKEN;
    tokenSource = `ADMIN_TOKEN from ${devVarsFile}`;
  }
  if (!tokenOk(adminToken))
    fail(`the admin token (${tokenSource}) must be printable ASCII without spaces or quotes`, 2);

  const simUrl = useSim ? `http://${HOST}:${simPort}` : "";
  const workerVars = { KALSHI_ENV: env, KALSHI_SIM_URL: simUrl, KALSHI_LOCAL_RUN: "true" };
  // What the Worker will resolve: wrangler.toml's [env.production] carries the prod opt-in.
  const target = resolveTarget({
    ...workerVars,
    KALSHI_PROD_ENABLED: env === "prod" ? "true" : "",
    ACCOUNT_NAME: devVars.ACCOUNT_NAME ?? "default",
  });
  if (!target.ok) fail(`${target.code}: ${target.message}`, 2);

  const simKeys = useSim ? readSimTestKeys() : null;
  const secrets = secretsStatus({
    ...devVars,
    ADMIN_TOKEN: adminToken,
    ...(simKeys ? { KALSHI_KEY_ID: simKeys.keyId, KALSHI_PRIVATE_KEY: simKeys.privateKeyPem } : {}),
  });
  if (!useSim && secrets.kalshiKey === "missing")
    fail(
      `--env ${env} signs requests with your Kalshi API key: set KALSHI_KEY_ID and KALSHI_PRIVATE_KEY in ${devVarsFile} (see .dev.vars.example)`,
      2,
    );

  mkdirSync(persistDir, { recursive: true });

  // The run's own env file, read after the dev vars file so it wins: the admin token the banner
  // names and, for the simulator, its test key.
  tmpDir = mkdtempSync(join(tmpdir(), "kalshi-bot-start-"));
  const runEnvFile = join(tmpDir, "run.env");
  let runEnv = `ADMIN_TOKEN='${adminToken}'\n`;
  if (simKeys) {
    const pem = simKeys.privateKeyPem.trim().replace(/\r?\n/g, "\\n");
    runEnv += `KALSHI_KEY_ID=${simKeys.keyId}\nKALSHI_PRIVATE_KEY="${pem}"\n`;
  }
  writeFileSync(runEnvFile, runEnv, { mode: 0o600 });

  if (useSim) {
    const first = startSim();
    if (!(await simUp(first)))
      return abort("the simulator did not answer on /_sim/state within 30 s; see its output above");
  }

  const wranglerArgs = [
    join("node_modules", "wrangler", "bin", "wrangler.js"),
    "dev",
    `--env=${wranglerEnvFor(env)}`,
    "--ip",
    HOST,
    "--port",
    String(workerPort),
    "--local",
    "--persist-to",
    persistDir,
    "--show-interactive-dev-session=false",
  ];
  if (existsSync(devVarsFile)) wranglerArgs.push("--env-file", devVarsFile);
  wranglerArgs.push("--env-file", runEnvFile);
  for (const [k, v] of Object.entries(workerVars)) wranglerArgs.push("--var", `${k}:${v}`);

  const requests = new RequestLogFilter();
  workerChild = run("worker", process.execPath, wranglerArgs, {
    env: quietWranglerEnv(process.env),
    filter: (line) => (isWranglerNoise(line) ? null : requests.filter(line)),
  });
  workerChild.on("exit", (code, signal) => {
    if (stopping) return;
    log(`the Worker (wrangler dev) exited (${signal ?? `code ${code}`}); stopping`);
    stop(1);
  });
  saveRunState();

  const base = `http://${HOST}:${workerPort}`;
  if (!(await waitFor(`${base}/health`, 120_000, () => isRunning(workerChild))))
    return abort("the Worker did not answer /health within 120 s; see its output above");

  const auth = { authorization: `Bearer ${adminToken}` };
  const feed = useSim ? await startFeed(base, auth) : await feedState(base, auth);

  const generated = tokenSource === "generated for this run";
  const shownToken = generated ? adminToken : `<${tokenSource}>`;
  const curlToken = generated ? adminToken : "$ADMIN_TOKEN";
  const say = (s) => (s === "present" ? "set" : "missing");
  const lines = [
    "",
    `Kalshi bot running locally against ${useSim ? "the Kalshi simulator (sim)" : `Kalshi ${env}`}`,
    `  dashboard   ${base}/`,
    `  admin API   ${base}/api/status   Authorization: Bearer ${shownToken}`,
    ...(generated
      ? ["              (valid for this run: set ADMIN_TOKEN in .dev.vars or your environment to keep one)"]
      : []),
    `  health      ${base}/health`,
    `  exchange    ${target.restBase}`,
    `              ${target.wsUrl.replace(/^http/, "ws")}`,
  ];
  if (useSim) lines.push(`  sim control http://${HOST}:${simPort}/_sim/state`);
  lines.push(
    `  state       ${persistDir}   (clear it: npm run reset-state -- --env ${env}${values["persist-to"] === undefined ? "" : ` --persist-to ${persistDir}`})`,
    `  secrets     Kalshi key ${useSim ? "the simulator's test key" : say(secrets.kalshiKey)}, Supabase ${say(secrets.supabase)}, Resend ${say(secrets.resend)}`,
    `  processes   start ${process.pid}, worker ${workerChild.pid}${useSim ? `, simulator ${sim.child?.pid}` : ""}`,
  );
  if (feed.started) lines.push("  feed        started");
  else if (feed.running)
    lines.push(
      `  feed        running, resumed from ${persistDir}; stop it with:`,
      `              curl -X POST -H "Authorization: Bearer ${curlToken}" ${base}/api/feed/stop`,
    );
  else
    lines.push(
      `  feed        ${feed.note ?? "not started"}; start it with:`,
      `              curl -X POST -H "Authorization: Bearer ${curlToken}" ${base}/api/feed/start`,
    );
  if (env === "prod") lines.push("  PRODUCTION  real money: orders go to Kalshi's production exchange");
  lines.push("Ctrl-C stops everything.", "");
  process.stdout.write(lines.join("\n"));
}

/** Sim only: start the feed. The route may move to /api/start; both are tried. */
async function startFeed(base, auth) {
  for (const path of ["/api/feed/start", "/api/start"]) {
    try {
      const r = await fetch(`${base}${path}`, {
        method: "POST",
        headers: auth,
        signal: AbortSignal.timeout(30_000),
      });
      if (r.status === 404) continue;
      return r.ok ? { started: true } : { started: false, note: `start answered ${r.status}` };
    } catch (e) {
      return { started: false, note: `start failed (${e instanceof Error ? e.message : String(e)})` };
    }
  }
  return { started: false, note: "no start route" };
}

/** Demo and prod: never start the feed; report whether stored state resumed it. */
async function feedState(base, auth) {
  try {
    const r = await fetch(`${base}/api/status`, { headers: auth, signal: AbortSignal.timeout(30_000) });
    if (!r.ok) return { started: false, running: false, note: `status answered ${r.status}` };
    const s = await r.json();
    return { started: false, running: s?.running === true };
  } catch (e) {
    return {
      started: false,
      running: false,
      note: `status failed (${e instanceof Error ? e.message : String(e)})`,
    };
  }
}

main().catch((e) => abort(e instanceof Error ? e.message : String(e)));
