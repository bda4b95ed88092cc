import { describe, expect, it } from "vitest";
import type { TargetErrorCode, TargetVars } from "./environment.ts";
import { resolveTarget, secretsStatus } from "./environment.ts";

const SIM = {
  KALSHI_ENV: "sim",
  KALSHI_SIM_URL: "http://127.0.0.1:8788",
  KALSHI_LOCAL_RUN: "true",
  KALSHI_PROD_ENABLED: "",
  ACCOUNT_NAME: "default",
};
const DEMO = { KALSHI_ENV: "demo", KALSHI_SIM_URL: "", KALSHI_LOCAL_RUN: "", ACCOUNT_NAME: "default" };
const PROD = { ...DEMO, KALSHI_ENV: "prod", KALSHI_PROD_ENABLED: "true" };

describe("resolveTarget accepts", () => {
  it.each<[string, TargetVars, { env: string; restBase: string; wsUrl: string; accountKey: string }]>([
    [
      "the simulator on 127.0.0.1 in a local run",
      SIM,
      {
        env: "sim",
        restBase: "http://127.0.0.1:8788/trade-api/v2",
        wsUrl: "http://127.0.0.1:8788/trade-api/ws/v2",
        accountKey: "sim:default",
      },
    ],
    [
      "the simulator on localhost with a trailing slash",
      { ...SIM, KALSHI_SIM_URL: "http://localhost:9001/" },
      {
        env: "sim",
        restBase: "http://localhost:9001/trade-api/v2",
        wsUrl: "http://localhost:9001/trade-api/ws/v2",
        accountKey: "sim:default",
      },
    ],
    [
      "the simulator on IPv6 loopback",
      { ...SIM, KALSHI_SIM_URL: "http://[::1]:8788" },
      {
        env: "sim",
        restBase: "http://[::1]:8788/trade-api/v2",
        wsUrl: "http://[::1]:8788/trade-api/ws/v2",
        accountKey: "sim:default",
      },
    ],
    [
      "Kalshi's demo hosts",
      DEMO,
      {
        env: "demo",
        restBase: "https://external-api.demo.kalshi.co/trade-api/v2",
        wsUrl: "https://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
        accountKey: "demo:default",
      },
    ],
    [
      "demo in a local run (npm start -- --env demo)",
      { ...DEMO, KALSHI_LOCAL_RUN: "true", ACCOUNT_NAME: "alice" },
      {
        env: "demo",
        restBase: "https://external-api.demo.kalshi.co/trade-api/v2",
        wsUrl: "https://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
        accountKey: "demo:alice",
      },
    ],
    [
      "Kalshi's production hosts with the opt-in",
      PROD,
      {
        env: "prod",
        restBase: "https://external-api.kalshi.com/trade-api/v2",
        wsUrl: "https://external-api-ws.kalshi.com/trade-api/ws/v2",
        accountKey: "prod:default",
      },
    ],
  ])("%s", (_name, vars, want) => {
    expect(resolveTarget(vars)).toEqual({ ok: true, accountName: want.accountKey.split(":")[1], ...want });
  });
});

