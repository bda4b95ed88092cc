/**
 * Node tests of the feed's breaker states and entry gate (`breaker.ts`).
 */
import { describe, expect, it } from "vitest";
import { breakerMayClear, closedBreaker, entriesAllowed, trippedBreaker } from "./breaker.ts";

describe("breaker", () => {
  it("records the reason and the time it tripped", () => {
    expect(trippedBreaker("feed silent for 30000 ms", 5_000)).toEqual({
      tripped: true,
      reason: "feed silent for 30000 ms",
      sinceMs: 5_000,
    });
  });

  it("starts closed with no reason and no time", () => {
    expect(closedBreaker()).toEqual({ tripped: false, reason: null, sinceMs: null });
  });

  it.each([
    [true, true, true, true],
    [true, false, true, false],
    [true, true, false, false],
    [false, true, true, false],
  ])("tripped %s, socket open %s, books fresh %s: may clear %s", (tripped, open, fresh, want) => {
    const b = tripped ? trippedBreaker("down", 0) : closedBreaker();
    expect(breakerMayClear(b, open, () => fresh)).toBe(want);
  });

  it("does not walk the books while the socket is down", () => {
    let asked = 0;
    const fresh = () => {
      asked++;
      return true;
    };
    breakerMayClear(trippedBreaker("down", 0), false, fresh);
    breakerMayClear(closedBreaker(), true, fresh);
    expect(asked).toBe(0);
  });
});

describe("entriesAllowed", () => {
  const ok = { running: true, breaker: closedBreaker(), socketOpen: true, synced: true };
  it("allows entries on a running, synced, open feed with the breaker closed", () => {
    expect(entriesAllowed(ok)).toBe(true);
  });
  it.each([
    ["stopped", { running: false }],
    ["the breaker tripped", { breaker: trippedBreaker("down", 0) }],
    ["the socket not open", { socketOpen: false }],
    ["subscriptions not synced", { synced: false }],
  ])("refuses entries with %s", (_why, over) => {
    expect(entriesAllowed({ ...ok, ...over })).toBe(false);
  });
});
