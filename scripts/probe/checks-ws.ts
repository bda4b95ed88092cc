/**
 * WebSocket checks behind the feed's quiet-subscription proofs (`workers/feed/quiet-proof.ts`):
 *
 * - quiet proof: on a one-market `orderbook_delta` subscription (with `use_yes_price`), re-adding
 *   the market it already holds (`update_subscription add_markets`) answers `ok` with exactly the
 *   sid's next seq, and sends no second snapshot. That is what lets the heartbeat prove a quiet
 *   book current without waiting for a frame.
 * - command rate: how many such commands per second one subscription takes before error 27 (too
 *   many requests). The bot sends at most one per sid every 4 s; the probe starts there and goes
 *   up gently to a cap, stopping at the first error 27.
 */
import {
  listSubscriptionsCmd,
  subscribeCmd,
  updateSubscriptionCmd,
} from "../../shared/kalshi/ws-messages.ts";
import { noPlan } from "./checks-orders.ts";
import type { ProbeSocket, WsFrame } from "./socket.ts";
import { errorCode } from "./socket.ts";
import type { Check, CheckResult, ProbeContext } from "./types.ts";

export const REPLY_TIMEOUT_MS = 10_000;
/** The feed's `quietProofMs`: a proof goes out after this long without a frame, at most once per sid per period. */
export const QUIET_PROOF_MS = 4_000;
export const PROOFS = 3;

/** The rate-limit probe: commands per second and how many at each rate; the first is the bot's own rate. */
export const RATE_STAGES: readonly { perSecond: number; commands: number }[] = [
  { perSecond: 1 / 4, commands: 3 },
  { perSecond: 1, commands: 4 },
  { perSecond: 2, commands: 4 },
  { perSecond: 5, commands: 5 },
  { perSecond: 10, commands: 5 },
  { perSecond: 20, commands: 6 },
];
/** Pause between stages, so a token bucket behind error 27 refills. */
export const STAGE_COOLDOWN_MS = 3_000;

export const TOO_MANY_REQUESTS = 27;

interface Subscribed {
  socket: ProbeSocket;
  sid: number;
  ticker: string;
  snapshot: WsFrame;
}

