/**
 * Node tests of the trading-day windows (`trading-day.ts`), across both 2026 US daylight saving
 * switches (Sunday 8 March 02:00 EST -> 03:00 EDT, Sunday 1 November 02:00 EDT -> 01:00 EST).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addDays,
  dayBounds,
  localInstant,
  parseDay,
  parseLocalTime,
  tradingDayOf,
  wallClockOf,
} from "./trading-day.ts";

const NY = "America/New_York";
const HOUR = 3_600_000;
const iso = (s: string) => Date.parse(s);

describe("dayBounds", () => {
  it.each([
    ["2026-03-07", "2026-03-07T05:00:00Z", "2026-03-08T05:00:00Z", 24],
    ["2026-03-08", "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", 23],
    ["2026-03-09", "2026-03-09T04:00:00Z", "2026-03-10T04:00:00Z", 24],
    ["2026-10-31", "2026-10-31T04:00:00Z", "2026-11-01T04:00:00Z", 24],
    ["2026-11-01", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", 25],
    ["2026-11-02", "2026-11-02T05:00:00Z", "2026-11-03T05:00:00Z", 24],
    ["2026-12-31", "2026-12-31T05:00:00Z", "2027-01-01T05:00:00Z", 24],
  ])("New York day %s runs from %s to %s (%i hours)", (day, start, end, hours) => {
    const b = dayBounds(day, NY);
    expect(b).toEqual({ startMs: iso(start), endMs: iso(end) });
    expect((b.endMs - b.startMs) / HOUR).toBe(hours);
  });

  it("follows the zone it is given", () => {
    expect(dayBounds("2026-03-29", "Europe/London")).toEqual({
      startMs: iso("2026-03-29T00:00:00Z"),
      endMs: iso("2026-03-29T23:00:00Z"),
    });
    expect(dayBounds("2026-06-01", "UTC")).toEqual({
      startMs: iso("2026-06-01T00:00:00Z"),
      endMs: iso("2026-06-02T00:00:00Z"),
    });
  });

  it("starts a day whose midnight is skipped at the moment the clocks jump", () => {
    // America/Santiago moves 00:00 -> 01:00 on the first Sunday of September: the day starts at 01:00.
    const { startMs } = dayBounds("2026-09-06", "America/Santiago");
    expect(tradingDayOf(startMs, "America/Santiago")).toBe("2026-09-06");
    expect(tradingDayOf(startMs - 1, "America/Santiago")).toBe("2026-09-05");
    expect(wallClockOf(startMs, "America/Santiago").minutes).toBe(60);
  });

  it("rejects a day that is not a calendar date", () => {
    expect(() => dayBounds("2026-02-30", NY)).toThrow(/not a calendar date/);
    expect(() => dayBounds("2026-3-9", NY)).toThrow(/not YYYY-MM-DD/);
  });

  it("holds every instant inside its own day's window, in any zone", () => {
    const zones = [
      "America/New_York",
      "America/Chicago",
      "Europe/London",
      "Australia/Sydney",
      "Asia/Kolkata",
      "UTC",
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: iso("2025-12-01T00:00:00Z"), max: iso("2027-01-31T00:00:00Z") }),
        fc.constantFrom(...zones),
        (ms, tz) => {
          const day = tradingDayOf(ms, tz);
          const { startMs, endMs } = dayBounds(day, tz);
          expect(startMs).toBeLessThanOrEqual(ms);
          expect(ms).toBeLessThan(endMs);
          expect(tradingDayOf(startMs - 1, tz)).toBe(addDays(day, -1));
          expect(tradingDayOf(endMs, tz)).toBe(addDays(day, 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("tradingDayOf", () => {
  it.each([
    ["2026-03-08T04:59:59.999Z", "2026-03-07"],
    ["2026-03-08T05:00:00.000Z", "2026-03-08"],
    ["2026-03-09T03:59:59.999Z", "2026-03-08"],
    ["2026-03-09T04:00:00.000Z", "2026-03-09"],
    ["2026-11-02T04:59:59.999Z", "2026-11-01"],
    ["2026-11-02T05:00:00.000Z", "2026-11-02"],
  ])("puts %s in New York day %s", (at, day) => {
    expect(tradingDayOf(iso(at), NY)).toBe(day);
  });
});

describe("localInstant", () => {
  it("takes the first of the two 01:30s on the fall-back day", () => {
    expect(localInstant("2026-11-01", 90, NY)).toBe(iso("2026-11-01T05:30:00Z"));
  });

  it("takes the jump for a time the spring-forward day skips", () => {
    expect(localInstant("2026-03-08", 150, NY)).toBe(iso("2026-03-08T07:00:00Z"));
  });
});

describe("parsing", () => {
  it.each([
    ["00:00", 0],
    ["07:00", 420],
    ["23:59", 1439],
  ])("reads local time %s as %i minutes", (s, m) => {
    expect(parseLocalTime(s)).toBe(m);
  });

  it.each(["24:00", "7:00", "12:60", "", "12:00:00"])("refuses local time %j", (s) => {
    expect(() => parseLocalTime(s)).toThrow(RangeError);
  });

  it("reads a leap day and refuses a day that does not exist", () => {
    expect(parseDay("2028-02-29")).toBe(iso("2028-02-29T00:00:00Z"));
    expect(() => parseDay("2026-02-29")).toThrow(RangeError);
  });

  it("adds days across month and year ends", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
  });
});
