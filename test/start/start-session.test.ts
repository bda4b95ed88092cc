/**
 * One scripted `npm start` session (slow: a real `wrangler dev`). It shows that the local stack
 * survives its parts: the simulator is killed, the start script restarts it on the same port,
 * and the Worker, still the same wrangler process, reconnects its feed by itself. Regression:
 * the start script used to stop everything when the simulator exited.
 *
 * The session runs in a fresh persist directory with an empty dev vars file and an ADMIN_TOKEN
 * of its own. It cannot hang CI: every wait has a deadline, a hard timer kills the session, and
 * afterAll signals the start script and then every process group it spawned, whatever happened.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive, type RunState, readRunState } from "../../scripts/local-run.ts";
import { freePort, REPO_ROOT } from "./start-support.ts";

const HARD_DEADLINE_MS = 280_000;
const TOKEN = `session-${process.pid}-token`;

let dir: string;
let persist: string;
let child: ChildProcess | undefined;
let output = "";
let workerPort: number;
let simPort: number;
let hardTimer: NodeJS.Timeout | undefined;
const groups = new Set<number>();

interface Status {
  running: boolean;
  socket: string;
  openedAtMs: number | null;
}

/** Polls `probe` until it returns a value, or fails with `what` at the deadline. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child?.exitCode !== null) throw new Error(`npm start exited while waiting for ${what}:\n${output}`);
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}:\n${output.slice(-4000)}`);
}

async function status(): Promise<Status | undefined> {
  const r = await fetch(`http://127.0.0.1:${workerPort}/api/status`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(5000),
  });
  return r.ok ? ((await r.json()) as { feed: Status }).feed : undefined;
}

function runState(): RunState {
  const s = readRunState(persist);
  if (!s) throw new Error(`no run-state file in ${persist}`);
  return s;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already
  }
}

/** Stops the session whatever state it is in: the start script first, then every group it spawned. */
async function cleanup(): Promise<void> {
  clearTimeout(hardTimer);
  const s = readRunState(persist);
  for (const pid of [s?.workerPid, s?.simPid]) if (pid) groups.add(pid);
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child?.once("exit", () => r()));
    killGroup(child.pid, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  for (const pid of groups) killGroup(pid, "SIGKILL");
  if (child?.pid) killGroup(child.pid, "SIGKILL");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "start-session-"));
  persist = join(dir, "state");
  const devVars = join(dir, "empty.vars");
  writeFileSync(devVars, "");
  workerPort = await freePort();
  simPort = await freePort();
  const args = ["scripts/start.mjs", "--port", String(workerPort), "--sim-port", String(simPort)];
  args.push("--persist-to", persist, "--dev-vars", devVars, "--markets", "6");
  child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ADMIN_TOKEN: TOKEN },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid) groups.add(child.pid);
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  hardTimer = setTimeout(() => void cleanup(), HARD_DEADLINE_MS);
  hardTimer.unref();
}, 30_000);

afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("an npm start session", () => {
  it(
    "restarts a killed simulator on its port while the same Worker reconnects its feed",
    async () => {
      await until("/health", 150_000, async () => {
        const r = await fetch(`http://127.0.0.1:${workerPort}/health`, { signal: AbortSignal.timeout(3000) });
        return r.ok ? true : undefined;
      });
      const first = await until("the feed's socket to open", 60_000, async () => {
        const s = await status();
        return s?.socket === "open" && s.openedAtMs !== null ? s : undefined;
      });
      const before = runState();
      expect(before.workerPid).not.toBeNull();
      expect(before.simPid).not.toBeNull();
      const workerPid = before.workerPid ?? 0;
      const simPid = before.simPid ?? 0;
      groups.add(simPid);

      // The banner names where the token came from and never prints it.
      expect(output).toContain("Authorization: Bearer <$ADMIN_TOKEN>");
      expect(output).not.toContain(TOKEN);

      // Routine polling shows once, not once per poll.
      for (let i = 0; i < 5; i++) await status();

      process.kill(simPid, "SIGKILL");

      const after = await until("a new simulator on the same port", 60_000, async () => {
        const s = readRunState(persist);
        if (!s?.simPid || s.simPid === simPid) return undefined;
        const r = await fetch(`http://127.0.0.1:${simPort}/_sim/state`, {
          signal: AbortSignal.timeout(3000),
        });
        return r.ok ? s : undefined;
      });
      groups.add(after.simPid ?? 0);
      const reopened = await until("the feed to reconnect", 90_000, async () => {
        const s = await status();
        return s?.socket === "open" && s.openedAtMs !== null && s.openedAtMs > (first.openedAtMs ?? 0)
          ? s
          : undefined;
      });

      expect(reopened.running).toBe(true);
      expect(after.workerPid).toBe(workerPid);
      expect(isAlive(workerPid)).toBe(true);
      expect(after.simRestarts).toBe(1);
      const startLines = output.split("\n").filter((l) => l.startsWith("[start] "));
      expect(startLines.filter((l) => l.includes("simulator exited"))).toHaveLength(1);
      expect(startLines.filter((l) => l.includes("simulator back on port"))).toHaveLength(1);
      expect(output.match(/GET \/api\/status 200/g)?.length).toBe(1);
    },
    HARD_DEADLINE_MS,
  );
});
