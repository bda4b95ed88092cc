/**
 * The contract between `bench/main.ts` and every `bench/*.bench.ts` file: each file's default
 * export is a `BenchRun` that resolves to a list of `BenchResult`s.
 */

export interface BenchResult {
  /** What was measured, e.g. "fixedOrNaN, mixed price/count/money". */
  name: string;
  value: number;
  /** Unit of `value`, e.g. "ns/value", "ops/s", "MB". */
  unit: string;
  /** The budget in words, e.g. "<= 250 ns/value"; shown in the table. */
  target?: string;
  /** false fails `npm run bench`; true or absent does not. */
  ok?: boolean;
}

export type BenchRun = () => Promise<BenchResult[]>;
