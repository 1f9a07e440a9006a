/**
 * A price as fetched (from CoinGecko, or a line of a recording), before it becomes the price
 * message (see `messages/price_message.ts`).
 *
 * @module
 */

/** One coin's price as fetched from CoinGecko, validated. */
export interface PriceTick {
  /** CoinGecko's coin id. */
  coinId: string;
  /** The ticker symbol, the message key. */
  symbol: string;
  /** USD price, finite and positive. */
  priceUsd: number;
  /** 24h volume in USD, or null when CoinGecko omitted it. */
  volume24h: number | null;
  /** Market cap in USD, or null. */
  marketCap: number | null;
  /** 24h change in percent, or null. */
  change24h: number | null;
  /** CoinGecko's `last_updated_at`, Unix seconds, or null. */
  lastUpdated: number | null;
  /** When it was fetched, milliseconds since the epoch. */
  fetchedAt: number;
  /** The fetch cycle it came from, from 1. */
  cycle: number;
}

/** What the producer's report needs of a tick: the symbol, the price and the cycle. */
export type TickSummary = Pick<PriceTick, "symbol" | "priceUsd" | "cycle">;
