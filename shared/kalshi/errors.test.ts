import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  badResponse,
  classifyHttp,
  classifyThrown,
  type FailureReason,
  MAX_BODY_IN_MESSAGE,
  parseKalshiErrorBody,
  type WriteKind,
  writeOutcome,
} from "./errors.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/**
 * Real Kalshi error bodies (Kalshi's Order Errors and rate-limits pages, and bodies quoted in public issue
 * threads against the live API), with the classification each must get.
 */
const REAL_BODIES: {
  name: string;
  status: number;
  body: string;
  reason: FailureReason;
  retryable: boolean;
  code?: string;
}[] = [
  {
    name: "401 wrapped authentication_error with rpc details (observed on the live API)",
    status: 401,
    body: '{"error":{"code":"authentication_error","message":"authentication_error","details":"rpc error: code = Unauthenticated desc = INCORRECT_API_KEY_SIGNATURE"}}',
    reason: "unauthorized",
    retryable: false,
    code: "authentication_error",
  },
  {
    name: "429 string body (rate_limits page)",
    status: 429,
    body: '{"error": "too many requests"}',
    reason: "rate_limited",
    retryable: true,
    code: "too_many_requests",
  },
  {
    name: "409 duplicate client_order_id, code only",
    status: 409,
    body: '{"error":{"code":"order_already_exists"}}',
    reason: "already_exists",
    retryable: false,
    code: "order_already_exists",
  },
  {
    name: "409 duplicate client_order_id, Kalshi's wrapped shape (fixtures/http_error_order_already_exists.json)",
    status: 409,
    body: fixture("http_error_order_already_exists.json"),
    reason: "already_exists",
    retryable: false,
    code: "order_already_exists",
  },
  {
    name: "409 with a code we do not know",
    status: 409,
    body: '{"error":{"code":"trading_is_paused"}}',
    reason: "conflict",
    retryable: false,
    code: "trading_is_paused",
  },
  { name: "409 with no body", status: 409, body: "", reason: "conflict", retryable: false },
  {
    name: "400 invalid_order with details",
    status: 400,
    body: '{"error":{"code":"invalid_order","message":"invalid order","details":"exactly one of yes_price, no_price, yes_price_dollars, or no_price_dollars should be provided"}}',
    reason: "rejected",
    retryable: false,
    code: "invalid_order",
  },
  {
    name: "400 invalid_price with the legacy service field",
    status: 400,
    body: '{"error":{"code":"invalid_price","message":"invalid price","service":"exchange"}}',
    reason: "rejected",
    retryable: false,
    code: "invalid_price",
  },
  {
    // Shape from the spec ErrorResponse; the code from the changelog (2026-01-26); the text is ours.
    name: "400 flat spec shape (ErrorResponse)",
    status: 400,
    body: '{"code":"available_balance_too_low","message":"available balance too low","details":""}',
    reason: "rejected",
    retryable: false,
    code: "available_balance_too_low",
  },
  {
    name: "503 HTML from a gateway",
    status: 503,
    body: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    reason: "server_error",
    retryable: true,
  },
  { name: "500 empty body", status: 500, body: "", reason: "server_error", retryable: true },
  { name: "404 empty body", status: 404, body: "", reason: "not_found", retryable: false },
  { name: "301 on a trailing slash", status: 301, body: "", reason: "redirect", retryable: false },
  { name: "408 request timeout", status: 408, body: "", reason: "timeout", retryable: true },
  {
    name: "400 passthrough too_many_requests code is still a rate limit",
    status: 400,
    body: '{"code":"too_many_requests","message":"too many requests"}',
    reason: "rate_limited",
    retryable: true,
    code: "too_many_requests",
  },
];

describe("classifyHttp", () => {
  for (const row of REAL_BODIES) {
    it(`classifies ${row.name}`, () => {
      const f = classifyHttp(row.status, row.body);
      expect(f.reason).toBe(row.reason);
      expect(f.retryable).toBe(row.retryable);
      expect(f.status).toBe(row.status);
      expect(f.code).toBe(row.code);
      expect(f.message.length).toBeLessThanOrEqual(MAX_BODY_IN_MESSAGE + 60);
    });
  }

  it("puts the code, message and details into the message", () => {
    const f = classifyHttp(400, REAL_BODIES.find((r) => r.code === "invalid_order")?.body ?? "");
    expect(f.message).toContain("invalid_order: invalid order");
    expect(f.message).toContain("exactly one of yes_price");
  });

  it("truncates a huge raw body in the message", () => {
    const f = classifyHttp(502, `<html>${"x".repeat(10_000)}</html>`);
    expect(f.message.length).toBeLessThan(400);
    expect(f.message).toContain("chars)");
  });
});

