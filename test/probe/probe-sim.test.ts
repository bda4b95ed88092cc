/**
 * `npm run probe` against the simulator, over real sockets on 127.0.0.1: every check runs, none
 * fails (where the simulator documents a behaviour different from Kalshi's, the check judges it
 * by the simulator's documentation), and afterwards the simulator holds nothing of the probe's: no
 * resting order, no position, no order group. Then the cleanup on its own: what a check left
 * behind (a resting order, a group, a position) is cancelled, deleted and sold back, and reported.
 *
 * The simulator runs without its simulated crowd; the tests rest a house bid at 0.40 and ask at
 * 0.60 in every market so books are two-sided and quiet. WebSocket pacing (`ctx.sleep`) does not
 * wait; the REST limiter paces on real time as it does against Kalshi.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedContracts } from "../../scripts/probe/cleanup.ts";
import { createProbeSession, type ProbeSession, probeUrls } from "../../scripts/probe/context.ts";
import { place } from "../../scripts/probe/orders.ts";
import { CHECKS, CLEANUP_ID, cleanupRow, runProbe } from "../../scripts/probe/runner.ts";
import { renderTable } from "../../scripts/probe/table.ts";
import type { ProbePlan } from "../../scripts/probe/types.ts";
import { SimControlClient } from "../../sim/control-client.ts";
import { readSimTestKeys } from "../../sim/keys/index.ts";
import { type RunningSimulator, startSimulator, TEST_USER_ID } from "../../sim/server/index.ts";

let sim: RunningSimulator;
let control: SimControlClient;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 7, markets: 20, participants: false });
  control = new SimControlClient(sim.url);
  const { markets } = await control.state();
  for (const m of markets.filter((x) => x.status === "active")) {
    await control.placeLiquidity(m.ticker, "bid", 4_000, 1_000);
    await control.placeLiquidity(m.ticker, "ask", 6_000, 1_000);
  }
});

afterAll(async () => {
  await sim?.close();
});

async function session(): Promise<ProbeSession> {
  const urls = probeUrls("sim", sim.url);
  if (!urls.ok) throw new Error(urls.message);
  const k = readSimTestKeys();
  return createProbeSession({
    target: "sim",
    urls,
    keys: { keyId: k.keyId, privateKeyPem: k.privateKeyPem },
    sleep: async () => {},
  });
}

async function probeOrders(ids: ReadonlySet<string>): Promise<Record<string, unknown>[]> {
  return (await control.orders(TEST_USER_ID)).filter(
    (o) => typeof o.client_order_id === "string" && ids.has(o.client_order_id),
  );
}

async function heldPositions(): Promise<Record<string, unknown>[]> {
  return (await control.positions(TEST_USER_ID)).filter((p) => signedContracts(String(p.position_fp)) !== 0);
}

describe("npm run probe against the simulator", () => {
  it("runs every check, none fails, and leaves no order, position or group behind", {
    timeout: 120_000,
  }, async () => {
    const s = await session();
    const rows = await runProbe(s);
    const table = renderTable(rows);

    expect(
      rows.map((r) => r.id),
      table,
    ).toEqual([...CHECKS.map((c) => c.id), CLEANUP_ID]);
    expect(
      rows.filter((r) => r.verdict !== "pass").map((r) => `${r.id}: ${r.verdict}: ${r.observed}`),
      table,
    ).toEqual([]);

    // The probe did trade (so "nothing left" is not vacuous). Accepted at least: the V2 create,
    // the first of the duplicate pair, the reduce-only IOC, and two orders in the order group.
    const ours = await probeOrders(s.ctx.cleanup.clientOrderIds);
    expect(ours.length).toBeGreaterThanOrEqual(5);
    expect(ours.filter((o) => o.status === "resting")).toEqual([]);
    const received = await control.ordersReceived();
    expect(received.some((r) => (r.body as { order_group_id?: unknown })?.order_group_id !== undefined)).toBe(
      true,
    );
    expect(await heldPositions()).toEqual([]);
    expect(await control.orderGroups(TEST_USER_ID)).toEqual([]);
  });

  it("cleans up what a check left: cancels the order, deletes the group, sells the position back", {
    timeout: 60_000,
  }, async () => {
    const s = await session();
    const p = await s.ctx.plan();
    if (!p.ok) throw new Error(p.reason);
    const plan: ProbePlan = p.plan;

    const resting = await place(s.ctx, plan);
    if (!resting.result.ok) throw new Error(resting.result.failure.message);
    const group = await s.ctx.rest.createOrderGroup({ contracts_limit_fp: "1.00", exchange_index: 0 });
    if (!group.ok) throw new Error(group.failure.message);
    s.ctx.cleanup.group(group.value.order_group_id, 0);
    // Buy 0.01 at the house ask: a position the cleanup must sell back.
    const bought = await place(s.ctx, plan, { price: "0.6000", time_in_force: "immediate_or_cancel" });
    if (!bought.result.ok) throw new Error(bought.result.failure.message);
    expect(await heldPositions()).toHaveLength(1);

    const report = await s.ctx.cleanup.run(s.ctx.rest);

    expect(report.cancelled).toEqual([resting.result.value.order_id]);
    expect(report.groupsDeleted).toEqual([group.value.order_group_id]);
    expect(report.flattened).toEqual([`${plan.ticker}: 0.01 YES`]);
    expect(report.left).toEqual([]);
    expect(report.errors).toEqual([]);
    // Having to sell a position back means a check traded: the cleanup row says so and fails.
    expect(cleanupRow(report).verdict).toBe("fail");
    expect((await probeOrders(s.ctx.cleanup.clientOrderIds)).filter((o) => o.status === "resting")).toEqual(
      [],
    );
    expect(await heldPositions()).toEqual([]);
    expect(await control.orderGroups(TEST_USER_ID)).toEqual([]);
  });
});
