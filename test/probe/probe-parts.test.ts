/**
 * The probe's pure parts: its flags and key loading (what it refuses before touching a network),
 * the verdict rules where Kalshi and the simulator may differ, the market it picks (from Kalshi's
 * published `GET /markets` and order-book examples), the table, the cleanup row, and a check that
 * throws. No network: nothing here reaches an exchange.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { keysFromDevVars, parseProbeArgs, REAL_MONEY_FLAG } from "../../scripts/probe/args.ts";
import { type SignatureAnswer, signatureVerdict } from "../../scripts/probe/checks-account.ts";
import { type ReduceOnlyAnswer, reduceOnlyVerdict } from "../../scripts/probe/checks-orders.ts";
import { CleanupRegistry, type CleanupReport } from "../../scripts/probe/cleanup.ts";
import type { ProbeSession } from "../../scripts/probe/context.ts";
import { HttpLog } from "../../scripts/probe/http.ts";
import { bookTop, FAR_FROM_MARKET, rankCandidates } from "../../scripts/probe/market.ts";
import { CLEANUP_ID, cleanupRow, runProbe, unknownIds } from "../../scripts/probe/runner.ts";
import { exitCode, renderTable, wrap } from "../../scripts/probe/table.ts";
import type { CheckRow, ProbeContext } from "../../scripts/probe/types.ts";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../shared/kalshi/fixtures/${name}`, import.meta.url), "utf8"));

describe("probe flags", () => {
  it.each([
    [[], "demo", null],
    [["--sim"], "sim", null],
    [["--sim-url", "http://127.0.0.1:8788"], "sim", "http://127.0.0.1:8788"],
    [["--target", "sim", "--sim-url", "http://127.0.0.1:9"], "sim", "http://127.0.0.1:9"],
    [["--target", "prod", `--${REAL_MONEY_FLAG}`], "prod", null],
  ])("%j probes %s", (argv, target, simUrl) => {
    const r = parseProbeArgs(argv);
    expect(r.ok && r.value.target).toBe(target);
    expect(r.ok && r.value.simUrl).toBe(simUrl);
  });

  it.each([
    [["--target", "prod"], REAL_MONEY_FLAG],
    [["--target", "demo", `--${REAL_MONEY_FLAG}`], "only goes with --target prod"],
    [["--sim", "--target", "demo"], "contradict"],
    [["--target", "demo", "--sim-url", "http://127.0.0.1:1"], "--sim-url"],
    [["--target", "staging"], "sim, demo or prod"],
    [["--only", " , "], "at least one"],
    [["--bogus"], "usage"],
  ])("refuses %j, naming %s", (argv, words) => {
    const r = parseProbeArgs(argv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(words);
  });

  it("reads --only as a list of ids and names the ones that are no check", () => {
    const r = parseProbeArgs(["--only", "signature-age, nope"]);
    expect(r.ok && r.value.only).toEqual(["signature-age", "nope"]);
    expect(unknownIds(["signature-age", "nope"])).toEqual(["nope"]);
  });
});

describe("probe keys from the dev vars", () => {
  it("refuses a missing file, saying which file and how to get going", () => {
    const r = keysFromDevVars("demo", {}, ".dev.vars", false);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(".dev.vars does not exist");
      expect(r.message).toContain("KALSHI_KEY_ID and KALSHI_PRIVATE_KEY");
      expect(r.message).toContain("--sim");
    }
  });

  it("refuses the example's placeholder and never repeats a value", () => {
    const pem = "<the PEM you downloaded from Kalshi>";
    const r = keysFromDevVars("demo", { KALSHI_KEY_ID: "abc-123", KALSHI_PRIVATE_KEY: pem }, "x.vars", true);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain("x.vars has no usable");
      expect(r.message).not.toContain("abc-123");
    }
  });

  it("hands over the key id trimmed and the PEM as written", () => {
    const r = keysFromDevVars(
      "demo",
      { KALSHI_KEY_ID: " id-1 ", KALSHI_PRIVATE_KEY: "-----BEGIN\\n..." },
      "f",
      true,
    );
    expect(r).toEqual({ ok: true, value: { keyId: "id-1", privateKeyPem: "-----BEGIN\\n..." } });
  });
});

describe("the signature-window verdict", () => {
  const answers = (accepted: number[], refused: number[]): Map<number, SignatureAnswer> =>
    new Map([
      ...accepted.map((o): [number, SignatureAnswer] => [o, "accepted"]),
      ...refused.map((o): [number, SignatureAnswer] => [o, "refused"]),
    ]);
  it.each([
    ["a 5 s old signature accepted passes", [-1_000, -5_000, 1_000], [-10_000], "demo", "pass"],
    [
      "a 5 s old signature refused fails (prepared signatures would be refused)",
      [-1_000, 1_000],
      [-5_000],
      "demo",
      "fail",
    ],
    ["a signature 1 s ahead refused fails", [-1_000, -5_000], [1_000], "demo", "fail"],
    [
      "the simulator's 30 s window shows",
      [-1_000, -5_000, -10_000, 1_000, 5_000],
      [-60_000, -120_000],
      "sim",
      "pass",
    ],
    [
      "a simulator accepting 60 s fails its documentation",
      [-1_000, -5_000, -10_000, -60_000, 1_000, 5_000],
      [-120_000],
      "sim",
      "fail",
    ],
  ] as const)("%s", (_name, accepted, refused, target, verdict) => {
    expect(signatureVerdict(answers([...accepted], [...refused]), target)).toBe(verdict);
  });

  it("cannot judge when a needed offset got no clear answer", () => {
    const a = answers([-1_000, 1_000], []);
    a.set(-5_000, "error");
    expect(signatureVerdict(a, "demo")).toBe("could_not_check");
  });
});

describe("the reduce-only verdict per time in force", () => {
  const refused: ReduceOnlyAnswer = { kind: "refused", status: 400, code: "invalid_order", message: "" };
  const cancelled: ReduceOnlyAnswer = { kind: "cancelled", filled: 0, reason: "ReduceOnlyCancel" };
  it.each([
    ["immediate_or_cancel", cancelled, "demo", "pass"],
    ["immediate_or_cancel", refused, "demo", "fail"],
    ["fill_or_kill", refused, "demo", "pass"],
    ["good_till_canceled", cancelled, "demo", "pass"],
    ["good_till_canceled", { kind: "rested" }, "demo", "fail"],
    ["fill_or_kill", { kind: "filled", filled: 1 }, "demo", "fail"],
    ["good_till_canceled", refused, "sim", "pass"],
    ["good_till_canceled", cancelled, "sim", "fail"],
    ["immediate_or_cancel", { kind: "unknown", message: "timeout" }, "demo", "could_not_check"],
  ] as const)("%s answered %j on %s: %s", (tif, answer, target, verdict) => {
    expect(reduceOnlyVerdict(tif, answer, target)).toBe(verdict);
  });
});

describe("the market the probe picks", () => {
  const base = (fixture("http_get_markets.json") as { markets: Record<string, unknown>[] })
    .markets[0] as Record<string, unknown>;
  const NOW = Date.parse("2023-11-07T12:00:00Z");
  const market = (over: Record<string, unknown>): Record<string, unknown> => ({ ...base, ...over });

  it("takes Kalshi's example market with a bid at its lowest tick, one hundredth of a contract", () => {
    const [c] = rankCandidates([base], NOW);
    expect(c?.market.ticker).toBe("INXD-23SEP14-B4487");
    expect(c?.restingBid).toBe(100);
    expect(c?.topPrice).toBe(9_900);
    expect(c?.listedAsk).toBe(5_800);
    expect(c?.fractional).toBe(true);
  });

  it.each([
    ["not active", { status: "closed" }],
    ["on another shard", { exchange_index: 2 }],
    ["a combo", { mve_collection_ticker: "KXMVE-X" }],
    ["closing within the hour", { close_time: "2023-11-07T12:59:59Z" }],
    ["asking at the lowest tick", { yes_ask_dollars: "0.0100" }],
    ["without a grid", { price_ranges: [] }],
  ])("leaves out a market %s", (_why, over) => {
    expect(rankCandidates([market(over)], NOW)).toEqual([]);
  });

  it("keeps a market closing just over an hour away", () => {
    expect(rankCandidates([market({ close_time: "2023-11-07T13:00:00Z" })], NOW)).toHaveLength(1);
  });

  it("prefers an ask far from the lowest tick, then no ask last, then the quietest", () => {
    const ranked = rankCandidates(
      [
        market({ ticker: "NOASK", yes_ask_dollars: "0.0000" }),
        market({ ticker: "NEAR", yes_ask_dollars: "0.0300" }),
        market({ ticker: "BUSY", volume_24h_fp: "900.00" }),
        market({ ticker: "QUIET", volume_24h_fp: "1.00" }),
      ],
      NOW,
    ).map((c) => c.market.ticker);
    expect(ranked).toEqual(["QUIET", "BUSY", "NEAR", "NOASK"]);
  });

  it("counts an ask exactly 5 c above the resting bid as far", () => {
    const ask = (100 + FAR_FROM_MARKET) / 10_000;
    const ranked = rankCandidates(
      [
        market({ ticker: "NEAR", yes_ask_dollars: "0.0599", volume_24h_fp: "0.00" }),
        market({ ticker: "FAR", yes_ask_dollars: ask.toFixed(4) }),
      ],
      NOW,
    ).map((c) => c.market.ticker);
    expect(ranked).toEqual(["FAR", "NEAR"]);
  });

  it("orders whole contracts where the market turns fractional trading off", () => {
    expect(rankCandidates([market({ fractional_trading_enabled: false })], NOW)[0]?.fractional).toBe(false);
  });

  it("reads the best bid and ask of Kalshi's order-book example whatever the level order", () => {
    const book = (fixture("http_get_market_orderbook.json") as { orderbook_fp: never }).orderbook_fp;
    // YES bids 0.08 and 0.22; NO bids 0.54 and 0.56, so the best YES ask is 1 - 0.56.
    expect(bookTop(book)).toEqual({ bestBid: 2_200, bestAsk: 4_400 });
    expect(bookTop({ yes_dollars: [], no_dollars: [["0.5600", "0.00"]] })).toEqual({
      bestBid: null,
      bestAsk: null,
    });
  });
});

describe("the probe's table", () => {
  it.each([
    ["a line exactly the width stays whole", "abcd efgh", 9, ["abcd efgh"]],
    ["one character over breaks at the space", "abcd efghi", 9, ["abcd", "efghi"]],
    ["a word longer than the width is cut", "abcdefghijk", 5, ["abcde", "fghij", "k"]],
  ])("%s", (_name, text, width, lines) => {
    expect(wrap(text, width)).toEqual(lines);
  });

  const row = (verdict: CheckRow["verdict"]): CheckRow => ({
    id: "x",
    assumption: "a long assumption that wraps over several lines of the table",
    expected: "e",
    observed: "o",
    verdict,
  });

  it("draws every line of the table the same width", () => {
    const lines = renderTable([row("pass"), row("could_not_check")]).split("\n");
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it.each([
    [["pass", "could_not_check"], 0],
    [["pass", "fail"], 1],
  ] as const)("exits %j with %i", (verdicts, code) => {
    expect(exitCode(verdicts.map(row))).toBe(code);
  });
});

describe("the cleanup row", () => {
  const report = (over: Partial<CleanupReport>): CleanupReport => ({
    cancelled: [],
    groupsDeleted: [],
    flattened: [],
    left: [],
    errors: [],
    ...over,
  });
  it.each([
    ["orders cancelled at the end pass", { cancelled: ["o1"] }, "pass"],
    ["anything left fails", { left: ["order o1 resting in T"] }, "fail"],
    ["a position sold back fails (a check traded)", { flattened: ["T: 0.01 YES"] }, "fail"],
    ["a read that failed cannot vouch for anything", { errors: ["list: HTTP 500"] }, "could_not_check"],
  ])("%s", (_name, over, verdict) => {
    expect(cleanupRow(report(over)).verdict).toBe(verdict);
  });
});

describe("the runner", () => {
  it("turns a check that throws into 'could not check' with the reason, and still cleans up", async () => {
    let closed = 0;
    const session = {
      ctx: { cleanup: new CleanupRegistry(), rest: {}, log: () => {} } as unknown as ProbeContext,
      closeSockets: () => {
        closed++;
      },
    } satisfies ProbeSession;
    const rows = await runProbe(session, {
      checks: [
        {
          id: "boom",
          assumption: "a",
          run: () => Promise.reject(new Error("socket hang up")),
        },
      ],
    });
    expect(rows.map((r) => [r.id, r.verdict])).toEqual([
      ["boom", "could_not_check"],
      [CLEANUP_ID, "pass"],
    ]);
    expect(rows[0]?.observed).toContain("socket hang up");
    expect(closed).toBeGreaterThan(0);
  });
});

describe("the HTTP log", () => {
  it("gives the answer recorded since a mark, and none when that request got no answer", () => {
    const log = new HttpLog();
    log.add({ method: "POST", path: "/trade-api/v2/portfolio/events/orders", status: 201, body: "{}" });
    const mark = log.mark();
    expect(log.since(mark, "POST", "/portfolio/events/orders")).toBeUndefined();
    log.add({ method: "POST", path: "/trade-api/v2/portfolio/events/orders", status: 409, body: "{}" });
    expect(log.since(mark, "POST", "/portfolio/events/orders")?.status).toBe(409);
    expect(log.last("GET", "/portfolio/events/orders")).toBeUndefined();
  });
});
