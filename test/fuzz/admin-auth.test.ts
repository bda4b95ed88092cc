/**
 * Fuzzing of the admin API's bearer check (`workers/admin/auth.ts`, `checkBearer`). Headers are
 * what an HTTP request can carry (byte strings: every character below U+0100), built around the
 * real token, a near miss of it, or anything; tokens are printable ASCII or any Unicode text.
 * The check never throws, says `ok` only when the header's one token is exactly the expected
 * one, and `unconfigured` / `missing` / `invalid` otherwise as documented.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkBearer } from "../../workers/admin/auth.ts";
import { runs } from "./support.ts";

/** A character a header value can hold: one byte, as the Fetch API exposes it. */
const byteChar = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c));
const byteString = (maxLength: number) => fc.string({ unit: byteChar, maxLength });

const token = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 48,
  }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
);

/** A different token close to `t`: one character changed, dropped or added, or a case flip. */
function nearMiss(t: string, at: number, c: string, how: number): string {
  const i = at % (t.length + 1);
  switch (how % 4) {
    case 0:
      return t.slice(0, i) + c + t.slice(i + 1);
    case 1:
      return t.slice(0, i) + t.slice(i + 1);
    case 2:
      return t.slice(0, i) + c + t.slice(i);
    default:
      return t === t.toUpperCase() ? t.toLowerCase() : t.toUpperCase();
  }
}

const header = (expected: string) =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom("Bearer ", "bearer ", "BEARER\t", "Bearer  ", "Basic ", "Bearer", ""),
        fc.constantFrom("", " ", "\t", "x"),
      )
      .map(([scheme, tail]) => `${scheme}${expected}${tail}`),
    fc.tuple(fc.nat(), byteChar, fc.nat()).map(([at, c, how]) => `Bearer ${nearMiss(expected, at, c, how)}`),
    byteString(80),
    byteString(80).map((s) => `Bearer ${s}`),
  );

/** What the documented check says the verdict is. */
function expectedVerdict(h: string | undefined, expected: string | undefined): string {
  if (!expected) return "unconfigured";
  if (!h) return "missing";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1] === expected ? "ok" : "invalid";
}

describe("checkBearer under arbitrary headers", () => {
  it("never throws and lets in only the exact token", async () => {
    await fc.assert(
      fc.asyncProperty(
        token.chain((t) => fc.tuple(fc.constant(t), fc.option(header(t), { nil: undefined }))),
        fc.constantFrom<"set" | "empty" | "unset">("set", "set", "set", "empty", "unset"),
        async ([t, h], configured) => {
          const expected = configured === "set" ? t : configured === "empty" ? "" : undefined;
          const verdict = await checkBearer(h, expected);
          expect(verdict, JSON.stringify({ h, expected })).toBe(expectedVerdict(h, expected));
        },
      ),
      runs(400, 801),
    );
  });
});
