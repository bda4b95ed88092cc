/**
 * Helpers for the tests of `scripts/start.mjs` and `scripts/reset-state.mjs`: run a script as a
 * child process from the repository root and collect what it printed, hold a loopback port open
 * (or find a free one), and run a whole `npm start` session (`StartSession`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunState, readRunState } from "../../scripts/local-run.ts";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> ...args` from the repository root; kills it after `timeoutMs`. */
export function runScript(
  script: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Listens on a free loopback port; `close` releases it. */
export async function holdPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  if (typeof a !== "object" || a === null) throw new Error("no address");
  return { port: a.port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A port that was free a moment ago (the OS hands out ephemeral ports in turn). */
export async function freePort(): Promise<number> {
  const h = await holdPort();
  await h.close();
  return h.port;
}

/** Non-empty lines of some output. */
export function linesOf(s: string): string[] {
  return s.split("\n").filter((l) => l.trim() !== "");
}

/**
 * A live `scripts/start.mjs` session for the slow end-to-end tests: the Worker under `wrangler
 * dev` with the simulator, on free ports, in a fresh persist directory with an empty dev vars
 * file and the given ADMIN_TOKEN. It cannot hang a run: `until` has a deadline, a hard timer
 * stops the session, and `stop` signals the start script and then every process group it
 * spawned, whatever state they are in.
 */
export class StartSession {
  readonly token: string;
  readonly workerPort: number;
  readonly simPort: number;
  readonly persist: string;
  readonly #dir: string;
  readonly #child: ChildProcess;
  readonly #groups = new Set<number>();
  readonly #hardTimer: NodeJS.Timeout;
  #output = "";

  private constructor(opts: {
    token: string;
    workerPort: number;
    simPort: number;
    dir: string;
    hardDeadlineMs: number;
  }) {
    this.token = opts.token;
    this.workerPort = opts.workerPort;
    this.simPort = opts.simPort;
    this.#dir = opts.dir;
    this.persist = join(opts.dir, "state");
    const devVars = join(opts.dir, "empty.vars");
    writeFileSync(devVars, "");
    const args = ["scripts/start.mjs", "--port", String(this.workerPort), "--sim-port", String(this.simPort)];
    args.push("--persist-to", this.persist, "--dev-vars", devVars, "--markets", "6");
    this.#child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ADMIN_TOKEN: this.token },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (this.#child.pid) this.#groups.add(this.#child.pid);
    this.#child.stdout?.on("data", (c: Buffer) => (this.#output += c.toString()));
    this.#child.stderr?.on("data", (c: Buffer) => (this.#output += c.toString()));
    this.#hardTimer = setTimeout(() => void this.stop(), opts.hardDeadlineMs);
    this.#hardTimer.unref();
  }

  static async start(name: string, token: string, hardDeadlineMs: number): Promise<StartSession> {
    const dir = mkdtempSync(join(tmpdir(), `${name}-`));
    return new StartSession({
      token,
      workerPort: await freePort(),
      simPort: await freePort(),
      dir,
      hardDeadlineMs,
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.workerPort}`;
  }

  /** Everything the session printed so far. */
  get output(): string {
    return this.#output;
  }

  /** A process group to kill at `stop` besides the script's own (a simulator it started again). */
  track(pid: number | null | undefined): void {
    if (pid) this.#groups.add(pid);
  }

  /** Polls `probe` until it returns a value, or fails with `what` at the deadline. */
  async until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null)
        throw new Error(`npm start exited while waiting for ${what}:\n${this.#output}`);
      const v = await probe().catch(() => undefined);
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`timed out waiting for ${what}:\n${this.#output.slice(-4000)}`);
  }

  /** A request to the admin API with the session's token. */
  api(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  }

  /** The start script's run-state file (the Worker's and the simulator's pids). */
  runState(): RunState {
    const s = readRunState(this.persist);
    if (!s) throw new Error(`no run-state file in ${this.persist}`);
    return s;
  }

  /** Stops the session: the start script first, then every group it spawned; removes its directory. */
  async stop(): Promise<void> {
    clearTimeout(this.#hardTimer);
    const s = readRunState(this.persist);
    for (const pid of [s?.workerPid, s?.simPid]) this.track(pid);
    const child = this.#child;
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      killGroup(child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    for (const pid of this.#groups) killGroup(pid, "SIGKILL");
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already
  }
}
