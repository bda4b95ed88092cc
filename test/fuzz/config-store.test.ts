/**
 * Fuzzing of config updates (`workers/account/account-config.ts`, `ConfigStore.update`) over real
 * SQLite (Node's, through bench/node-sql.ts's `SqlStorage` stand-in). Patches are what the admin
 * API would hand on after `JSON.parse`: deep partials of the config with values kept, nudged or
 * replaced by hostile ones, unknown keys at any depth (Object member names and `__proto__`
 * included), and non-objects. Each update is either applied whole (every key of the patch is a
 * setting of the stored config, numbers and flags as sent, the stored document reparses and
 * reloads to the same config) or refused with field-level errors, and a refused one leaves the
 * stored document and version exactly as they were.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeSqlStorage } from "../../bench/node-sql.ts";
import {
  AccountConfig,
  CONFIG_SCHEMA,
  ConfigStore,
  DEFAULT_ACCOUNT_CONFIG,
} from "../../workers/account/account-config.ts";
import { applySchema } from "../../workers/account/sql-schema.ts";
import { hostileValue, pathsOf, runs } from "./support.ts";

type Path = (string | number)[];

function freshStore() {
  const { sql } = nodeSqlStorage();
  applySchema(sql, CONFIG_SCHEMA);
  return { sql, store: new ConfigStore(sql) };
}

function storedRow(sql: SqlStorage): { version: number; doc: string } | undefined {
  return sql
    .exec<{ version: number; doc: string }>("SELECT version, doc FROM config WHERE id = 1")
    .toArray()[0];
}

function getAt(v: unknown, path: Path): unknown {
  let cur = v;
  for (const k of path) {
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function hasOwnPath(v: unknown, path: Path): boolean {
  let cur = v;
  for (const k of path) {
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, k)) return false;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return true;
}

/** Sets `value` at `path` in `o`, creating objects on the way; own properties even for `__proto__`. */
function setAt(o: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = o;
  path.forEach((k, i) => {
    const last = i === path.length - 1;
    const existing = Object.hasOwn(cur, k) ? cur[k] : undefined;
    const next = last
      ? value
      : typeof existing === "object" && existing !== null && !Array.isArray(existing)
        ? existing
        : {};
    Object.defineProperty(cur, k, { value: next, enumerable: true, writable: true, configurable: true });
    cur = next as Record<string, unknown>;
  });
}

/** Every path of the default config whose keys are all names (no array indexes). */
const SETTINGS: string[][] = pathsOf(DEFAULT_ACCOUNT_CONFIG).filter((p): p is string[] =>
  p.every((k) => typeof k === "string"),
);

type Nudge = "same" | "double" | "half" | "plus-one" | "negate" | "flip";

type Change =
  | { kind: "setting"; at: number; how: Nudge }
  | { kind: "hostile"; at: number; value: unknown }
  | { kind: "unknown"; at: number; key: string; value: unknown };

const change: fc.Arbitrary<Change> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("setting" as const),
      at: fc.nat(),
      how: fc.constantFrom(
        "same" as const,
        "double" as const,
        "half" as const,
        "plus-one" as const,
        "negate" as const,
        "flip" as const,
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("hostile" as const), at: fc.nat(), value: hostileValue }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("unknown" as const),
      at: fc.nat(),
      key: fc.oneof(
        fc.constantFrom(
          "constructor",
          "__proto__",
          "toString",
          "valueOf",
          "hasOwnProperty",
          "isPrototypeOf",
          "unknownSetting",
        ),
        fc.string({ maxLength: 8 }),
      ),
      value: hostileValue,
    }),
  },
);

function nudge(v: unknown, how: Nudge): unknown {
  if (typeof v === "number") {
    if (how === "double") return v * 2;
    if (how === "half") return Math.floor(v / 2);
    if (how === "plus-one") return v + 1;
    if (how === "negate") return -v;
  }
  if (typeof v === "boolean" && how === "flip") return !v;
  return structuredClone(v);
}