describe("resolveTarget refuses", () => {
  it.each<[string, TargetVars, TargetErrorCode]>([
    ["a missing KALSHI_ENV", { ...DEMO, KALSHI_ENV: undefined }, "env_unknown"],
    ["an empty KALSHI_ENV", { ...DEMO, KALSHI_ENV: "" }, "env_unknown"],
    ["a misspelled KALSHI_ENV", { ...DEMO, KALSHI_ENV: "production" }, "env_unknown"],
    ["a KALSHI_ENV in the wrong case", { ...DEMO, KALSHI_ENV: "Demo" }, "env_unknown"],
    ["demo with a simulator URL", { ...DEMO, KALSHI_SIM_URL: "http://127.0.0.1:8788" }, "env_url_mismatch"],
    ["prod with a simulator URL", { ...PROD, KALSHI_SIM_URL: "http://127.0.0.1:8788" }, "env_url_mismatch"],
    ["prod with a non-string simulator URL", { ...PROD, KALSHI_SIM_URL: 8788 }, "env_url_mismatch"],
    ["prod without the opt-in", { ...PROD, KALSHI_PROD_ENABLED: "" }, "prod_not_enabled"],
    ['prod with an opt-in other than "true"', { ...PROD, KALSHI_PROD_ENABLED: "yes" }, "prod_not_enabled"],
    ["prod with a boolean opt-in", { ...PROD, KALSHI_PROD_ENABLED: true }, "prod_not_enabled"],
    ["sim without a URL", { ...SIM, KALSHI_SIM_URL: "" }, "sim_url_invalid"],
    ["sim with a URL that does not parse", { ...SIM, KALSHI_SIM_URL: "127.0.0.1:8788" }, "sim_url_invalid"],
    ["sim over ws://", { ...SIM, KALSHI_SIM_URL: "ws://127.0.0.1:8788" }, "sim_url_invalid"],
    ["sim with a path", { ...SIM, KALSHI_SIM_URL: "http://127.0.0.1:8788/trade-api/v2" }, "sim_url_invalid"],
    ["sim with credentials", { ...SIM, KALSHI_SIM_URL: "http://u:p@127.0.0.1:8788" }, "sim_url_invalid"],
    ["sim pointed at Kalshi", { ...SIM, KALSHI_SIM_URL: "https://external-api.kalshi.com" }, "sim_not_local"],
    ["sim on all interfaces (0.0.0.0)", { ...SIM, KALSHI_SIM_URL: "http://0.0.0.0:8788" }, "sim_not_local"],
    ["sim on a LAN address", { ...SIM, KALSHI_SIM_URL: "http://192.168.1.5:8788" }, "sim_not_local"],
    [
      "sim on a name under localhost",
      { ...SIM, KALSHI_SIM_URL: "http://evil.localhost:8788" },
      "sim_not_local",
    ],
    ["sim without the local-run marker", { ...SIM, KALSHI_LOCAL_RUN: "" }, "sim_not_local"],
    ['sim with a marker other than "true"', { ...SIM, KALSHI_LOCAL_RUN: "1" }, "sim_not_local"],
    ["an empty ACCOUNT_NAME", { ...DEMO, ACCOUNT_NAME: "" }, "account_name_invalid"],
    ["a missing ACCOUNT_NAME", { ...DEMO, ACCOUNT_NAME: undefined }, "account_name_invalid"],
    ["an ACCOUNT_NAME with a colon", { ...DEMO, ACCOUNT_NAME: "a:b" }, "account_name_invalid"],
    ["an ACCOUNT_NAME of 65 characters", { ...DEMO, ACCOUNT_NAME: "a".repeat(65) }, "account_name_invalid"],
  ])("%s", (_name, vars, code) => {
    const r = resolveTarget(vars);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it("accepts an ACCOUNT_NAME of exactly 64 characters (the limit)", () => {
    expect(resolveTarget({ ...DEMO, ACCOUNT_NAME: "a".repeat(64) }).ok).toBe(true);
  });

  it("never repeats a var's value in its message", () => {
    const secret = "-----BEGIN RSA PRIVATE KEY-----MIIEsecret";
    for (const vars of [
      { ...DEMO, KALSHI_ENV: secret },
      { ...DEMO, KALSHI_SIM_URL: `http://${secret}` },
      { ...SIM, KALSHI_SIM_URL: `http://user:${encodeURIComponent(secret)}@127.0.0.1:1` },
      { ...SIM, KALSHI_SIM_URL: `http://127.0.0.1:1/${secret}` },
      { ...SIM, KALSHI_LOCAL_RUN: secret },
      { ...PROD, KALSHI_PROD_ENABLED: secret },
      { ...DEMO, ACCOUNT_NAME: secret },
    ]) {
      const r = resolveTarget(vars);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.message).not.toContain("secret");
        expect(r.message).not.toContain("BEGIN");
      }
    }
  });
});

describe("secretsStatus", () => {
  const ALL = {
    KALSHI_KEY_ID: "key-id",
    KALSHI_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----",
    ADMIN_TOKEN: "tok",
    SUPABASE_URL: "https://x.supabase.co",
    SUPABASE_SERVICE_KEY: "service",
    RESEND_API_KEY: "re_123",
  };

  it("reports every configured secret as present, and nothing of its value", () => {
    const s = secretsStatus(ALL);
    expect(s).toEqual({
      kalshiKey: "present",
      adminToken: "present",
      supabase: "present",
      resend: "present",
    });
    expect(JSON.stringify(s)).not.toMatch(/key-id|MIIE|tok|supabase\.co|service|re_123/);
  });

  it.each<[string, Record<string, unknown>, keyof ReturnType<typeof secretsStatus>]>([
    ["no key id", { KALSHI_KEY_ID: "" }, "kalshiKey"],
    ["no private key", { KALSHI_PRIVATE_KEY: undefined }, "kalshiKey"],
    [
      "the example file's placeholder key",
      { KALSHI_PRIVATE_KEY: "<the PEM you downloaded from Kalshi, PKCS#1 or PKCS#8>" },
      "kalshiKey",
    ],
    ["a blank admin token", { ADMIN_TOKEN: "   " }, "adminToken"],
    ["a Supabase URL without its key", { SUPABASE_SERVICE_KEY: "" }, "supabase"],
    ["no Resend key", { RESEND_API_KEY: "" }, "resend"],
  ])("reports %s as missing", (_name, change, field) => {
    const s = secretsStatus({ ...ALL, ...change });
    expect(s[field]).toBe("missing");
    const others = Object.entries(s).filter(([k]) => k !== field);
    expect(others.every(([, v]) => v === "present")).toBe(true);
  });
});
