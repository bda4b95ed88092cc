/**
 * The Resend sender inside workerd (the runtime it ships in), through the `resend` SDK, against
 * the local Resend stand-in that the workers project's globalSetup starts (`resendUrl`).
 */
import { describe, expect, inject, it } from "vitest";
import type { ReceivedEmail } from "../../test/support/resend-stand-in.ts";
import { sendEmail } from "./resend.ts";

const baseUrl = inject("resendUrl");

function freshKey(): string {
  return `re_worker_${crypto.randomUUID().replaceAll("-", "")}`;
}

async function control(apiKey: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${baseUrl}/_stand-in/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

async function received(apiKey: string): Promise<ReceivedEmail[]> {
  return ((await control(apiKey, "emails")) as { emails: ReceivedEmail[] }).emails;
}

function email(apiKey: string, idempotencyKey: string, subject = "Daily report") {
  return {
    apiKey,
    baseUrl,
    from: "Kalshi bot <bot@example.com>",
    to: ["trader@example.com"],
    subject,
    html: "<p>P&amp;L $1.00</p>",
    text: "P&L $1.00\n",
    idempotencyKey,
  };
}

describe("sendEmail in workerd", () => {
  it("delivers the email to the API and returns its id", async () => {
    const key = freshKey();
    const r = await sendEmail(email(key, "daily-report/acct/2026-03-09"));
    expect(r.ok).toBe(true);
    const got = await received(key);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      id: r.ok ? r.id : "",
      from: "Kalshi bot <bot@example.com>",
      to: ["trader@example.com"],
      subject: "Daily report",
      html: "<p>P&amp;L $1.00</p>",
      text: "P&L $1.00\n",
      idempotencyKey: "daily-report/acct/2026-03-09",
    });
  });

  it("delivers once when the same idempotency key is sent twice", async () => {
    const key = freshKey();
    const first = await sendEmail(email(key, "daily-report/acct/2026-03-10"));
    const second = await sendEmail(email(key, "daily-report/acct/2026-03-10"));
    expect(second).toEqual(first);
    expect(await received(key)).toHaveLength(1);
  });

  it("delivers once when the first answer was lost and the retry carries the same key", async () => {
    const key = freshKey();
    await control(key, "fail", { status: 503, count: 1, afterAccept: true });
    const lost = await sendEmail(email(key, "alert/acct/breaker_trip/1"));
    expect(lost).toMatchObject({ ok: false, retryable: true, status: 503 });
    const retry = await sendEmail(email(key, "alert/acct/breaker_trip/1"));
    expect(retry.ok).toBe(true);
    const got = await received(key);
    expect(got).toHaveLength(1);
    expect(retry.ok && retry.id).toBe(got[0]?.id);
  });

  it("fails finally when the same key comes with another body", async () => {
    const key = freshKey();
    await sendEmail(email(key, "daily-report/acct/2026-03-11", "first"));
    const r = await sendEmail(email(key, "daily-report/acct/2026-03-11", "second"));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 409 });
    expect(!r.ok && r.reason).toContain("invalid_idempotent_request");
    expect((await received(key)).map((e) => e.subject)).toEqual(["first"]);
  });

  it.each([
    [503, true],
    [500, true],
    [429, true],
  ])("classifies an injected %i as retryable %s and sends on the next try", async (status, retryable) => {
    const key = freshKey();
    await control(key, "fail", { status, count: 1 });
    const r = await sendEmail(email(key, "k/1"));
    expect(r).toMatchObject({ ok: false, retryable, status });
    expect(await received(key)).toHaveLength(0);
    expect((await sendEmail(email(key, "k/1"))).ok).toBe(true);
    expect(await received(key)).toHaveLength(1);
  });

  it("reports the retry-after of a 429", async () => {
    const key = freshKey();
    await control(key, "fail", { status: 429, count: 1 });
    expect(await sendEmail(email(key, "k/2"))).toMatchObject({ retryAfterMs: 1000 });
  });

  it("fails finally on a refused API key and never repeats the key in the reason", async () => {
    const r = await sendEmail(email("re_invalid", "k/3"));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 403 });
    expect(!r.ok && r.reason).toContain("invalid_api_key");
    expect(!r.ok && r.reason).not.toContain("re_invalid");
  });

  it("redacts the key when an error message echoes it", async () => {
    const key = freshKey();
    await control(key, "fail", { status: 500, count: 1, message: `bad key ${key}` });
    const r = await sendEmail(email(key, "k/4"));
    expect(!r.ok && r.reason).toContain("[redacted]");
    expect(!r.ok && r.reason).not.toContain(key);
  });

  it("classifies an unreachable API as retryable", async () => {
    const r = await sendEmail({ ...email(freshKey(), "k/5"), baseUrl: "http://127.0.0.1:9" });
    expect(r).toMatchObject({ ok: false, retryable: true });
    expect(!r.ok && r.status).toBeUndefined();
  });
});
