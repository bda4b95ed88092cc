#!/usr/bin/env node
/**
 * `npm start`: the local stack. Starts the Kalshi simulator (`sim/main.ts`) on loopback and the
 * Worker under `wrangler dev` (local Durable Object storage, 127.0.0.1:8787) pointed at it with
 * the simulator's test key, waits until the Worker's `/health` answers, prints where things
 * are, and stops both process groups on Ctrl-C / SIGTERM.
 *
 * With `.dev.vars` setting KALSHI_ENV=demo (or prod) the simulator is skipped and wrangler
 * reads the real credentials from `.dev.vars` alone.
 *
 * Flags: --sim-port (8788), --port (Worker, 8787), --seed, --markets, --speed, passed to the sim.
 * The private key is written only to a 0600 temporary env file, removed on exit; never printed.
 */

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "sim-port": { type: "string", default: "8788" },
    port: { type: "string", default: "8787" },
    seed: { type: "string" },
    markets: { type: "string" },
    speed: { type: "string" },
  },
  strict: true,
});

const HOST = "127.0.0.1";
const simPort = Number(values["sim-port"]);
const workerPort = Number(values.port);
const children = [];
let tmpDir;
let stopping = false;

function log(line) {
  process.stdout.write(`[start] ${line}\n`);
}

/** Reads KEY=value lines of a dotenv file (enough to find KALSHI_ENV and ADMIN_TOKEN). */
function readDotenv(path) {
  const out = {};
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return out;
}

/** Starts a child in its own process group, so a stop can signal everything it spawned. */
function run(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...opts });
  children.push({ name, child });
  const prefix = (chunk, stream) => {
    for (const line of chunk.toString().split("\n"))
      if (line.trim() !== "") stream.write(`[${name}] ${line}\n`);
  };
  child.stdout.on("data", (c) => prefix(c, process.stdout));
  child.stderr.on("data", (c) => prefix(c, process.stderr));
  child.on("exit", (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping`);
      stop(1);
    }
  });
  return child;
}

function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const { child } of children) killGroup(child, "SIGTERM");
  const force = setTimeout(() => {
    for (const { child } of children) killGroup(child, "SIGKILL");
  }, 5000);
  force.unref();
  Promise.all(
    children.map(({ child }) =>
      child.exitCode !== null || child.signalCode !== null ? null : new Promise((r) => child.once("exit", r)),
    ),
  ).then(() => {
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
    process.exit(code);
  });
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

/** Polls `url` until it answers 2xx (no fixed sleeps beyond the poll interval). */
async function waitFor(url, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!stopping) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const devVars = readDotenv(".dev.vars");
  const kalshiEnv = devVars.KALSHI_ENV ?? "sim";
  const useSim = kalshiEnv === "sim";
  const adminToken = devVars.ADMIN_TOKEN || randomBytes(18).toString("base64url");

  const wranglerArgs = [
    "dev",
    "--ip",
    HOST,
    "--port",
    String(workerPort),
    "--local",
    "--show-interactive-dev-session=false",
  ];
  if (existsSync(".dev.vars")) wranglerArgs.push("--env-file", ".dev.vars");

  if (useSim) {
    const simArgs = ["--experimental-strip-types", "sim/main.ts", "--port", String(simPort)];
    for (const f of ["seed", "markets", "speed"])
      if (values[f] !== undefined) simArgs.push(`--${f}`, values[f]);
    run("sim", process.execPath, simArgs);
    await waitFor(`http://${HOST}:${simPort}/_sim/state`, "the simulator", 30_000);

    const { readSimTestKeys } = await import("../sim/keys/index.ts").catch(() => ({
      readSimTestKeys: undefined,
    }));
    const keys = readSimTestKeys
      ? readSimTestKeys()
      : {
          keyId: "sim-test-key-0001",
          privateKeyPem: readFileSync(new URL("../sim/keys/test-private-key.pem", import.meta.url), "utf8"),
        };
    // A later --env-file overrides .dev.vars: the simulator's test key and a session admin token.
    tmpDir = mkdtempSync(join(tmpdir(), "kalshi-bot-start-"));
    const envFile = join(tmpDir, "sim.env");
    const pem = keys.privateKeyPem.trim().replace(/\r?\n/g, "\\n");
    writeFileSync(
      envFile,
      `KALSHI_KEY_ID=${keys.keyId}\nKALSHI_PRIVATE_KEY="${pem}"\nADMIN_TOKEN=${adminToken}\n`,
      {
        mode: 0o600,
      },
    );
    wranglerArgs.push("--env-file", envFile);
    wranglerArgs.push("--var", "KALSHI_ENV:sim", "--var", `KALSHI_SIM_URL:http://${HOST}:${simPort}`);
  } else {
    log(`.dev.vars sets KALSHI_ENV=${kalshiEnv}: not starting the simulator`);
  }

  run("worker", join("node_modules", ".bin", "wrangler"), wranglerArgs);
  await waitFor(`http://${HOST}:${workerPort}/health`, "the Worker", 120_000);

  // The feed object starts on the first keep-alive cron in production; locally, start it now.
  try {
    const r = await fetch(`http://${HOST}:${workerPort}/api/feed/start`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    log(r.ok ? "feed started" : `feed start answered ${r.status}; see /api/status`);
  } catch (e) {
    log(`feed start failed: ${e instanceof Error ? e.message : String(e)}; see /api/status`);
  }

  const lines = [
    "",
    "Kalshi bot running locally",
    `  dashboard   http://${HOST}:${workerPort}/`,
    `  admin API   http://${HOST}:${workerPort}/api/status   (Authorization: Bearer ${devVars.ADMIN_TOKEN ? "<ADMIN_TOKEN from .dev.vars>" : adminToken})`,
    `  health      http://${HOST}:${workerPort}/health`,
  ];
  if (useSim) {
    lines.push(
      `  simulator   http://${HOST}:${simPort}/trade-api/v2   ws://${HOST}:${simPort}/trade-api/ws/v2`,
      `  sim control http://${HOST}:${simPort}/_sim/state`,
    );
  } else {
    lines.push(`  exchange    Kalshi ${kalshiEnv}`);
  }
  lines.push("Ctrl-C stops everything.", "");
  process.stdout.write(lines.join("\n"));
}

main().catch((e) => {
  log(e instanceof Error ? e.message : String(e));
  stop(1);
});
