/**
 * docs/configuration.md is the operator's list of every setting: each leaf of the config schema
 * must appear there with its current default, so a new or changed setting cannot go undocumented.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT_CONFIG } from "../workers/account/account-config.ts";

function leaves(value: unknown, path: string[] = []): Array<[string, unknown]> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, inner]) => leaves(inner, [...path, key]));
  }
  return [[path.join("."), value]];
}

const doc = readFileSync(new URL("../docs/configuration.md", import.meta.url), "utf8");
const rows = new Map<string, string>();
for (const line of doc.split("\n")) {
  const match = /^\| `([\w.]+)` \| ([^|]*) \|/.exec(line);
  if (match?.[1] !== undefined && match[2] !== undefined) rows.set(match[1], match[2].trim());
}

describe("docs/configuration.md", () => {
  const settings = leaves(DEFAULT_ACCOUNT_CONFIG);

  it("lists every setting of the schema", () => {
    expect(settings.length).toBeGreaterThan(50);
    const missing = settings.map(([path]) => path).filter((path) => !rows.has(path));
    expect(missing).toEqual([]);
  });

  it("lists no setting the schema does not have", () => {
    const known = new Set(settings.map(([path]) => path));
    expect([...rows.keys()].filter((path) => !known.has(path))).toEqual([]);
  });

  it("shows each setting's current default", () => {
    const wrong = settings
      .filter(([path, value]) => rows.get(path) !== JSON.stringify(value))
      .map(([path, value]) => `${path}: doc ${rows.get(path)}, schema ${JSON.stringify(value)}`);
    expect(wrong).toEqual([]);
  });
});