describe("parseKalshiErrorBody", () => {
  it("reads the wrapped shape", () => {
    expect(parseKalshiErrorBody('{"error":{"code":"invalid_order","message":"invalid order"}}')).toEqual({
      code: "invalid_order",
      message: "invalid order",
    });
  });

  it("reads the flat shape and drops empty details", () => {
    expect(parseKalshiErrorBody('{"code":"not_found","message":"market not found","details":""}')).toEqual({
      code: "not_found",
      message: "market not found",
    });
  });

  it("maps the 429 string body to too_many_requests", () => {
    expect(parseKalshiErrorBody('{"error": "too many requests"}')).toEqual({
      code: "too_many_requests",
      message: "too many requests",
    });
  });

  it("returns null for HTML, empty, non-object and unrelated JSON bodies", () => {
    for (const body of ["", "   ", "<html></html>", "not json", "[1,2]", '{"markets":[]}', "{broken"]) {
      expect(parseKalshiErrorBody(body)).toBeNull();
    }
  });
});

describe("classifyThrown", () => {
  it("treats our timeout (TimeoutError) as a retryable timeout", () => {
    const err = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(classifyThrown(err)).toMatchObject({ retryable: true, reason: "timeout" });
  });

  it("treats an AbortError as a retryable timeout", () => {
    const err = new DOMException("This operation was aborted", "AbortError");
    expect(classifyThrown(err)).toMatchObject({ retryable: true, reason: "timeout" });
  });

  it("treats a fetch TypeError as a retryable network failure", () => {
    expect(classifyThrown(new TypeError("fetch failed"))).toMatchObject({
      retryable: true,
      reason: "network",
    });
  });

  it("treats anything else thrown as a network failure, without a status", () => {
    const f = classifyThrown("boom");
    expect(f).toMatchObject({ retryable: true, reason: "network" });
    expect(f.status).toBeUndefined();
  });
});

describe("writeOutcome", () => {
  const KINDS: WriteKind[] = ["create", "batch_create", "other"];
  const EXISTS = fixture("http_error_order_already_exists.json");

  it("is unknown for timeouts, 5xx, 429 and unreadable 2xx bodies, whatever the write", () => {
    for (const kind of KINDS) {
      expect(writeOutcome(classifyThrown(new TypeError("x")), kind)).toBe("unknown");
      expect(writeOutcome(classifyHttp(500, ""), kind)).toBe("unknown");
      expect(writeOutcome(classifyHttp(429, '{"error": "too many requests"}'), kind)).toBe("unknown");
      expect(writeOutcome(badResponse(201, "order_id: expected string"), kind)).toBe("unknown");
    }
  });

  // Regression: every 409 used to be `rejected`, so a resent create that found its first attempt
  // (409 order_already_exists) was written off while the order rested on the book.
  it("says a create answered 409 order_already_exists exists (the order is there)", () => {
    expect(writeOutcome(classifyHttp(409, EXISTS), "create")).toBe("exists");
    expect(writeOutcome(classifyHttp(409, '{"error":{"code":"order_already_exists"}}'), "create")).toBe(
      "exists",
    );
  });

  it("leaves a create's 409 without Kalshi's code unknown, to reconcile, never rejected", () => {
    for (const body of ["", "<html>conflict</html>", '{"error":{"code":"something_new"}}']) {
      expect(writeOutcome(classifyHttp(409, body), "create"), body).toBe("unknown");
    }
  });

  it("leaves any 409 on a whole batch create unknown: it does not say which order exists", () => {
    expect(writeOutcome(classifyHttp(409, EXISTS), "batch_create")).toBe("unknown");
    expect(writeOutcome(classifyHttp(409, ""), "batch_create")).toBe("unknown");
  });

  it("is rejected for the exchange's other explicit 4xx answers and a refused redirect", () => {
    for (const kind of KINDS) {
      expect(
        writeOutcome(classifyHttp(400, '{"error":{"code":"invalid_order","message":"invalid order"}}'), kind),
      ).toBe("rejected");
      expect(writeOutcome(classifyHttp(404, ""), kind)).toBe("rejected");
      expect(writeOutcome(classifyHttp(301, ""), kind)).toBe("rejected");
    }
    // an amend whose updated_client_order_id is taken was refused: nothing changed
    expect(writeOutcome(classifyHttp(409, EXISTS), "other")).toBe("rejected");
  });
});
