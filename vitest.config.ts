/**
 * Two test layers in one run: plain Node tests for pure logic and the simulator
 * (`*.test.ts`), and runtime tests inside workerd (`*.worker.test.ts`) through
 * @cloudflare/vitest-plugin, configured from the root wrangler.toml.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { readSimTestKeys } from "./sim/keys/index.ts";

// The simulator's throwaway test key (sim/keys), read here in Node and handed to the Worker as
// its secrets; the workers project's globalSetup starts the simulator and provides its URL.
// wrangler.toml's top level is the demo deployment; the tests are a local run against the
// simulator, so they set the environment, its URL and the local-run marker themselves
// (shared/environment.ts refuses `sim` without them).
const simKeys = readSimTestKeys();

function soakNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0, not ${raw}`);
  return n;
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["shared/**/*.test.ts", "sim/**/*.test.ts", "workers/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["**/*.worker.test.ts", "**/node_modules/**"],
          environment: "node",
          // Property tests run tens of thousands of cases: seconds alone, more on a busy 2-core machine.
          testTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest((ctx) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                KALSHI_ENV: "sim",
                KALSHI_SIM_URL: ctx.inject("simUrl"),
                KALSHI_LOCAL_RUN: "true",
                KALSHI_KEY_ID: simKeys.keyId,
                KALSHI_PRIVATE_KEY: simKeys.privateKeyPem,
              },
            },
          })),
        ],
        test: {
          name: "workers",
          globalSetup: [
            "./test/feed/sim-global-setup.ts",
            "./test/history/history-global-setup.ts",
            "./test/support/resend-global-setup.ts",
          ],
          include: ["**/*.worker.test.ts"],
          exclude: ["**/node_modules/**"],
          // One simulator and one history server serve every file, and the end-to-end tests reset
          // them: files must not run side by side, whatever the machine's core count.
          fileParallelism: false,
          // The fault campaign's seed and length (`npm run soak -- --seed N --minutes M`); the
          // short run in `npm test` uses seed 1.
          provide: {
            soakSeed: soakNumber("SOAK_SEED", 1),
            soakMinutes: soakNumber("SOAK_MINUTES", 0),
          },
          testTimeout: 30_000,
        },
      },
    ],
  },
});
