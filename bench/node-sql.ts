/**
 * A stand-in for a Durable Object's `SqlStorage` over Node's built-in SQLite (`node:sqlite`), so
 * the benchmarks can run the account's modules (the journal, the order path, history) outside
 * workerd, whose clock does not advance during synchronous code. Only what the modules use:
 * `exec(query, ...bindings)` returning an iterable cursor with `toArray`, `one` and `rowsWritten`;
 * multi-statement scripts without bindings (schema migrations). Statements are prepared once.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";

type SqlValue = ArrayBuffer | string | number | null;

class Cursor<T> {
  readonly #rows: T[];
  readonly rowsWritten: number;
  readonly rowsRead: number;
  constructor(rows: T[], written: number) {
    this.#rows = rows;
    this.rowsWritten = written;
    this.rowsRead = rows.length;
  }
  toArray(): T[] {
    return this.#rows;
  }
  one(): T {
    if (this.#rows.length !== 1) throw new Error(`expected exactly one row, got ${this.#rows.length}`);
    return this.#rows[0] as T;
  }
  [Symbol.iterator](): Iterator<T> {
    return this.#rows[Symbol.iterator]();
  }
}

const READS = /^\s*(SELECT|WITH|PRAGMA)\b/i;

/** An in-memory SQLite database behind the `SqlStorage` calls the account's modules make. */
export function nodeSqlStorage(): { sql: SqlStorage; transaction: <T>(fn: () => T) => T } {
  const db = new DatabaseSync(":memory:");
  const statements = new Map<string, StatementSync>();
  const prepared = (q: string) => {
    let st = statements.get(q);
    if (!st) {
      st = db.prepare(q);
      statements.set(q, st);
    }
    return st;
  };
  const sql = {
    exec<T>(query: string, ...bindings: SqlValue[]): Cursor<T> {
      if (bindings.length === 0 && query.trim().replace(/;\s*$/, "").includes(";")) {
        db.exec(query);
        return new Cursor<T>([], 0);
      }
      const st = prepared(query);
      const args = bindings as (string | number | null)[];
      if (READS.test(query)) return new Cursor<T>(st.all(...args) as T[], 0);
      const r = st.run(...args);
      return new Cursor<T>([], Number(r.changes));
    },
    get databaseSize(): number {
      return 0;
    },
  };
  let depth = 0;
  const transaction = <T>(fn: () => T): T => {
    if (depth > 0) return fn();
    depth++;
    db.exec("BEGIN");
    try {
      const out = fn();
      db.exec("COMMIT");
      return out;
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    } finally {
      depth--;
    }
  };
  return { sql: sql as unknown as SqlStorage, transaction };
}