/** A patch as the admin API would pass it on: built from changes, then through JSON text. */
function patchOf(changes: readonly Change[]): unknown {
  const patch: Record<string, unknown> = {};
  for (const c of changes) {
    const at = SETTINGS[c.at % SETTINGS.length] as string[];
    if (c.kind === "unknown") setAt(patch, [...at.slice(0, c.at % at.length), c.key], c.value);
    else setAt(patch, at, c.kind === "hostile" ? c.value : nudge(getAt(DEFAULT_ACCOUNT_CONFIG, at), c.how));
  }
  return JSON.parse(JSON.stringify(patch));
}

const patch: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.array(change, { minLength: 1, maxLength: 4 }).map(patchOf) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Every key path of a JSON patch (objects only: arrays are values that replace). */
function patchPaths(p: unknown, under: Path = []): Path[] {
  if (typeof p !== "object" || p === null || Array.isArray(p)) return [];
  return Object.entries(p).flatMap(([k, v]) => [[...under, k], ...patchPaths(v, [...under, k])]);
}

describe("ConfigStore.update under arbitrary patches", () => {
  // Regression: keys were looked up with `in`, so a name every object inherits (`constructor`,
  // `toString`) passed for a setting and the patch was stored as a new version; an empty key was
  // refused under an empty path.
  it.each([
    ['{"feed":{"constructor":1}}', "feed.constructor: unknown setting"],
    ['{"toString":"x"}', "toString: unknown setting"],
    ['{"strategy":{"exits":{"hasOwnProperty":{}}}}', "strategy.exits.hasOwnProperty: unknown setting"],
    ['{"":1}', '"": unknown setting'],
    ['{"report":{"__proto__":{"to":["x@example.com"]}}}', "report"],
  ])("refuses %s (%s) and stores nothing", (text, error) => {
    const { sql, store } = freshStore();
    const r = store.update(JSON.parse(text), 1_000);
    expect(r.ok ? "applied" : r.errors.map((e) => `${e.path}: ${e.message}`).join("; ")).toContain(error);
    expect([store.version, storedRow(sql), store.get().report.to]).toEqual([0, undefined, undefined]);
  });

  it("applies a patch whole and valid, or refuses it with field errors and changes nothing stored", () => {
    fc.assert(
      fc.property(fc.array(patch, { minLength: 1, maxLength: 5 }), (patches) => {
        const { sql, store } = freshStore();
        for (const [i, p] of patches.entries()) {
          const before = storedRow(sql);
          const config = JSON.stringify(store.get());
          const version = store.version;
          const r = store.update(p, 1_000 + i);
          if (!r.ok) {
            expect(r.errors.length).toBeGreaterThan(0);
            for (const e of r.errors) {
              expect(e.path.length).toBeGreaterThan(0);
              expect(e.message.length).toBeGreaterThan(0);
            }
            expect(storedRow(sql)).toEqual(before);
            expect([JSON.stringify(store.get()), store.version]).toEqual([config, version]);
            continue;
          }
          expect(r.version).toBe(version + 1);
          // Every key the patch named is a setting of the new config; numbers, flags and nulls as sent.
          for (const path of patchPaths(p)) {
            expect(hasOwnPath(r.config, path), `${path.join(".")} in ${JSON.stringify(p)}`).toBe(true);
            const sent = getAt(p, path);
            if (sent === null || typeof sent === "number" || typeof sent === "boolean")
              expect(getAt(r.config, path)).toBe(sent);
          }
          const row = storedRow(sql);
          expect(row?.version).toBe(r.version);
          const reparsed = AccountConfig.safeParse(JSON.parse(row?.doc ?? "null"));
          expect(reparsed.success).toBe(true);
          expect(JSON.stringify(reparsed.data)).toBe(JSON.stringify(r.config));
          const reloaded = new ConfigStore(sql);
          expect([reloaded.loadError, reloaded.version, JSON.stringify(reloaded.get())]).toEqual([
            null,
            r.version,
            JSON.stringify(r.config),
          ]);
        }
      }),
      runs(120, 501),
    );
  });
});
