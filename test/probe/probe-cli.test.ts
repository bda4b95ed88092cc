/**
 * `npm run probe` refuses, with one line and exit code 2, what it cannot or must not run, before
 * anything reaches a network: the demo run without a key in the dev vars, production without the
 * real-money flag, a check id that does not exist.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { REAL_MONEY_FLAG } from "../../scripts/probe/args.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "probe-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--experimental-strip-types", "scripts/probe.ts", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (s: string) => s.split("\n").filter((l) => l.trim() !== "");

describe("npm run probe refuses before it connects", { timeout: 30_000 }, () => {
  it("a demo run without a dev vars file, naming the file, the keys and --sim", async () => {
    const missing = join(dir, "absent.vars");
    const r = await probe(["--dev-vars", missing]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`${missing} does not exist`);
    expect(r.stderr).toContain("KALSHI_KEY_ID and KALSHI_PRIVATE_KEY");
    expect(r.stderr).toContain("--sim");
  });

  it("a demo run whose dev vars hold no key", async () => {
    const empty = join(dir, "empty.vars");
    writeFileSync(empty, "ADMIN_TOKEN=x\n");
    const r = await probe(["--dev-vars", empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${empty} has no usable KALSHI_KEY_ID and KALSHI_PRIVATE_KEY`);
  });

  it("a key that is not a private key, without printing it", async () => {
    const bad = join(dir, "bad.vars");
    writeFileSync(
      bad,
      'KALSHI_KEY_ID=k1\nKALSHI_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\nbm90LWEta2V5\\n-----END PRIVATE KEY-----"\n',
    );
    const r = await probe(["--dev-vars", bad]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).not.toContain("bm90LWEta2V5");
  });

  it("production without the real-money flag, naming the flag", async () => {
    const r = await probe(["--target", "prod"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--${REAL_MONEY_FLAG}`);
  });

  it("a check id that does not exist", async () => {
    const r = await probe(["--sim", "--only", "no-such-check"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no-such-check");
  });
});
