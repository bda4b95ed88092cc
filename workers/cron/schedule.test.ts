import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CRON, feedKeepAlive, jobFor } from "./schedule.ts";

describe("cron schedule", () => {
  it("lists exactly the crons that wrangler.toml triggers", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const line = /^crons\s*=\s*\[(.*)\]/m.exec(toml);
    expect(line).not.toBeNull();
    const crons = [...(line?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(crons.sort()).toEqual(Object.values(CRON).sort());
  });

  it("picks the job by its cron expression and refuses unknown ones", () => {
    expect(jobFor("*/5 * * * *")).toBe("feedKeepAlive");
    expect(jobFor("0 0 * * *")).toBeNull();
  });

  it("keep-alive starts the feed", async () => {
    let started = 0;
    await feedKeepAlive({ start: async () => (started += 1) });
    expect(started).toBe(1);
  });
});
