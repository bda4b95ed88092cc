/**
 * `npm run sim`: starts the Kalshi exchange simulator on loopback and prints its URLs.
 * Flags: --port (default 8788), --seed (1), --speed (1; exchange time runs this many times
 * faster than wall time), --markets (20), --stepped (time moves only via the control API),
 * --no-participants (no simulated market makers or noise traders), --volatility (1; how often
 * favourites get news jumps of a few cents, 0 for none). Stops on SIGINT/SIGTERM.
 */

import { parseArgs } from "node:util";
import { SIM_TEST_KEY_ID } from "./keys/index.ts";
import { startSimulator } from "./server/index.ts";

function intFlag(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}, got ${v}\n`);
    process.exit(2);
  }
  return Number(v);
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    seed: { type: "string" },
    speed: { type: "string" },
    markets: { type: "string" },
    stepped: { type: "boolean", default: false },
    "no-participants": { type: "boolean", default: false },
    volatility: { type: "string" },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(
    "usage: npm run sim -- [--port 8788] [--seed 1] [--speed 1] [--markets 20] [--stepped] [--no-participants] [--volatility 1]\n",
  );
  process.exit(0);
}

const speed = values.speed === undefined ? 1 : Number(values.speed);
if (!Number.isFinite(speed) || speed <= 0) {
  process.stderr.write(`--speed must be a positive number, got ${values.speed}\n`);
  process.exit(2);
}

const volatility = values.volatility === undefined ? 1 : Number(values.volatility);
if (!Number.isFinite(volatility) || volatility < 0) {
  process.stderr.write(`--volatility must be a number >= 0, got ${values.volatility}\n`);
  process.exit(2);
}

const sim = await startSimulator({
  port: intFlag("port", values.port, 8788, 0),
  seed: intFlag("seed", values.seed, 1, 0),
  markets: intFlag("markets", values.markets, 20, 1),
  speed,
  stepped: values.stepped,
  participants: !values["no-participants"],
  volatility,
});

process.stdout.write(
  [
    `Kalshi simulator listening (${values.stepped ? "stepped clock" : `real clock x${speed}`}, volatility ${volatility})`,
    `  REST       ${sim.apiUrl}`,
    `  WebSocket  ${sim.wsUrl}`,
    `  control    ${sim.controlUrl}/state`,
    `  test key   ${SIM_TEST_KEY_ID} (sim/keys)`,
    "",
  ].join("\n"),
);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
