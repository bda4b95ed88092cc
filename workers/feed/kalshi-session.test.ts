/**
 * Node tests of KalshiSession against a fake socket and Kalshi's published reply examples.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ServerError } from "./kalshi-session.ts";
import { KalshiSession } from "./kalshi-session.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../shared/kalshi/fixtures/${name}`, import.meta.url), "utf8");

function harness() {
  const sent: string[] = [];
  const frames: string[] = [];
  const closes: [number, string][] = [];
  const serverErrors: ServerError[] = [];
  let now = 1_000;
  let closed = false;
  const socket = {
    send: (s: string) => {
      if (closed) throw new Error("closed");
      sent.push(s);
    },
    close: () => {
      closed = true;
    },
  };
  const session = new KalshiSession(
    socket,
    {
      onFrame: (t) => {
        frames.push(t);
        if (t === "boom") throw new Error("handler bug");
      },
      onClose: (c, r) => closes.push([c, r]),
      onServerError: (e) => serverErrors.push(e),
    },
    { nowMs: () => now, timeoutMs: 5_000, setTimer: () => () => {} },
  );
  return { session, sent, frames, closes, serverErrors, tick: (ms: number) => (now += ms) };
}

describe("KalshiSession", () => {
  it("numbers commands from 1 and sends the Kalshi envelope", async () => {
    const h = harness();
    void h.session.send("subscribe", { channels: ["orderbook_delta"], market_ticker: "CPI-22DEC-TN0.1" });
    void h.session.send("list_subscriptions");
    expect(h.sent.map((s) => JSON.parse(s))).toEqual([
      {
        id: 1,
        cmd: "subscribe",
        params: { channels: ["orderbook_delta"], market_ticker: "CPI-22DEC-TN0.1" },
      },
      { id: 2, cmd: "list_subscriptions" },
    ]);
  });

  it("resolves a command with the reply that carries its id", async () => {
    const h = harness();
    const p = h.session.send("subscribe", { channels: ["orderbook_delta"] });
    h.session.handleText(fixture("ws_subscribed.json"));
    expect(await p).toEqual({
      ok: true,
      reply: { id: 1, type: "subscribed", msg: { channel: "orderbook_delta", sid: 1 } },
    });
  });

  it("passes every frame to onFrame, replies included", () => {
    const h = harness();
    h.session.handleText(fixture("ws_orderbook_delta.json"));
    h.session.handleText(fixture("ws_subscribed.json"));
    expect(h.frames).toHaveLength(2);
  });

  it("settles an error reply as an error with Kalshi's code", async () => {
    const h = harness();
    for (let i = 0; i < 122; i++) void h.session.send("list_subscriptions");
    const p = h.session.send("update_subscription", { sids: [9] });
    h.session.handleText(fixture("ws_error_unknown_subscription.json"));
    expect(await p).toEqual({ ok: false, kind: "error", code: 7, message: "Unknown subscription ID" });
  });

  it("reports an error nobody waits for to onServerError, with its id and a sample", () => {
    const h = harness();
    const text = fixture("ws_error_unknown_subscription.json");
    h.session.handleText(text);
    expect(h.serverErrors).toEqual([
      { code: 7, message: "Unknown subscription ID", id: 123, sample: text.slice(0, 200) },
    ]);
  });

  // Regression: subscription-scoped errors come without a command id and used to be ignored.
  it("routes an error frame without a command id, with its sid, to onServerError", async () => {
    const h = harness();
    const pending = h.session.send("list_subscriptions");
    const { id: _id, ...err } = JSON.parse(fixture("ws_error_unknown_subscription.json")) as Record<
      string,
      unknown
    >;
    const frame = JSON.stringify({
      ...err,
      sid: 4,
      seq: 9,
      msg: { code: 25, msg: "Subscription buffer overflow" },
    });
    h.session.handleText(frame);
    h.session.handleText(JSON.stringify({ ...err, id: 0, msg: { code: 10, msg: "Channel error" } }));
    expect(h.serverErrors).toEqual([
      { code: 25, message: "Subscription buffer overflow", sid: 4, sample: frame },
      expect.objectContaining({ code: 10, message: "Channel error" }),
    ]);
    expect(h.serverErrors[1]?.sid).toBeUndefined();
    expect(h.session.pendingCount).toBe(1); // the id-less error settled nothing
    h.session.handleText(fixture("ws_ok_list_subscriptions.json").replace(/"id":\s*\d+/, '"id": 1'));
    expect((await pending).ok).toBe(true);
  });

  it("times a command out at its deadline, not before", async () => {
    const h = harness();
    const p = h.session.send("list_subscriptions");
    h.tick(4_999);
    expect(h.session.expire(1_000 + 4_999)).toBe(0);
    expect(h.session.expire(1_000 + 5_000)).toBe(1);
    expect(await p).toEqual({ ok: false, kind: "timeout" });
    expect(h.session.pendingCount).toBe(0);
  });

  it("settles pending commands as closed and reports the close once", async () => {
    const h = harness();
    const p = h.session.send("list_subscriptions");
    h.session.handleClose(1006, "gone");
    h.session.handleClose(1006, "gone");
    expect(await p).toEqual({ ok: false, kind: "closed" });
    expect(h.closes).toEqual([[1006, "gone"]]);
    expect(await h.session.send("list_subscriptions")).toEqual({ ok: false, kind: "closed" });
  });

  it("survives malformed frames and a throwing frame handler", () => {
    const h = harness();
    for (const t of ["boom", "{", '{"id":', '{"id":"x","type":1}', "[1,2]", '{"id":5,"type":"ok"}', "null"]) {
      expect(() => h.session.handleText(t)).not.toThrow();
    }
    expect(h.frames).toHaveLength(7);
  });
});
