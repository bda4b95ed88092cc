/**
 * Shared pieces of the fuzz suite (`test/fuzz/*.test.ts`): fixed fast-check settings, and
 * arbitraries that damage a JSON document the ways a broken or hostile peer would: a value
 * replaced by one of the wrong type or an extreme number, a key deleted or added, a value
 * wrapped in an array or turned into a string, and at the text level a truncation, a duplicated
 * key, a number literal JavaScript cannot hold exactly (`1e400`, 30 digits, `-0`) or stray bytes.
 *
 * The base documents are Kalshi's published examples (`shared/kalshi/fixtures/`), loaded by each
 * test file (Node reads the directory; the workerd tests import the few they need). No file
 * system access here, so the workerd tests can use it too.
 */
import fc from "fast-check";

/** fast-check settings: a fixed seed (a failure prints its path to replay) and bounded runs. */
export function runs(numRuns: number, seed: number): fc.Parameters<unknown> {
  return { numRuns, seed };
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every path to a value inside `v`, the root excluded, in document order. */
export function pathsOf(v: unknown, under: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([...under, i]);
      out.push(...pathsOf(x, [...under, i]));
    });
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      out.push([...under, k]);
      out.push(...pathsOf(x, [...under, k]));
    }
  }
  return out;
}

/**
 * Values that break assumptions: wrong types, numbers past 2^53 or outside every unit's range,
 * fixed-point strings just outside what Kalshi sends, control characters, lone surrogates, the
 * published ticker (so a damaged frame may still name a real book), empty containers.
 */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    0.5,
    2 ** 31,
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1e21,
    1e308,
    -1e308,
    5e-324,
    "",
    " ",
    "0",
    "-0",
    "1e3",
    "NaN",
    "Infinity",
    "0.5600",
    "0.56000",
    "1.0000",
    "0.0000",
    "-0.5600",
    "-54.00",
    "54.001",
    "100000000.01",
    "99999999999999999999.99",
    "1000000000.000001",
    "yes",
    "no",
    "bid",
    "ask",
    "resting",
    "\u0000",
    "\ud800",
    "é",
    "FED-23DEC-T3.00",
    "constructor",
    "__proto__",
    [],
    {},
    [[]],
    { "": null },
  ),
  fc.integer(),
  fc.double(),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** One structural edit; `at` picks the path (modulo the number of paths). */
export type Edit =
  | { op: "replace"; at: number; value: unknown }
  | { op: "delete"; at: number }
  | { op: "add"; at: number; key: string; value: unknown }
  | { op: "wrap"; at: number }
  | { op: "stringify"; at: number };

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: hostileValue }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("add" as const),
      at: fc.nat(),
      key: fc.oneof(
        fc.constantFrom("id", "sid", "seq", "type", "msg", "error", "code", "__proto__", "constructor"),
        fc.string({ maxLength: 6 }),
      ),
      value: hostileValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("wrap" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("stringify" as const), at: fc.nat() }) },
);

/** `base` with the edits applied (a copy; `base` is left alone). Paths are counted under `under`. */
export function applyEdits(base: unknown, edits: readonly Edit[], under: Path = []): unknown {
  const doc = structuredClone(base);
  for (const e of edits) {
    const root = getAt(doc, under);
    const paths = [[], ...pathsOf(root)].map((p) => [...under, ...p]);
    const path = paths[e.at % paths.length] as Path;
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1];
    const parent = getAt(doc, parentPath);
    if (key === undefined) {
      // The root of the edited region itself.
      if (e.op === "add" && isObject(parent)) defineKey(parent, e.key, e.value);
      continue;
    }
    if (!isObject(parent) && !Array.isArray(parent)) continue;
    const container = parent as Record<string | number, unknown>;
    const current = container[key];
    switch (e.op) {
      case "replace":
        container[key] = structuredClone(e.value);
        break;
      case "delete":
        if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
        else delete container[key];
        break;
      case "add":
        if (isObject(current)) defineKey(current, e.key, e.value);
        else if (Array.isArray(current)) current.push(structuredClone(e.value));
        break;
      case "wrap":
        container[key] = [current];
        break;
      case "stringify":
        container[key] =
          typeof current === "string" ? JSON.stringify(current) : JSON.stringify(current ?? null);
        break;
    }
  }
  return doc;
}

