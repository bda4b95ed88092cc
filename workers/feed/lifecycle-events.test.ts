/**
 * Node tests of the lifecycle events that bring the universe refresh forward
 * (`lifecycle-events.ts`), on Kalshi's published `market_lifecycle_v2` examples.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { changesUniverse } from "./lifecycle-events.ts";

const FIXTURES = new URL("../../shared/kalshi/fixtures/", import.meta.url);
const fixtureText = (name: string) => readFileSync(new URL(`${name}.json`, FIXTURES), "utf8");

describe("changesUniverse", () => {
  it("brings the refresh forward for a created market", () => {
    expect(changesUniverse(fixtureText("ws_market_lifecycle_v2_created"))).toBe(true);
  });

  it("brings the refresh forward for a new price level structure", () => {
    expect(changesUniverse(fixtureText("ws_market_lifecycle_v2_price_level_structure_updated"))).toBe(true);
  });

  it("ignores a metadata-only update", () => {
    expect(changesUniverse(fixtureText("ws_market_lifecycle_v2_metadata_updated"))).toBe(false);
  });

  it.each(["activated", "deactivated", "close_date_updated", "closed", "determined", "settled"])(
    "brings the refresh forward for %s",
    (eventType) => {
      const v = JSON.parse(fixtureText("ws_market_lifecycle_v2_created")) as { msg: Record<string, unknown> };
      v.msg.event_type = eventType;
      expect(changesUniverse(JSON.stringify(v))).toBe(true);
    },
  );

  it("treats an unreadable frame or one without an event type as no change", () => {
    expect(changesUniverse("{not json")).toBe(false);
    expect(changesUniverse(JSON.stringify({ type: "market_lifecycle_v2", msg: {} }))).toBe(false);
    expect(changesUniverse("null")).toBe(false);
  });
});
