/**
 * Cost of Kalshi request signing (shared/kalshi/auth.ts) in Node's WebCrypto: the per-request
 * cost with the key already imported (every REST call and WS reconnect pays it on the order
 * path), the message builder alone, a cached `importKalshiPrivateKey` call, and separately the
 * one-off import of a key not seen before (PKCS#1, the format Kalshi downloads, so wrapping
 * included). Signs with the simulator's committed test key.
 */

import { generateKeyPairSync } from "node:crypto";
import { importKalshiPrivateKey, KalshiSigner, signingMessage } from "../shared/kalshi/auth.ts";
import { readSimTestKeys } from "../sim/keys/index.ts";
import { atMost, info, median, timeAsync, timeSync } from "./harness.ts";
import type { BenchResult } from "./types.ts";

/**
 * RSA-2048 PSS signing measured about 0.4 ms of CPU per request on the dev machine; the budget
 * leaves room for slower hosts while still catching a regression that multiplies the cost.
 */
const SIGN_BUDGET_US = 1_000;
/** Once per isolate; a cold start should not spend more than this on the key. */
const IMPORT_BUDGET_MS = 20;
/** Fresh keys for the one-off import measurement (each is imported exactly once). */
const FRESH_KEYS = 5;

export default async function run(): Promise<BenchResult[]> {
  const keys = readSimTestKeys();
  const signer = await KalshiSigner.create(keys.keyId, keys.privateKeyPem);
  const now = 1_703_123_456_789;

  const sign = await timeAsync(() => signer.headers("POST", "/trade-api/v2/portfolio/events/orders", now), {
    minRoundMs: 50,
  });
  const message = timeSync(() =>
    signingMessage(
      "1703123456789",
      "GET",
      "https://external-api.kalshi.com/trade-api/v2/portfolio/orders?limit=5",
    ),
  );
  const cachedImport = await timeAsync(() => importKalshiPrivateKey(keys.privateKeyPem));

  // One-off import: a key this isolate has never seen, so nothing is cached.
  const freshPems = Array.from({ length: FRESH_KEYS }, () =>
    generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs1", format: "pem" })
      .toString(),
  );
  const importMs: number[] = [];
  for (const pem of freshPems) {
    const t0 = process.hrtime.bigint();
    await importKalshiPrivateKey(pem);
    importMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  return [
    atMost("sign one request (key cached): headers()", sign.nsPerItem / 1e3, "µs/request", SIGN_BUDGET_US),
    info("signingMessage from a full URL", message.nsPerItem / 1e3, "µs"),
    info("importKalshiPrivateKey, cached (parse + hash + lookup)", cachedImport.nsPerItem / 1e3, "µs"),
    atMost(`one-off key import, PKCS#1, median of ${FRESH_KEYS}`, median(importMs), "ms", IMPORT_BUDGET_MS),
  ];
}
