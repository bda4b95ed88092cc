/**
 * Node tests of prepared signatures (`presign.ts`): a prepared request carries a valid Kalshi
 * signature of its own timestamp, method and path; each is used once; stale ones are dropped and
 * the request is signed at send time instead; other paths are never served from the pool.
 */
import { constants, createVerify, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { KalshiSigner } from "./auth.ts";
import { PresigningSigner } from "./presign.ts";

const PATH = "/trade-api/v2/portfolio/events/orders";

function keys() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    pub: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

function verifies(pub: string, h: Record<string, string>, method: string, path: string): boolean {
  const v = createVerify("sha256");
  v.update(`${h["KALSHI-ACCESS-TIMESTAMP"]}${method}${path}`);
  return v.verify(
    { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
    Buffer.from(h["KALSHI-ACCESS-SIGNATURE"] ?? "", "base64"),
  );
}

describe("PresigningSigner", () => {
  it("serves prepared, valid signatures of the order path, each once, and refills", async () => {
    const k = keys();
    const clock = { now: 1_800_000_000_000 };
    const s = new PresigningSigner(await KalshiSigner.create("key-1", k.pem), {
      paths: [{ method: "POST", path: PATH }],
      nowMs: () => clock.now,
    });
    await s.refresh();
    expect(s.ready()).toEqual({ [`POST ${PATH}`]: 2 });
    clock.now += 1_000; // send time: the prepared signature keeps its own (earlier) timestamp
    const a = await s.headers("POST", PATH, clock.now);
    const b = await s.headers("POST", `https://host${PATH}?x=1`, clock.now);
    expect(a["KALSHI-ACCESS-TIMESTAMP"]).toBe("1800000000000");
    expect(a["KALSHI-ACCESS-SIGNATURE"]).not.toBe(b["KALSHI-ACCESS-SIGNATURE"]);
    expect(verifies(k.pub, a, "POST", PATH)).toBe(true);
    expect(verifies(k.pub, b, "POST", PATH)).toBe(true);
    expect(s.stats.prepared).toBe(2);
    await s.refresh();
    expect(s.ready()[`POST ${PATH}`]).toBe(2);
  });

  it("hands a prepared signature over synchronously, and tops the pool up only after a delay", async () => {
    const k = keys();
    const clock = { now: 1_800_000_000_000 };
    const s = new PresigningSigner(await KalshiSigner.create("key-1", k.pem), {
      paths: [{ method: "POST", path: PATH }],
      nowMs: () => clock.now,
      refillDelayMs: 20,
    });
    expect(s.headersNow("POST", PATH)).toBeUndefined(); // nothing prepared yet
    await s.refresh();
    const h = s.headersNow("POST", PATH);
    expect(h !== undefined && verifies(k.pub, h, "POST", PATH)).toBe(true);
    expect(s.headersNow("GET", PATH)).toBeUndefined(); // not a prepared path
    // No signing right after the take: the request taken leaves first.
    expect(s.ready()[`POST ${PATH}`]).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(s.ready()[`POST ${PATH}`]).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    await s.refresh();
    expect(s.ready()[`POST ${PATH}`]).toBe(2);
  });

  it("drops signatures older than maxAgeMs and signs at send time instead", async () => {
    const k = keys();
    const clock = { now: 1_800_000_000_000 };
    const s = new PresigningSigner(await KalshiSigner.create("key-1", k.pem), {
      paths: [{ method: "POST", path: PATH }],
      maxAgeMs: 5_000,
      nowMs: () => clock.now,
    });
    await s.refresh();
    clock.now += 5_001;
    const h = await s.headers("POST", PATH, clock.now);
    expect(h["KALSHI-ACCESS-TIMESTAMP"]).toBe(String(clock.now));
    expect(verifies(k.pub, h, "POST", PATH)).toBe(true);
    expect(s.stats).toMatchObject({ prepared: 0, inline: 1, expired: 2 });
  });

  it("signs every other request at send time, never from the pool", async () => {
    const k = keys();
    const s = new PresigningSigner(await KalshiSigner.create("key-1", k.pem), {
      paths: [{ method: "POST", path: PATH }],
      nowMs: () => 1_800_000_000_000,
    });
    await s.refresh();
    const h = await s.headers("GET", "/trade-api/v2/portfolio/orders", 1_800_000_000_123);
    expect(h["KALSHI-ACCESS-TIMESTAMP"]).toBe("1800000000123");
    expect(verifies(k.pub, h, "GET", "/trade-api/v2/portfolio/orders")).toBe(true);
    expect(s.ready()[`POST ${PATH}`]).toBe(2);
    expect(s.stats).toMatchObject({ prepared: 0, inline: 0 });
  });
});
