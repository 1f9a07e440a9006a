/**
 * A symbol's latest price, as the store keeps it (table `latest_prices`) and Redis and the HTTP
 * API show it.
 *
 * @module
 */

/** The latest price of a symbol (table `latest_prices`). Times are ms since the epoch. */
export interface LatestPrice {
  /** The symbol. */
  symbol: string;
  /** The price in USD. */
  priceUsd: number;
  /** 24 h volume in USD, or null. */
  volume24h: number | null;
  /** Market capitalisation in USD, or null. */
  marketCap: number | null;
  /** 24 h change in percent, or null. */
  priceChange24h: number | null;
  /** The price's event time. */
  eventTime: number;
}

/** A latest price as JSON: the snake_case names of the message contract, the time ISO-8601. */
export interface LatestPriceJson {
  symbol: string;
  price_usd: number;
  volume_24h: number | null;
  market_cap: number | null;
  price_change_24h: number | null;
  event_time: string;
}

/**
 * The JSON form of a latest price, for Redis (`crypto:{SYMBOL}:latest`, `crypto:prices`) and the
 * HTTP API.
 *
 * @param price The latest price.
 * @returns A plain object ready for `JSON.stringify`.
 *
 * @example
 * ```ts
 * import { latestPriceJson } from "./latest_price.ts";
 * const json = latestPriceJson({
 *   symbol: "BTC", priceUsd: 45234.56, volume24h: null, marketCap: null, priceChange24h: 2.34,
 *   eventTime: Date.UTC(2025, 10, 12, 10, 30, 45),
 * });
 * console.log(json.event_time); // "2025-11-12T10:30:45.000Z"
 * ```
 */
export function latestPriceJson(price: LatestPrice): LatestPriceJson {
  return {
    symbol: price.symbol,
    price_usd: price.priceUsd,
    volume_24h: price.volume24h,
    market_cap: price.marketCap,
    price_change_24h: price.priceChange24h,
    event_time: new Date(price.eventTime).toISOString(),
  };
}
