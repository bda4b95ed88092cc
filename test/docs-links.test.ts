/**
 * The repository's documentation must stand alone: an operator reads it without the code's
 * authors and without anything outside the repository. This test checks two things over the
 * files as they are:
 *
 * - every relative link in README.md and docs/*.md points to a file or folder that exists, and a
 *   link into a Markdown file with `#anchor` names a heading that file has (GitHub's anchors);
 * - no file of the repository (tracked, or new and not ignored; node_modules and .git never)
 *   names a path outside it: a `../shared/...` path that does not resolve to a file inside the
 *   repository, or any `/work/` path. Relative imports of the repository's own `shared/`
 *   folder resolve, so they pass.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SELF = relative(ROOT, fileURLToPath(import.meta.url))
  .split(sep)
  .join("/");

// ---------------------------------------------------------------- Markdown helpers (pure)

interface Link {
  target: string;
  line: number;
}

/** Text with fenced code blocks blanked and inline code spans removed, line numbers kept. */
function proseLines(markdown: string): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (m?.[1] !== undefined && m[1][0] === fence[0] && m[1].length >= fence.length) fence = null;
      out.push("");
      continue;
    }
    if (m?.[1] !== undefined) {
      fence = m[1];
      out.push("");
      continue;
    }
    out.push(line.replace(/(`+)[^`]*?\1/g, ""));
  }
  return out;
}

/** Every link target in `markdown` outside code: inline links, images and reference definitions. */
function markdownLinks(markdown: string): Link[] {
  const links: Link[] = [];
  proseLines(markdown).forEach((text, i) => {
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      if (m[1] !== undefined) links.push({ target: m[1], line: i + 1 });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(text);
    if (def?.[1] !== undefined) links.push({ target: def[1], line: i + 1 });
  });
  return links;
}

/** A link to another site or protocol (`https:`, `mailto:`), not a file of the repository. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");
}

/** GitHub's anchor for a heading's text: links reduced to their text, lower case, punctuation dropped, spaces as hyphens. */
function slugOf(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of every heading in `markdown` (outside code), numbered as GitHub numbers repeats. */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const m = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m?.[1] === undefined) continue;
    const base = slugOf(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Why a relative link from `fromFile` is broken, or null when it resolves. */
function brokenLink(fromFile: string, target: string): string | null {
  const hash = target.indexOf("#");
  const pathPart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
  const file = pathPart === "" ? fromFile : resolve(dirname(fromFile), decodeURIComponent(pathPart));
  if (!file.startsWith(ROOT + sep) && file !== ROOT) return "points outside the repository";
  if (!existsSync(file)) return "no such file";
  if (anchor !== null && anchor !== "" && file.endsWith(".md") && statSync(file).isFile()) {
    if (!headingAnchors(readFileSync(file, "utf8")).has(anchor)) return `no heading #${anchor}`;
  }
  return null;
}

// ---------------------------------------------------------------- the repository's files

/** Files of the repository: tracked, plus new ones git does not ignore. */
function repositoryFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...new Set(out.split("\0").filter((f) => f !== ""))]
    .filter((f) => !f.startsWith("node_modules/") && !f.startsWith(".git/"))
    .filter((f) => existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).isFile());
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

/** Mentions of paths outside the repository in one file's text. */
function outsidePaths(file: string, text: string, exists: (abs: string) => boolean): string[] {
  const found: string[] = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(/(?:\.\.\/)+shared(?:\/[\w.@-]+)*\/?/g)) {
      const abs = resolve(ROOT, dirname(file), m[0]);
      const inside = abs === ROOT || abs.startsWith(ROOT + sep);
      if (!inside || !exists(abs)) found.push(`${file}:${i + 1}: ${m[0]}`);
    }
    if (/\/work\//.test(line)) found.push(`${file}:${i + 1}: a /work/ path`);
  });
  return found;
}

const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

// ---------------------------------------------------------------- tests

describe("markdown link helpers", () => {
  it.each([
    ["an inline link", "see [the runbook](docs/RUNBOOK.md) first", ["docs/RUNBOOK.md"]],
    ["a link with an anchor and a title", '[x](a.md#b-c "t")', ["a.md#b-c"]],
    ["an image", "![chart](img/chart.png)", ["img/chart.png"]],
    ["a reference definition", "[ref]: docs/soak.md", ["docs/soak.md"]],
    ["nothing inside inline code", "run `[x](nope.md)` here", []],
    ["nothing inside a fenced block", "```sh\n[x](nope.md)\n```\n[y](yes.md)", ["yes.md"]],
  ])("finds %s", (_name, text, targets) => {
    expect(markdownLinks(text).map((l) => l.target)).toEqual(targets);
  });

  it.each([
    ["Run it", "run-it"],
    ["What `npm start` does", "what-npm-start-does"],
    ["`strategy` ([strategy.md](strategy.md) explains each rule)", "strategy-strategymd-explains-each-rule"],
    ["Halt, flatten and resume", "halt-flatten-and-resume"],
    ["Costs: 24/7 on Cloudflare", "costs-247-on-cloudflare"],
  ])("slugs the heading %j as GitHub does", (heading, slug) => {
    expect(slugOf(heading)).toBe(slug);
  });

  it("numbers a repeated heading's anchor", () => {
    expect([...headingAnchors("# A\n## Tests\n## Tests\n```\n# not a heading\n```")]).toEqual([
      "a",
      "tests",
      "tests-1",
    ]);
  });

  it.each([
    ["https://docs.kalshi.com/getting_started/api_keys", true],
    ["mailto:ops@example.com", true],
    ["docs/admin.md", false],
    ["#halt", false],
  ])("tells %s external: %s", (target, external) => {
    expect(isExternal(target)).toBe(external);
  });

  it("flags a ../shared path that leaves the repository or names nothing in it, and any /work/ path", () => {
    const exists = (abs: string) => abs === join(ROOT, "shared", "domain.ts");
    expect(outsidePaths("scripts/x.ts", 'import "../shared/domain.ts";', exists)).toEqual([]);
    expect(outsidePaths("docs/x.md", "read ../shared/NOTES.md", exists)).toEqual([
      "docs/x.md:1: ../shared/NOTES.md",
    ]);
    expect(outsidePaths("README.md", "see ../shared/domain.ts", exists)).toEqual([
      "README.md:1: ../shared/domain.ts",
    ]);
    expect(outsidePaths("a.md", "x\nin /work/tmp", exists)).toEqual(["a.md:2: a /work/ path"]);
  });
});

describe("the repository's documentation", () => {
  it("has README.md and the operator pages", () => {
    for (const f of ["docs/DEPLOYMENT.md", "docs/RUNBOOK.md", "docs/architecture.md", "docs/soak.md"])
      expect(DOCS).toContain(f);
  });

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const abs = join(ROOT, doc);
      for (const link of markdownLinks(readFileSync(abs, "utf8"))) {
        if (isExternal(link.target)) continue;
        const why = brokenLink(abs, link.target);
        if (why !== null) broken.push(`${doc}:${link.line}: ${link.target} (${why})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("names no path outside the repository in any of its files", () => {
    const files = repositoryFiles().filter((f) => f !== SELF);
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const f of files) {
      const bytes = readFileSync(join(ROOT, f));
      if (isBinary(bytes)) continue;
      found.push(...outsidePaths(f, bytes.toString("utf8"), existsSync));
    }
    expect(found).toEqual([]);
  });
});
