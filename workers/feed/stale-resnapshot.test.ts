/**
 * Node tests of the stale re-snapshot scheduler (`stale-resnapshot.ts`): per-market backoff
 * state and the decision which held books the heartbeat asks again for.
 */
import { describe, expect, it } from "vitest";
import type { StaleResnapshotInput } from "./stale-resnapshot.ts";
import { StaleResnapshots } from "./stale-resnapshot.ts";

const BOUNDS = { baseMs: 1_000, maxMs: 8_000, jitter: 0.2 };

function input(over: Partial<StaleResnapshotInput> & { nowMs: number }): StaleResnapshotInput {
  return {
    held: ["A", "B"],
    wanted: ["A", "B"],
    isFresh: () => false,
    random: () => 0,
    bounds: BOUNDS,
    ...over,
  };
}

describe("StaleResnapshots", () => {
  it("waits baseMs after first seeing a book stale before asking again", () => {
    const s = new StaleResnapshots();
    expect(s.due(input({ nowMs: 0 }))).toEqual([]);
    expect(s.entry("A")).toEqual({ sinceMs: 0, attempts: 0, dueMs: 1_000 });
    expect(s.due(input({ nowMs: 999 }))).toEqual([]);
    expect(s.due(input({ nowMs: 1_000 }))).toEqual(["A", "B"]);
  });

  it("doubles each market's wait after every request, up to maxMs", () => {
    const s = new StaleResnapshots();
    const held = ["A"];
    s.due(input({ held, nowMs: 0 }));
    const asked: number[] = [];
    for (let now = 0; now <= 40_000; now += 500)
      if (s.due(input({ held, nowMs: now })).length) asked.push(now);
    // attempt 1 waits 2 s, attempt 2 4 s, then 8 s (the cap) each time
    expect(asked).toEqual([1_000, 3_000, 7_000, 15_000, 23_000, 31_000, 39_000]);
    expect(s.entry("A")?.attempts).toBe(7);
  });

  it("adds jitter from the injected random, drawn once per market due", () => {
    const s = new StaleResnapshots();
    s.due(input({ nowMs: 0 }));
    const draws = [0.5, 0];
    let calls = 0;
    const random = () => {
      calls++;
      return draws.shift() ?? 0;
    };
    expect(s.due(input({ nowMs: 1_000, random }))).toEqual(["A", "B"]);
    expect(calls).toBe(2);
    expect(s.entry("A")?.dueMs).toBe(1_000 + 2_200);
    expect(s.entry("B")?.dueMs).toBe(1_000 + 2_000);
  });

  it("forgets a book once it is fresh, so its next staleness starts a new wait", () => {
    const s = new StaleResnapshots();
    s.due(input({ nowMs: 0 }));
    s.due(input({ nowMs: 1_000 }));
    expect(s.due(input({ nowMs: 2_000, isFresh: (t) => t === "A" }))).toEqual([]);
    expect(s.entry("A")).toBeUndefined();
    s.due(input({ nowMs: 5_000 }));
    expect(s.entry("A")).toEqual({ sinceMs: 5_000, attempts: 0, dueMs: 6_000 });
  });

  it("does not ask again for a market leaving the universe or no longer held", () => {
    const s = new StaleResnapshots();
    s.due(input({ nowMs: 0 }));
    expect(s.due(input({ nowMs: 1_000, wanted: ["B"] }))).toEqual(["B"]);
    expect(s.entry("A")).toBeUndefined();
    expect(s.due(input({ nowMs: 10_000, held: ["A"], wanted: ["A", "B"] }))).toEqual([]);
    expect(s.entry("B")).toBeUndefined();
  });

  it("forgets one dropped market or, after a lost socket, all of them", () => {
    const s = new StaleResnapshots();
    s.due(input({ nowMs: 0 }));
    s.forget("A");
    expect(s.entry("A")).toBeUndefined();
    expect(s.entry("B")).toBeDefined();
    s.clear();
    expect(s.entry("B")).toBeUndefined();
  });
});
