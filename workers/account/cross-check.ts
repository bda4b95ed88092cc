/**
 * The REST cross-check's pure parts: drawing the sample of fresh books to compare, and the
 * comparison of a streamed top of book with the one REST returns. The account object's
 * cross-check job fetches REST one pick at a time, counts matches and mismatches.
 */
import type { TopOfBook } from "../../shared/domain.ts";

/**
 * Removes and returns one element of `pool` at the position `random` (a number in [0, 1))
 * picks; undefined when the pool is empty.
 */
export function takeRandom<T>(pool: T[], random: number): T | undefined {
  return pool.splice(Math.floor(random * pool.length), 1)[0];
}

/** Same best bids and sizes on both sides. */
export function topsMatch(rest: TopOfBook, ours: TopOfBook): boolean {
  return (
    rest.yesBid === ours.yesBid &&
    rest.noBid === ours.noBid &&
    rest.yesBidSize === ours.yesBidSize &&
    rest.noBidSize === ours.noBidSize
  );
}
