/**
 * A market's latest price, as the store keeps it (table `latest_prices`) and Redis and the HTTP
 * API show it.
 *
 * @module
 */

import type { Source } from "./market.ts";

/** The latest price of a market (table `latest_prices`). Times are ms since the epoch. */
export interface LatestPrice {
  /** The market's source. */
  source: Source;
  /** The market's product, `BTC-EUR`. */
  product: string;
  /** The product's base currency, `BTC`. */
  symbol: string;
  /**
   * The price in the product's quote currency (USD for CoinGecko; column `price_usd`, its name
   * kept from when every market was quoted in USD).
   */
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
