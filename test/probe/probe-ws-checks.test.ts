/**
 * The WebSocket checks' judgement on answers the simulator never gives: error 27 (Kalshi's
 * per-subscription command limit, which the simulator does not enforce) and an `ok` that skips a
 * seq. A small loopback WebSocket server answers in the shapes of Kalshi's AsyncAPI spec
 * (`subscribed`, `orderbook_snapshot`, `ok` with `sid`/`seq`/`market_tickers`, `error` with
 * `msg.code`), scripted per test.
 */
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { quietProofSeq, subscriptionCommandRate } from "../../scripts/probe/checks-ws.ts";
import { ProbeSocket } from "../../scripts/probe/socket.ts";
import type { Check, CheckResult, ProbeContext, ProbePlan } from "../../scripts/probe/types.ts";

const TICKER = "INXD-23SEP14-B4487";

interface Script {
  /** answer error 27 to every update_subscription after this many */
  limitAfter?: number;
  /** error 27 frames carry the command id */
  errorWithId?: boolean;
  /** seq numbers skipped before each ok */
  skip?: number;
}

/** Starts a scripted server, runs the check against it, then closes both ends. */
async function runAgainst(check: Check, script: Script): Promise<CheckResult> {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  server.on("connection", (ws) => {
    let seq = 0;
    let updates = 0;
    const send = (o: unknown) => ws.send(JSON.stringify(o));
    ws.on("message", (data) => {
      const cmd = JSON.parse(data.toString()) as { id: number; cmd: string };
      if (cmd.cmd === "subscribe") {
        send({ id: cmd.id, type: "subscribed", msg: { channel: "orderbook_delta", sid: 1 } });
        send({
          type: "orderbook_snapshot",
          sid: 1,
          seq: ++seq,
          msg: { market_ticker: TICKER, market_id: "m1" },
        });
      } else if (cmd.cmd === "update_subscription") {
        updates++;
        if (script.limitAfter !== undefined && updates > script.limitAfter) {
          const err = { type: "error", msg: { code: 27, msg: "Too many requests" } };
          send(script.errorWithId ? { id: cmd.id, ...err } : err);
          return;
        }
        seq += 1 + (script.skip ?? 0);
        send({ id: cmd.id, sid: 1, seq, type: "ok", msg: { market_tickers: [TICKER] } });
      } else if (cmd.cmd === "list_subscriptions") {
        send({ id: cmd.id, type: "ok", msg: [{ channel: "orderbook_delta", sid: 1 }] });
      }
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sockets: ProbeSocket[] = [];
  const plan = { ticker: TICKER, exchangeIndex: 0 } as ProbePlan;
  const ctx = {
    target: "demo",
    plan: async () => ({ ok: true, plan }),
    async openSocket() {
      const s = await ProbeSocket.open(url, {});
      sockets.push(s);
      return s;
    },
    sleep: async () => {},
  } as unknown as ProbeContext;
  try {
    return await check.run(ctx);
  } finally {
    for (const s of sockets) s.close();
    for (const c of server.clients) c.terminate();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe("the subscription command-rate check", { timeout: 30_000 }, () => {
  it("passes and names the first rate that got error 27 when the bot's rate got none", async () => {
    // The first stage (the bot's rate) sends 3 commands; the 4th, at 1/s, is refused.
    const r = await runAgainst(subscriptionCommandRate, { limitAfter: 3 });
    expect(r.verdict).toBe("pass");
    expect(r.observed).toContain("first error 27 at 1/s (command 1 of that burst)");
  });

  it("fails when the bot's own rate gets error 27, with or without the command's id", async () => {
    for (const errorWithId of [true, false]) {
      const r = await runAgainst(subscriptionCommandRate, { limitAfter: 1, errorWithId });
      expect(r.verdict).toBe("fail");
      expect(r.observed).toContain("first error 27 at 1 per 4 s (command 2 of that burst)");
    }
  });

  it("reports no error 27 up to its cap when none comes", async () => {
    const r = await runAgainst(subscriptionCommandRate, {});
    expect(r.verdict).toBe("pass");
    expect(r.observed).toContain("no error 27 up to 20/s");
  });
});

describe("the quiet-proof check", { timeout: 30_000 }, () => {
  it("passes when every re-add answers ok at exactly the next seq", async () => {
    const r = await runAgainst(quietProofSeq, {});
    expect(r.verdict).toBe("pass");
    expect(r.observed).toContain("#1: ok sid 1 seq 2 after 1");
  });

  it("fails when an ok skips a seq (the proof would see a gap)", async () => {
    const r = await runAgainst(quietProofSeq, { skip: 1 });
    expect(r.verdict).toBe("fail");
    expect(r.observed).toContain("#1: ok sid 1 seq 3 after 1");
  });

  it("fails when a re-add is refused", async () => {
    const r = await runAgainst(quietProofSeq, { limitAfter: 0, errorWithId: true });
    expect(r.verdict).toBe("fail");
    expect(r.observed).toContain("#1: error");
  });
});
