/**
 * Node tests of the feed's breaker states (`breaker.ts`).
 */
import { describe, expect, it } from "vitest";
import { breakerMayClear, closedBreaker, trippedBreaker } from "./breaker.ts";

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
