/**
 * Fuzzing of the feed's command session (`workers/feed/kalshi-session.ts`): with one command of
 * each kind pending, frames that look like replies (ids of every type and value, reply and data
 * types, damaged published replies, random JSON, bytes) go through `handleText`. Nothing may throw
 * out of it, even with handlers that throw; a frame settles at most one command, only the one
 * whose id it carries and only with a reply type Kalshi answers that command with; and the
 * commands it left alone still settle on their real replies afterwards.
 */
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CommandOutcome } from "../../workers/feed/kalshi-session.ts";
import { KalshiSession } from "../../workers/feed/kalshi-session.ts";
import type { Json } from "./support.ts";
import { damagedText, hostileValue, randomJsonText, runs } from "./support.ts";

const FIXTURES = new URL("../../shared/kalshi/fixtures/", import.meta.url);
const REPLY_FIXTURES: Json[] = readdirSync(FIXTURES)
  .filter((f) => /^ws_(subscribed|unsubscribed|ok_|error_)/.test(f))
  .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), "utf8")) as Json);

/** One command of each kind the feed sends, as ids 1..5 (https://docs.kalshi.com/websockets/websocket-connection). */
const COMMANDS = [
  { cmd: "subscribe", params: { channels: ["orderbook_delta"], market_tickers: ["FED-23DEC-T3.00"] } },
  { cmd: "update_subscription", params: { sid: 1, action: "add_markets", market_tickers: ["A"] } },
  { cmd: "unsubscribe", params: { sids: [2] } },
  { cmd: "list_subscriptions" },
  { cmd: "update_subscription", params: { sids: [1], action: "get_snapshot", market_tickers: ["A"] } },
] as const;

/** Reply types Kalshi answers each command with (an `error` answers any). */
const ANSWERS: Record<string, readonly string[]> = {
  subscribe: ["subscribed"],
  unsubscribe: ["unsubscribed"],
  update_subscription: ["ok", "orderbook_snapshot"],
  list_subscriptions: ["ok"],
};

/** The real reply to command `id`, Kalshi's published shape. */
function realReply(id: number): string {
  switch (COMMANDS[id - 1]?.cmd) {
    case "subscribe":
      return JSON.stringify({ id, type: "subscribed", msg: { channel: "orderbook_delta", sid: 1 } });
    case "unsubscribe":
      return JSON.stringify({ id, sid: 2, seq: 7, type: "unsubscribed" });
    default:
      return JSON.stringify({ id, type: "ok", msg: [] });
  }
}

const replyLike: fc.Arbitrary<string> = fc
  .record(
    {
      id: fc.oneof(
        fc.integer({ min: -1, max: 7 }),
        fc.constantFrom<unknown>(1.5, "1", "2", null, true, 1e300, -0, 2 ** 53, [1], { id: 1 }),
      ),
      type: fc.oneof(
        fc.constantFrom(
          "subscribed",
          "unsubscribed",
          "ok",
          "error",
          "orderbook_snapshot",
          "orderbook_delta",
          "fill",
          "trade",
          "ticker",
          "user_order",
          "market_lifecycle_v2",
        ),
        fc.string({ maxLength: 6 }),
        hostileValue,
      ),
      sid: fc.oneof(fc.integer({ min: 0, max: 3 }), hostileValue),
      seq: fc.oneof(fc.nat({ max: 9 }), hostileValue),
      msg: fc.oneof(
        fc.record({
          code: fc.oneof(fc.constantFrom(7, 10, 25), hostileValue),
          msg: fc.oneof(fc.string(), hostileValue),
        }),
        fc.record({ channel: fc.string(), sid: fc.oneof(fc.nat(), hostileValue) }),
        hostileValue,
      ),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

const anyFrame = fc.oneof(
  { weight: 4, arbitrary: replyLike },
  { weight: 3, arbitrary: damagedText(REPLY_FIXTURES) },
  { weight: 1, arbitrary: randomJsonText },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

/** Lets the session's resolved promises run their callbacks. */
const flush = () => new Promise<void>((r) => setImmediate(r));

function harness(throwing: boolean) {
  const session = new KalshiSession(
    { send: () => {}, close: () => {} },
    {
      onFrame: () => {
        if (throwing) throw new Error("frame handler bug");
        return true;
      },
      onClose: () => {},
      onServerError: () => {
        if (throwing) throw new Error("server-error handler bug");
      },
      onHandlerError: () => {
        if (throwing) throw new Error("error handler bug");
      },
    },
    { nowMs: () => 0, timeoutMs: 5_000, setTimer: () => () => {} },
  );
  const settled = new Map<number, CommandOutcome>();
  COMMANDS.forEach((c, i) => {
    void session.send(c.cmd, "params" in c ? c.params : undefined).then((o) => settled.set(i + 1, o));
  });
  return { session, settled };
}

function parsed(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

describe("KalshiSession.handleText under reply-looking frames", () => {
  it("never throws, settles only the command a frame's id and reply type answer, and leaves the rest to their replies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyFrame, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (frames, throwing) => {
          const { session, settled } = harness(throwing);
          await flush();
          for (const text of frames) {
            const before = new Set(settled.keys());
            expect(() => session.handleText(text)).not.toThrow();
            await flush();
            const now = [...settled.keys()].filter((id) => !before.has(id));
            expect(now.length, text).toBeLessThanOrEqual(1);
            const id = now[0];
            if (id === undefined) continue;
            const v = parsed(text);
            expect(v?.id, text).toBe(id);
            const outcome = settled.get(id);
            if (outcome?.ok === false) {
              expect(outcome.kind).toBe("error");
              expect(v?.type).toBe("error");
            } else {
              expect(ANSWERS[COMMANDS[id - 1]?.cmd ?? ""], text).toContain(v?.type);
            }
          }
          // Whatever came before, each command still left settles on its own reply.
          for (let id = 1; id <= COMMANDS.length; id++) {
            if (settled.has(id)) continue;
            session.handleText(realReply(id));
            await flush();
            expect(settled.get(id)?.ok, `command ${id}`).toBe(true);
          }
        },
      ),
      runs(150, 201),
    );
  });

  // Regression: a frame whose handler threw, reported to an error handler that threw too, threw
  // out of handleText (into the socket's message event).
  it("handles a frame when the frame handler and the error reporter both throw", () => {
    const { session } = harness(true);
    expect(() =>
      session.handleText('{"type":"error","sid":1,"msg":{"code":25,"msg":"overflow"}}'),
    ).not.toThrow();
  });

  // Regression: any frame with a pending command's id settled it, whatever its type, so a data
  // message carrying an `id` answered a subscribe and its real `subscribed` was then dropped.
  it.each([
    ["a subscribe", 1, { id: 1, type: "fill", msg: {} }],
    ["an add_markets", 2, { id: 2, type: "subscribed", msg: { channel: "trade", sid: 3 } }],
    ["an unsubscribe", 3, { id: 3, type: "ok", msg: { market_tickers: [] } }],
    ["a list_subscriptions", 4, { id: 4, type: "orderbook_snapshot", sid: 1, seq: 2, msg: {} }],
  ])("does not settle %s with a frame of a type that cannot answer it", async (_name, id, frame) => {
    const { session, settled } = harness(false);
    session.handleText(JSON.stringify(frame));
    await flush();
    expect(settled.has(id)).toBe(false);
    session.handleText(realReply(id));
    await flush();
    expect(settled.get(id)?.ok).toBe(true);
  });
});
