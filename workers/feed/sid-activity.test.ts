/**
 * Node tests of the per-sid bookkeeping (`sid-activity.ts`): frames, data silence, pending
 * snapshots and proofs, as the quiet-proof decision and the silence limits read them.
 */
import { describe, expect, it } from "vitest";
import { SidActivity } from "./sid-activity.ts";

describe("SidActivity", () => {
  it("counts silence from the subscription until the sid's first data frame, else from now", () => {
    const a = new SidActivity();
    expect(a.heardDataMs(7, 500)).toBe(500);
    a.subscribed(7, 100);
    expect(a.heardDataMs(7, 500)).toBe(100);
    a.frame(7, "orderbook_delta", 300);
    expect(a.heardDataMs(7, 500)).toBe(300);
  });

  it("lets an ok reply prove the sid current without counting as data", () => {
    const a = new SidActivity();
    a.subscribed(7, 100);
    a.frame(7, "ok", 400);
    expect(a.lastFrameMs(7)).toBe(400);
    expect(a.heardDataMs(7, 500)).toBe(100);
  });

  it("ignores frames without a sid", () => {
    const a = new SidActivity();
    a.frame(0, "error", 400);
    expect(a.lastFrameMs(0)).toBeUndefined();
  });

  it("reports a resync pending until every get_snapshot on the sid settles", () => {
    const a = new SidActivity();
    a.snapshotSent(7);
    a.snapshotSent(7);
    expect(a.quietSid(7, ["A"], 0).resyncPending).toBe(true);
    a.snapshotSettled(7);
    expect(a.quietSid(7, ["A"], 0).resyncPending).toBe(true);
    a.snapshotSettled(7);
    expect(a.quietSid(7, ["A"], 0).resyncPending).toBe(false);
    a.snapshotSettled(7); // a late settle after the count reached zero stays at zero
    a.snapshotSent(7);
    a.snapshotSettled(7);
    expect(a.quietSid(7, ["A"], 0).resyncPending).toBe(false);
  });

  it("describes the sid for the quiet-proof decision from its last frame, ok replies included", () => {
    const a = new SidActivity();
    expect(a.quietSid(7, ["A", "B"], 900)).toEqual({
      sid: 7,
      heardMs: 900,
      markets: ["A", "B"],
      lastProofSentMs: null,
      proofInFlight: false,
      resyncPending: false,
    });
    a.subscribed(7, 100);
    expect(a.quietSid(7, [], 900).heardMs).toBe(100);
    a.frame(7, "ok", 600);
    expect(a.quietSid(7, [], 900).heardMs).toBe(600);
  });

  it("shows a proof in flight until its record is marked answered", () => {
    const a = new SidActivity();
    const p = a.proofSent(7, 250);
    expect(a.quietSid(7, ["A"], 300)).toMatchObject({ lastProofSentMs: 250, proofInFlight: true });
    p.inFlight = false;
    expect(a.quietSid(7, ["A"], 300)).toMatchObject({ lastProofSentMs: 250, proofInFlight: false });
  });

  it("forgets one sid on a resubscribe and every sid with the socket", () => {
    const a = new SidActivity();
    for (const sid of [7, 8]) {
      a.subscribed(sid, 100);
      a.frame(sid, "orderbook_delta", 200);
      a.proofSent(sid, 300);
      a.snapshotSent(sid);
    }
    a.forget(7);
    expect(a.lastFrameMs(7)).toBeUndefined();
    expect(a.heardDataMs(7, 999)).toBe(999);
    expect(a.quietSid(7, [], 999)).toMatchObject({ lastProofSentMs: null, resyncPending: false });
    expect(a.lastFrameMs(8)).toBe(200);
    a.clear();
    expect(a.lastFrameMs(8)).toBeUndefined();
    expect(a.quietSid(8, [], 999)).toMatchObject({
      heardMs: 999,
      lastProofSentMs: null,
      resyncPending: false,
    });
  });
});
