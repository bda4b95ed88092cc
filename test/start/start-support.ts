/**
 * Helpers for the tests of `scripts/start.mjs` and `scripts/reset-state.mjs`: run a script as a
 * child process from the repository root and collect what it printed, and hold a loopback port
 * open (or find a free one).
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";

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
