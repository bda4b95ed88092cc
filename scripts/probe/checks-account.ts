/**
 * Checks that place nothing: the account's rate limits (the limiter sizes itself from them), the
 * freshness of `GET /exchange/user_data_timestamp` (the order path trusts the orders list once it
 * passes an order's send time), and how old a signed timestamp may be (the bot prepares order
 * signatures up to 5 s ahead, `PresigningSigner` maxAgeMs).
 */
import type { RequestSigner } from "../../shared/kalshi/rest-client.ts";
import type { Check, CheckResult, ProbeContext } from "./types.ts";

/** The bot's prepared-signature age limit (`PresigningSigner`'s default maxAgeMs). */
export const PRESIGN_MAX_AGE_MS = 5_000;

/** The simulator refuses timestamps more than 30 s from its clock (sim/README.md). */
export const SIM_MAX_SKEW_MS = 30_000;

/** How far behind `user_data_timestamp` may be before the order path's lookups wait too long. */
export const USER_DATA_MAX_LAG_MS = 30_000;

function couldNot(expected: string, why: string): CheckResult {
  return { verdict: "could_not_check", expected, observed: why };
}

export const accountLimits: Check = {
  id: "account-limits",
  assumption:
    "GET /account/limits and /account/endpoint_costs answer in the shapes the rate limiter sizes itself from",
  async run(ctx) {
    const expected =
      ctx.target === "sim"
        ? "both parse; the simulator serves Basic: read 200/s (bucket 400), write 100/s (bucket 100), create 10 tokens"
        : "both parse; Basic is read 200/s, write 100/s; a V2 create costs 10 tokens, a cancel 2";
    const limits = await ctx.rest.getAccountLimits();
    const costs = await ctx.rest.getEndpointCosts();
    if (!limits.ok)
      return { verdict: "fail", expected, observed: `GET /account/limits: ${limits.failure.message}` };
    if (!costs.ok)
      return { verdict: "fail", expected, observed: `GET /account/endpoint_costs: ${costs.failure.message}` };
    // What the bot does at start: size the limiter from both.
    ctx.limiter.configure(limits.value, costs.value);
    const l = limits.value;
    const cost = (method: string, path: string): number =>
      costs.value.endpoint_costs.find((c) => c.method === method && c.path.endsWith(path))?.cost ??
      costs.value.default_cost;
    return {
      verdict: "pass",
      expected,
      observed: `tier ${l.usage_tier}: read ${l.read.refill_rate}/s (bucket ${l.read.bucket_capacity}), write ${l.write.refill_rate}/s (bucket ${l.write.bucket_capacity}); create costs ${cost("POST", "/portfolio/events/orders")}, cancel ${cost("DELETE", "/portfolio/events/orders/{order_id}")}, default ${costs.value.default_cost}`,
    };
  },
};

export const userDataTimestamp: Check = {
  id: "user-data-timestamp",
  assumption:
    "GET /exchange/user_data_timestamp answers a recent time (unknown orders are looked up once it passes their send)",
  async run(ctx) {
    const expected =
      ctx.target === "sim"
        ? "as_of_time is the exchange's current time (the simulator's REST view never lags)"
        : `as_of_time at most ${USER_DATA_MAX_LAG_MS / 1000} s behind this machine's clock and not ahead of it by more than 5 s`;
    const before = ctx.nowMs();
    const r = await ctx.rest.getUserDataTimestamp();
    const after = ctx.nowMs();
    if (!r.ok) return { verdict: "fail", expected, observed: r.failure.message };
    const lag = before - r.value;
    const ahead = r.value - after;
    const observed = `as_of_time ${new Date(r.value).toISOString()}: ${lag >= 0 ? `${lag} ms behind` : `${-lag} ms ahead of`} the request`;
    const ok = lag <= USER_DATA_MAX_LAG_MS && ahead <= 5_000;
    return { verdict: ok ? "pass" : "fail", expected, observed };
  },
};

