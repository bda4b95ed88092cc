/**
 * Node tests of the feed's status builders (`feed-status.ts`): book freshness, subscription
 * silence rows, the liveness check's channel silences, and frame ages.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_FEED_CONFIG } from "./feed-config.ts";
import type { BookStatusInput } from "./feed-status.ts";
import {
  bookStatus,
  channelSilences,
  frameAgesByType,
  silenceLimitMs,
  subscriptionStatuses,
} from "./feed-status.ts";
import type { StoredBook } from "./ports.ts";
import type { LiveSubscriptions } from "./subscriptions.ts";

const TOP = { yesBid: 40, noBid: 55, yesBidSize: 10, noBidSize: 5 };

function view(over: Partial<StoredBook> = {}): StoredBook {
  return { fresh: true, staleReason: null, confirmedAtMs: 1_000, top: TOP, ...over };
}

function input(over: Partial<BookStatusInput> = {}): BookStatusInput {
  return {
    ticker: "KX-A",
    view: view(),
    sidHeardMs: undefined,
    socketOpen: true,
    maxBookAgeMs: 10_000,
    nowMs: 5_000,
    ...over,
  };
}

describe("bookStatus", () => {
  it("counts a fresh book heard within maxBookAgeMs on an open socket as fresh", () => {
    expect(bookStatus(input())).toEqual({ ticker: "KX-A", ageMs: 4_000, fresh: true, staleReason: null });
  });

  it("reports no book when the store has none or never updated it", () => {
    expect(bookStatus(input({ view: undefined }))).toEqual({
      ticker: "KX-A",
      ageMs: null,
      fresh: false,
      staleReason: "no book",
    });
    expect(bookStatus(input({ view: view({ confirmedAtMs: 0, staleReason: "no_snapshot" }) }))).toEqual({
      ticker: "KX-A",
      ageMs: null,
      fresh: false,
      staleReason: "no_snapshot",
    });
  });

  it("calls a book too old past maxBookAgeMs", () => {
    const b = bookStatus(input({ nowMs: 11_001 }));
    expect(b).toEqual({ ticker: "KX-A", ageMs: 10_001, fresh: false, staleReason: "too old" });
    expect(bookStatus(input({ nowMs: 11_000 })).fresh).toBe(true);
  });

  it("counts a later frame on the book's sid as proof the book is current", () => {
    const b = bookStatus(input({ nowMs: 20_000, sidHeardMs: 19_000 }));
    expect(b).toEqual({ ticker: "KX-A", ageMs: 1_000, fresh: true, staleReason: null });
  });

  it("calls every book stale while the socket is down", () => {
    expect(bookStatus(input({ socketOpen: false }))).toMatchObject({
      fresh: false,
      staleReason: "disconnected",
    });
  });

  it("keeps the store's own stale reason first", () => {
    expect(
      bookStatus(input({ view: view({ fresh: false, staleReason: "gap" }), socketOpen: false })),
    ).toMatchObject({
      fresh: false,
      staleReason: "gap",
    });
  });
});

const LIMITS = DEFAULT_FEED_CONFIG.channelSilenceMs;
const LIVE: LiveSubscriptions = {
  orderbook_delta: { sid: 1, markets: ["KX-A", "KX-B"] },
  fill: { sid: 2, markets: [] },
};

describe("subscription silence", () => {
  it("looks up a channel's limit and gives none to an unknown channel", () => {
    expect(silenceLimitMs("orderbook_delta", LIMITS)).toBe(LIMITS.orderbook_delta);
    expect(silenceLimitMs("fill", LIMITS)).toBeNull();
    expect(silenceLimitMs("nonsense", LIMITS)).toBeNull();
  });

  it("reports each live subscription's age and marks it silent at its limit", () => {
    const limit = LIMITS.orderbook_delta;
    if (limit === null) throw new Error("the default config limits orderbook_delta");
    const heard = (sid: number) => (sid === 1 ? 0 : 50);
    expect(subscriptionStatuses(LIVE, heard, LIMITS, limit)).toEqual([
      {
        channel: "orderbook_delta",
        sid: 1,
        markets: 2,
        lastFrameAgeMs: limit,
        silenceLimitMs: limit,
        silent: true,
      },
      {
        channel: "fill",
        sid: 2,
        markets: 0,
        lastFrameAgeMs: limit - 50,
        silenceLimitMs: null,
        silent: false,
      },
    ]);
    expect(subscriptionStatuses(LIVE, heard, LIMITS, limit - 1)[0]?.silent).toBe(false);
  });

  it("hands the liveness check only the channels that have a silence limit", () => {
    expect(channelSilences(LIVE, (sid) => sid * 100, LIMITS)).toEqual([
      { channel: "orderbook_delta", sinceMs: 100, limitMs: LIMITS.orderbook_delta },
    ]);
  });
});

describe("frameAgesByType", () => {
  it("gives each message type's age at now", () => {
    expect(frameAgesByType({ orderbook_delta: 900, ok: 400 }, 1_000)).toEqual({
      orderbook_delta: 100,
      ok: 600,
    });
  });
});
