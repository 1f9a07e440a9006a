/**
 * A coin a fetch cycle left out, and why: the producer counts and reports it.
 *
 * @module
 */

/** A coin left out of a fetch cycle, and why. */
export interface SkippedCoin {
  /** CoinGecko's coin id. */
  coinId: string;
  symbol: string;
  /** True when the answer had no entry for the coin at all (an id CoinGecko does not know). */
  missing: boolean;
  /** One line on what happened, e.g. `ethereum (ETH) is missing from the CoinGecko response`. */
  reason: string;
}
