/**
 * A symbol's latest price, as the store keeps it (table `latest_prices`) and Redis and the HTTP
 * API show it.
 *
 * @module
 */

/** The latest price of a symbol (table `latest_prices`). Times are ms since the epoch. */
export interface LatestPrice {
  symbol: string;
  /** The price in USD. */
  priceUsd: number;
  /** 24 h volume in USD, or null. */
  volume24h: number | null;
  /** Market capitalisation in USD, or null. */
  marketCap: number | null;
  /** 24 h change in percent, or null. */
  priceChange24h: number | null;
  /** When the price held: a price message's `last_updated` (else its fetch time), a trade's time. */
  eventTime: number;
}

// Kept for store/redis.ts, which imports it from here; new code imports
// messages/latest_price_message.ts.
