/**
 * Two test layers in one run: plain Node tests for pure logic and the simulator
 * (`*.test.ts`), and runtime tests inside workerd (`*.worker.test.ts`) through
 * @cloudflare/vitest-plugin, configured from the root wrangler.toml.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["shared/**/*.test.ts", "sim/**/*.test.ts", "workers/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["**/*.worker.test.ts", "**/node_modules/**"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
          }),
        ],
        test: {
          name: "workers",
          include: ["**/*.worker.test.ts"],
          exclude: ["**/node_modules/**"],
        },
      },
    ],
  },
});
