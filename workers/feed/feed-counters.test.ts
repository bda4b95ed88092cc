/**
 * Node tests of the feed's counters and log-once helper (`feed-counters.ts`).
 */
import { describe, expect, it } from "vitest";
import { FeedCounters, LOG_SAMPLE_CHARS } from "./feed-counters.ts";

function withLog() {
  const lines: { event: string; data?: Record<string, unknown> }[] = [];
  const c = new FeedCounters((event, data) => lines.push({ event, data }));
  return { c, lines };
}

describe("FeedCounters", () => {
  it("starts a counter at the amount first added and sums later additions", () => {
    const { c } = withLog();
    c.count("probes");
    c.count("probes");
    c.count("stale_resnapshots", 3);
    expect(c.snapshot()).toEqual({ probes: 2, stale_resnapshots: 3 });
  });

  it("hands out a copy that later counts do not change", () => {
    const { c } = withLog();
    c.count("a");
    const snap = c.snapshot();
    c.count("a");
    expect(snap).toEqual({ a: 1 });
  });

  it("logs each kind once but counts every occurrence as log_<kind>", () => {
    const { c, lines } = withLog();
    c.logOnce("proof_failed", "first");
    c.logOnce("proof_failed", "second");
    c.logOnce("handler_error", "boom");
    expect(lines).toEqual([
      { event: "feed.once", data: { kind: "proof_failed", sample: "first" } },
      { event: "feed.once", data: { kind: "handler_error", sample: "boom" } },
    ]);
    expect(c.snapshot()).toEqual({ log_proof_failed: 2, log_handler_error: 1 });
  });

  it("cuts the logged sample to 200 characters", () => {
    const { c, lines } = withLog();
    c.logOnce("big", "x".repeat(500));
    expect(LOG_SAMPLE_CHARS).toBe(200);
    expect(lines[0]?.data?.sample).toBe("x".repeat(200));
  });
});
