/**
 * Which `market_lifecycle_v2` frames change the market universe, pure. A market being created,
 * (de)activated, closed, settled or re-gridded can change which markets qualify, so the feed
 * runtime (`feed-runtime.ts`) brings its next universe refresh forward to the next heartbeat,
 * where bursts of events coalesce. Metadata-only updates do not count.
 */

/** Lifecycle event types that change which markets qualify. */
export const UNIVERSE_EVENTS: ReadonlySet<string> = new Set([
  "created",
  "activated",
  "deactivated",
  "close_date_updated",
  "closed",
  "determined",
  "settled",
  "price_level_structure_updated",
]);

/** Does this raw lifecycle frame change the universe? False when it cannot be read. */
export function changesUniverse(text: string): boolean {
  let eventType: unknown;
  try {
    const v = JSON.parse(text) as { msg?: { event_type?: unknown } };
    eventType = v.msg?.event_type;
  } catch {
    return false;
  }
  return typeof eventType === "string" && UNIVERSE_EVENTS.has(eventType);
}