/** An own data property, even for `__proto__` (plain assignment would change the prototype). */
function defineKey(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, {
    value: structuredClone(value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function getAt(v: unknown, path: Path): unknown {
  let cur: unknown = v;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** One edit of the serialised text. */
export type TextEdit =
  | { op: "truncate"; at: number }
  | { op: "duplicateKey"; at: number; value: string }
  | { op: "number"; at: number; literal: string }
  | { op: "insert"; at: number; chars: string }
  | { op: "wrapper"; prefix: string; suffix: string };

/** Number literals that JSON allows (or nearly) but a double cannot hold as written. */
const NUMBER_LITERALS = [
  "1e400",
  "-1e400",
  "123456789012345678901234567890",
  "9007199254740993",
  "-0",
  "1.0",
  "1E2",
  "0.0000001",
  "00",
  "01",
  "+1",
  ".5",
  "NaN",
  "Infinity",
];

export const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("duplicateKey" as const),
      at: fc.nat(),
      value: fc.oneof(
        fc.constantFrom("null", '"x"', "-1", "1e400", "[]", "{}", '"FED-23DEC-T3.00"'),
        hostileValue.map((v) => JSON.stringify(v) ?? "null"),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("number" as const),
      at: fc.nat(),
      literal: fc.constantFrom(...NUMBER_LITERALS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("insert" as const),
      at: fc.nat(),
      chars: fc.oneof(
        fc.constantFrom('"', "\\", ",", ":", "{", "}", "[", "]", "\u0000", "\ufeff", "\ud800", " "),
        fc.string({ unit: "binary", maxLength: 4 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("wrapper" as const),
      prefix: fc.constantFrom("", " ", "\ufeff", "[", "x"),
      suffix: fc.constantFrom("", " ", "\n", "]", "x", "{}"),
    }),
  },
);

const KEY = /"((?:[^"\\]|\\.)*)"\s*:/g;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** `text` with the edits applied, in order. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  let s = text;
  for (const e of edits) {
    switch (e.op) {
      case "truncate":
        s = s.slice(0, e.at % (s.length + 1));
        break;
      case "duplicateKey": {
        // The copy goes first, so JSON.parse keeps the original (last one wins) while a
        // hand-written scanner that stops at the first sees the copy.
        const keys = [...s.matchAll(KEY)];
        const k = keys[e.at % Math.max(1, keys.length)];
        if (k?.index !== undefined) s = `${s.slice(0, k.index)}"${k[1]}":${e.value},${s.slice(k.index)}`;
        break;
      }
      case "number": {
        const nums = [...s.matchAll(NUMBER)];
        const m = nums[e.at % Math.max(1, nums.length)];
        if (m?.index !== undefined) s = s.slice(0, m.index) + e.literal + s.slice(m.index + m[0].length);
        break;
      }
      case "insert": {
        const at = e.at % (s.length + 1);
        s = s.slice(0, at) + e.chars + s.slice(at);
        break;
      }
      case "wrapper":
        s = e.prefix + s + e.suffix;
        break;
    }
  }
  return s;
}

/**
 * A damaged copy of one of `bases`, as text: structural edits (under `under` only, when given),
 * serialised, then text edits. Mostly few edits, so many results stay close to valid.
 */
export function damagedText(
  bases: readonly unknown[],
  under: (string | number)[] = [],
): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.nat({ max: bases.length - 1 }),
      fc.array(edit, { maxLength: 3 }),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant<TextEdit[]>([]) },
        { weight: 1, arbitrary: fc.array(textEdit, { minLength: 1, maxLength: 2 }) },
      ),
    )
    .map(([i, edits, texts]) => applyTextEdits(JSON.stringify(applyEdits(bases[i], edits, under)), texts));
}

/** Arbitrary JSON, as text, from fast-check's own JSON generator (objects, arrays, scalars). */
export const randomJsonText: fc.Arbitrary<string> = fc.json({ maxDepth: 3 });

/** What `hostileObject` builds: printable, so fast-check can report a failing case. */
export interface HostileSpec {
  /** what the getter or trap throws */
  thrown: "error" | "string" | "null" | "prototype-less object" | "symbol";
  /** the key whose getter throws (plain objects) */
  key: string;
  type: string;
  /** a proxy whose every trap throws, instead of one throwing getter */
  proxy: boolean;
}

export const hostileSpec: fc.Arbitrary<HostileSpec> = fc.record({
  thrown: fc.constantFrom("error", "string", "null", "prototype-less object", "symbol"),
  key: fc.constantFrom("type", "sid", "msg", "id", "error", "code"),
  type: fc.constantFrom("ok", "fill", "orderbook_delta", "error", "nope"),
  proxy: fc.boolean(),
});

/**
 * A value no JSON parser produces: a getter that throws (an Error, a string, null, a symbol, or a
 * prototype-less object, whose conversion to a string throws as well), or a proxy whose every
 * trap throws. Built inside the property from its spec (a proxy cannot be printed).
 */
export function hostileObject(spec: HostileSpec): unknown {
  const thrown: unknown =
    spec.thrown === "error"
      ? new Error("getter")
      : spec.thrown === "string"
        ? "thrown string"
        : spec.thrown === "null"
          ? null
          : spec.thrown === "symbol"
            ? Symbol("s")
            : Object.create(null);
  const throwIt = () => {
    throw thrown;
  };
  if (spec.proxy)
    return new Proxy(
      {},
      {
        get: throwIt,
        has: throwIt,
        ownKeys: throwIt,
        getOwnPropertyDescriptor: throwIt,
        getPrototypeOf: throwIt,
      },
    );
  const o: Record<string, unknown> = { type: spec.type, sid: 1, seq: 1, id: 1, msg: {} };
  Object.defineProperty(o, spec.key, { get: throwIt, enumerable: true });
  return o;
}
