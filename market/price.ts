/**
 * The messages that flow between the actors.
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

/** A coin left out of a fetch cycle, and why. */
export interface SkippedCoin {
  /** CoinGecko's coin id. */
  coinId: string;
  /** The ticker symbol. */
  symbol: string;
  /** True when the answer had no entry for the coin at all (an id CoinGecko does not know). */
  missing: boolean;
  /** One line on what happened, e.g. `ethereum (ETH) is missing from the CoinGecko response`. */
  reason: string;
}

/** The message value of SPEC §4, schema `crypto-price/v1`. */
export interface PriceMessage {
  symbol: string;
  coin_id: string;
  price_usd: number;
  volume_24h: number | null;
  market_cap: number | null;
  price_change_24h: number | null;
  last_updated: number | null;
  timestamp: string;
  producer_id: string;
  message_id: string;
}

/** What the producer's report needs of a tick: the symbol, the price and the cycle. */
export type TickSummary = Pick<PriceTick, "symbol" | "priceUsd" | "cycle">;

/** A tick encoded for the topic, with the tick kept for reporting. */
export interface EncodedPrice {
  /** The key: the symbol. */
  key: string;
  /** The JSON value: as text, or as its UTF-8 bytes (from the replay worker). */
  value: string | Uint8Array;
  /** The headers. */
  headers: Record<string, string>;
  /** The record timestamp, milliseconds. */
  timestamp: number;
  /** The tick it was made from (at least what the report needs). */
  tick: TickSummary;
}
