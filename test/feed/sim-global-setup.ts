/**
 * vitest globalSetup of the workers project: starts the Kalshi simulator in Node on a loopback
 * port with a stepped clock (time moves only when a test steps it, so runs are deterministic),
 * the simulated market makers and noise traders on, and the committed throwaway test key
 * (sim/keys) registered. Its root URL is `provide`d as `simUrl`; vitest.config.ts passes it to
 * the Worker as KALSHI_SIM_URL. The end-to-end tests reset the simulator between cases.
 */
import type { TestProject } from "vitest/node";
import { startSimulator } from "../../sim/server/index.ts";

declare module "vitest" {
  export interface ProvidedContext {
    simUrl: string;
  }
}

/** Simulator shape for the end-to-end tests (test/feed/feed-sim.worker.test.ts reads these too). */
export const E2E_SIM = { seed: 11, markets: 12 } as const;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sim = await startSimulator({
    port: 0,
    seed: E2E_SIM.seed,
    markets: E2E_SIM.markets,
    stepped: true,
    participants: true,
    // The stepped clock also drives the sim's rate-limit buckets, which would never refill
    // between steps; the feed's own limiter is what these tests exercise.
    rateLimits: false,
  });
  project.provide("simUrl", sim.url);
  return () => sim.close();
}