async function subscribeBook(ctx: ProbeContext, ticker: string): Promise<Subscribed | { error: string }> {
  let socket: ProbeSocket;
  try {
    socket = await ctx.openSocket();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const id = socket.send((i) =>
    subscribeCmd(i, { channels: ["orderbook_delta"], marketTicker: ticker, useYesPrice: true }),
  );
  const reply = await socket.reply(id, REPLY_TIMEOUT_MS);
  if (reply === null)
    return { error: `no answer to subscribe within ${REPLY_TIMEOUT_MS} ms (${socket.closed ?? "open"})` };
  const sid = (reply.msg as { sid?: unknown } | null)?.sid;
  if (reply.type !== "subscribed" || typeof sid !== "number")
    return { error: `subscribe answered ${reply.type}: ${JSON.stringify(reply.msg)}` };
  const snapshot = await socket.waitFor(
    (f) => f.type === "orderbook_snapshot" && f.sid === sid,
    REPLY_TIMEOUT_MS,
  );
  if (snapshot === null)
    return { error: `no orderbook_snapshot on sid ${sid} within ${REPLY_TIMEOUT_MS} ms` };
  return { socket, sid, ticker, snapshot };
}

function readd(s: Subscribed): number {
  return s.socket.send((i) =>
    updateSubscriptionCmd(i, { sid: s.sid, action: "add_markets", marketTickers: [s.ticker] }),
  );
}

/** Frames on `sid` whose seq is not the one before it plus one. */
function gapsOn(socket: ProbeSocket, sid: number): WsFrame[] {
  return socket.frames.filter(
    (f) => f.sid === sid && f.seq !== undefined && f.prevSeq !== undefined && f.seq !== f.prevSeq + 1,
  );
}

function tickersOf(f: WsFrame): string[] {
  const t = (f.msg as { market_tickers?: unknown } | null)?.market_tickers;
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : [];
}

export const quietProofSeq: Check = {
  id: "quiet-proof-seq",
  assumption:
    "Re-adding a market an orderbook subscription already holds answers ok with exactly the sid's next seq (the quiet-book proof)",
  async run(ctx): Promise<CheckResult> {
    const expected =
      "each update_subscription add_markets of the held market answers ok carrying sid and seq = lastSeq + 1 and the ticker list; no second snapshot";
    const p = await ctx.plan();
    if (!p.ok) return noPlan(expected, p.reason);
    const s = await subscribeBook(ctx, p.plan.ticker);
    if ("error" in s) return { verdict: "could_not_check", expected, observed: s.error };
    const results: string[] = [];
    let ok = true;
    for (let k = 0; k < PROOFS; k++) {
      await ctx.sleep(QUIET_PROOF_MS);
      const id = readd(s);
      const r = await s.socket.reply(id, REPLY_TIMEOUT_MS);
      if (r === null) {
        return {
          verdict: "could_not_check",
          expected,
          observed: `no answer to re-add #${k + 1} within ${REPLY_TIMEOUT_MS} ms`,
        };
      }
      if (r.type !== "ok") {
        ok = false;
        results.push(`#${k + 1}: ${r.type} ${JSON.stringify(r.msg)}`);
        continue;
      }
      const exact =
        r.sid === s.sid && r.seq !== undefined && r.prevSeq !== undefined && r.seq === r.prevSeq + 1;
      const listed = tickersOf(r).includes(s.ticker);
      if (!exact || !listed) ok = false;
      results.push(
        `#${k + 1}: ok sid ${r.sid ?? "absent"} seq ${r.seq ?? "absent"} after ${r.prevSeq ?? "nothing"}${listed ? "" : " (ticker not listed)"}`,
      );
    }
    // Every command is answered in order: once list_subscriptions is answered, a snapshot the
    // re-adds caused would have arrived.
    const barrier = s.socket.send((i) => listSubscriptionsCmd(i));
    await s.socket.reply(barrier, REPLY_TIMEOUT_MS);
    const resent = s.socket.frames.filter(
      (f) => f.type === "orderbook_snapshot" && f.sid === s.sid && f.index > s.snapshot.index,
    ).length;
    const deltas = s.socket.frames.filter((f) => f.type === "orderbook_delta" && f.sid === s.sid).length;
    const gaps = gapsOn(s.socket, s.sid);
    const invalid = s.socket.invalidFrames();
    if (gaps.length > 0 || invalid.length > 0) ok = false;
    const observed = [
      `sid ${s.sid}, snapshot seq ${s.snapshot.seq ?? "absent"}`,
      ...results,
      `${deltas} delta(s) meanwhile`,
      resent === 0
        ? "no snapshot resent"
        : `${resent} snapshot(s) resent (harmless: the book store applies them)`,
      ...(gaps.length ? [`seq gaps at ${gaps.map((g) => `${g.prevSeq}->${g.seq}`).join(", ")}`] : []),
      ...(invalid.length
        ? [`${invalid.length} frame(s) failed the bot's schema: ${invalid[0]?.parseError}`]
        : []),
    ].join("; ");
    return { verdict: ok ? "pass" : "fail", expected, observed };
  },
};

/**
 * The answer to command `id`: its `ok` or `error`, or an error 27 that names no command (the spec
 * does not say whether a throttled command's error carries its id), received at or after `from`.
 */
function answerTo(socket: ProbeSocket, id: number, from: number): Promise<WsFrame | null> {
  return socket.waitFor(
    (f) =>
      (f.id === id && (f.type === "ok" || f.type === "error")) ||
      (f.id === undefined && errorCode(f) === TOO_MANY_REQUESTS),
    REPLY_TIMEOUT_MS,
    from,
  );
}

function rateLabel(perSecond: number): string {
  return perSecond < 1 ? `1 per ${1 / perSecond} s` : `${perSecond}/s`;
}

export const subscriptionCommandRate: Check = {
  id: "subscription-command-rate",
  assumption: "One subscription takes the bot's command rate (one re-add per sid every 4 s) without error 27",
  async run(ctx): Promise<CheckResult> {
    const cap = RATE_STAGES[RATE_STAGES.length - 1]?.perSecond ?? 0;
    const expected =
      ctx.target === "sim"
        ? `no error 27 at ${rateLabel(RATE_STAGES[0]?.perSecond ?? 0)}; the simulator enforces no per-subscription command rate, so none up to ${cap}/s`
        : `no error 27 at ${rateLabel(RATE_STAGES[0]?.perSecond ?? 0)}; the first rate that gets error 27 is reported (Kalshi publishes none; the probe stops at ${cap}/s)`;
    const p = await ctx.plan();
    if (!p.ok) return noPlan(expected, p.reason);
    const s = await subscribeBook(ctx, p.plan.ticker);
    if ("error" in s) return { verdict: "could_not_check", expected, observed: s.error };
    let sent = 0;
    let first27: { stage: number; command: number } | null = null;
    const otherErrors: string[] = [];
    for (let st = 0; st < RATE_STAGES.length && first27 === null; st++) {
      const stage = RATE_STAGES[st] as { perSecond: number; commands: number };
      if (st > 0) await ctx.sleep(STAGE_COOLDOWN_MS);
      const ids: number[] = [];
      const start = s.socket.frames.length;
      for (let i = 0; i < stage.commands; i++) {
        if (i > 0) await ctx.sleep(1000 / stage.perSecond);
        ids.push(readd(s));
        sent++;
      }
      for (let i = 0; i < ids.length; i++) {
        const r = await answerTo(s.socket, ids[i] as number, start);
        if (r === null) {
          if (st === 0)
            return {
              verdict: "could_not_check",
              expected,
              observed: `no answer at ${rateLabel(stage.perSecond)} (${s.socket.closed ?? "open"})`,
            };
          otherErrors.push(`no answer at ${rateLabel(stage.perSecond)}`);
          continue;
        }
        const code = errorCode(r);
        if (code === TOO_MANY_REQUESTS) {
          if (first27 === null) first27 = { stage: st, command: i + 1 };
        } else if (r.type !== "ok")
          otherErrors.push(`${rateLabel(stage.perSecond)}: ${r.type} ${JSON.stringify(r.msg)}`);
      }
    }
    let after = "";
    if (first27 !== null) {
      // Does the subscription survive an error 27? One more command after a cooldown.
      await ctx.sleep(STAGE_COOLDOWN_MS * 2);
      const from = s.socket.frames.length;
      const r = await answerTo(s.socket, readd(s), from);
      after = `; after ${(STAGE_COOLDOWN_MS * 2) / 1000} s the subscription answers ${r === null ? "nothing" : r.type === "ok" ? "ok again" : `${r.type} ${JSON.stringify(r.msg)}`}`;
    }
    const gaps = gapsOn(s.socket, s.sid);
    const limit =
      first27 === null
        ? `no error 27 up to ${cap}/s (${sent} commands)`
        : `first error 27 at ${rateLabel((RATE_STAGES[first27.stage] as { perSecond: number }).perSecond)} (command ${first27.command} of that burst)`;
    const gapText = gaps.map((g) => `${g.prevSeq}->${g.seq}`).join(", ");
    const observed = `${limit}${after}${otherErrors.length ? `; other answers: ${otherErrors.join(", ")}` : ""}${gaps.length ? `; seq gaps at ${gapText}${first27 ? " (after the error 27: the bot would resync that sid)" : ""}` : ""}`;
    const botRateOk = first27 === null || first27.stage > 0;
    // A gap with no error 27 is a broken seq stream; one after an error 27 is reported, not failed.
    const seqOk = gaps.length === 0 || first27 !== null;
    const invalid = s.socket.invalidFrames();
    return {
      verdict: botRateOk && seqOk && invalid.length === 0 ? "pass" : "fail",
      expected,
      observed: invalid.length
        ? `${observed}; ${invalid.length} frame(s) failed the bot's schema: ${invalid[0]?.parseError}`
        : observed,
    };
  },
};
