/**
 * Finding which market(s) a store refuses (docs/candles.md#where-candles-go): a write the store
 * refuses for good (a value, a type, a constraint; see `store/store_error.ts`) is split in halves
 * by market, and each half written again, until the refused markets stand alone; everything else
 * is written. With `r` markets refused among `n`, that takes about `2·r·log₂(n)` writes.
 *
 * @module
 */
import { isPermanentStoreError, type StoreRefusedError } from "../store/store_error.ts";

/** Markets whose part of a write the store refused for good, and its refusal. */
export interface Refusal<K> {
  /** The markets (one, unless the write could not be split further). */
  keys: K[];
  /** The store's refusal: its message is the reason the records are dead-lettered with. */
  error: StoreRefusedError;
}

/**
 * Writes the parts of `keys` through `attempt`, isolating the ones refused for good.
 *
 * @param keys The markets of the write, each once.
 * @param attempt Writes the part of the write of the markets given; rejects with a
 *   `StoreRefusedError` when the store refuses it for good. (Transient errors are the caller's
 *   to retry inside `attempt`; any error other than a refusal is thrown as it is.)
 * @returns The refused markets with the store's reasons, in the order of `keys`; every other
 *   market's part was written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isolateRefusals } from "./write_split.ts";
 * import { StoreRefusedError } from "../store/store_error.ts";
 * const written: string[] = [];
 * const markets = ["coinbase:BTC-USD", "coinbase:BTC-EUR", "coingecko:BTC-USD"];
 * const refusals = await isolateRefusals(markets, (keys) => {
 *   if (keys.includes("coinbase:BTC-EUR")) return Promise.reject(new StoreRefusedError("refused"));
 *   written.push(...keys);
 *   return Promise.resolve();
 * });
 * assert.deepEqual(refusals.map((r) => r.keys), [["coinbase:BTC-EUR"]]);
 * assert.deepEqual(written, ["coinbase:BTC-USD", "coingecko:BTC-USD"]);
 * ```
 */
export async function isolateRefusals<K>(
  keys: readonly K[],
  attempt: (keys: readonly K[]) => Promise<void>,
): Promise<Refusal<K>[]> {
  try {
    await attempt(keys);
    return [];
  } catch (error) {
    if (!isPermanentStoreError(error)) throw error;
    if (keys.length <= 1) return [{ keys: [...keys], error }];
    const half = Math.ceil(keys.length / 2);
    const first = await isolateRefusals(keys.slice(0, half), attempt);
    return [...first, ...await isolateRefusals(keys.slice(half), attempt)];
  }
}