/** Offsets tried, in ms: negative = signed in the past. */
export const SIGNATURE_OFFSETS_MS = [-1_000, -5_000, -10_000, -30_000, -60_000, -120_000, 1_000, 5_000];

function shifted(inner: RequestSigner, offsetMs: number): RequestSigner {
  return { headers: (method, path, nowMs) => inner.headers(method, path, nowMs + offsetMs) };
}

function label(offsetMs: number): string {
  return offsetMs < 0 ? `${-offsetMs / 1000}s old` : `${offsetMs / 1000}s ahead`;
}

export type SignatureAnswer = "accepted" | "refused" | "error";

/**
 * The verdict on the signature window: the bot needs signatures 1 s and 5 s old (prepared ahead)
 * and 1 s ahead (a clock slightly fast) accepted; on the simulator the documented 30 s window must
 * show too (10 s old accepted, 60 s and 120 s refused; exactly 30 s is not judged: latency decides).
 */
export function signatureVerdict(
  answers: ReadonlyMap<number, SignatureAnswer>,
  target: ProbeContext["target"],
): CheckResult["verdict"] {
  const need: [number, SignatureAnswer][] = [
    [-1_000, "accepted"],
    [-PRESIGN_MAX_AGE_MS, "accepted"],
    [1_000, "accepted"],
  ];
  if (target === "sim")
    need.push([-10_000, "accepted"], [-60_000, "refused"], [-120_000, "refused"], [5_000, "accepted"]);
  if (need.some(([o]) => answers.get(o) === "error" || answers.get(o) === undefined))
    return "could_not_check";
  return need.every(([o, want]) => answers.get(o) === want) ? "pass" : "fail";
}

export const signatureAge: Check = {
  id: "signature-age",
  assumption: `A request signed up to ${PRESIGN_MAX_AGE_MS / 1000} s before it is sent is accepted (order signatures are prepared ahead)`,
  async run(ctx) {
    const expected =
      ctx.target === "sim"
        ? `accepted up to ${PRESIGN_MAX_AGE_MS / 1000} s old and 1 s ahead; the simulator documents a ${SIM_MAX_SKEW_MS / 1000} s window (10 s old accepted, 60 s refused)`
        : `accepted at 1 s and ${PRESIGN_MAX_AGE_MS / 1000} s old and 1 s ahead (Kalshi publishes no window; the probe reports where it ends)`;
    const answers = new Map<number, SignatureAnswer>();
    const details: string[] = [];
    for (const offset of SIGNATURE_OFFSETS_MS) {
      const client = ctx.restWith(shifted(ctx.signer, offset));
      const r = await client.getBalance();
      if (r.ok) answers.set(offset, "accepted");
      else if (r.failure.reason === "unauthorized") {
        answers.set(offset, "refused");
        if (details.length === 0) details.push(`refusal: ${r.failure.message}`);
      } else {
        answers.set(offset, "error");
        details.push(`${label(offset)}: ${r.failure.message}`);
      }
    }
    const list = (want: SignatureAnswer): string =>
      SIGNATURE_OFFSETS_MS.filter((o) => answers.get(o) === want)
        .map(label)
        .join(", ") || "none";
    const past = SIGNATURE_OFFSETS_MS.filter((o) => o < 0).sort((a, b) => b - a);
    const oldestOk = past.filter((o) => answers.get(o) === "accepted").at(-1);
    const firstRefused = past.find((o) => answers.get(o) === "refused");
    const window =
      oldestOk === undefined
        ? "no past timestamp accepted"
        : firstRefused === undefined
          ? `window at least ${-oldestOk / 1000} s`
          : `window between ${-oldestOk / 1000} s and ${-firstRefused / 1000} s`;
    const verdict = signatureVerdict(answers, ctx.target);
    if (verdict === "could_not_check")
      return couldNot(expected, `no clear answer: ${details.join("; ") || "nothing answered"}`);
    return {
      verdict,
      expected,
      observed: `accepted: ${list("accepted")}; refused: ${list("refused")}; ${window}${details.length ? `; ${details.join("; ")}` : ""}`,
    };
  },
};
