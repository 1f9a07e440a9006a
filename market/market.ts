/**
 * The market (docs/candles.md#markets): where a series comes from, a `source` and a `product`
 * (`BASE-QUOTE`). Every series — candles, latest prices, alerts — belongs to one market; prices
 * and trades, or two products of one base currency, never share a candle.
 *
 * @module
 */

/** The sources a market may have: CoinGecko's prices and Coinbase's trades. */
export const SOURCES = ["coingecko", "coinbase"] as const;

/** A market's source. */
export type Source = typeof SOURCES[number];

/** A market: a source and a product. */
export interface Market {
  /** Where the observations come from: `coingecko` (prices) or `coinbase` (trades). */
  source: Source;
  /** The product, `BASE-QUOTE`: `BTC-USD`, `BTC-EUR`. */
  product: string;
}

/**
 * Whether a text names a source.
 *
 * @param text The text.
 * @returns True for `coingecko` and `coinbase`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSource } from "./market.ts";
 * assert.deepEqual(isSource("coinbase"), true);
 * assert.deepEqual(isSource("binance"), false);
 * ```
 */
export function isSource(text: string): text is Source {
  return (SOURCES as readonly string[]).includes(text);
}

/**
 * A market's key, `{source}:{product}`: the record key of the candle and alert topics and the
 * key by which the aggregation and the stores hold a market's state.
 *
 * @param market The market.
 * @returns `coinbase:BTC-EUR`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { marketKey } from "./market.ts";
 * assert.deepEqual(marketKey({ source: "coinbase", product: "BTC-EUR" }), "coinbase:BTC-EUR");
 * ```
 */
export function marketKey(market: Market): string {
  return `${market.source}:${market.product}`;
}

/**
 * The market a key names.
 *
 * @param key `{source}:{product}`.
 * @returns The market, or null when the key is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMarketKey } from "./market.ts";
 * assert.deepEqual(parseMarketKey("coingecko:ETH-USD"), { source: "coingecko", product: "ETH-USD" });
 * assert.deepEqual(parseMarketKey("ETH"), null);
 * ```
 */
export function parseMarketKey(key: string): Market | null {
  const colon = key.indexOf(":");
  if (colon < 0) return null;
  const source = key.slice(0, colon);
  const product = key.slice(colon + 1);
  if (!isSource(source) || productParts(product) === null) return null;
  return { source, product };
}

/**
 * A product's base and quote currencies.
 *
 * @param product `BASE-QUOTE`, each 1-15 of `A-Z 0-9`.
 * @returns `{ symbol, quote }`, or null when the text is not a product.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { productParts } from "./market.ts";
 * assert.deepEqual(productParts("BTC-EUR"), { symbol: "BTC", quote: "EUR" });
 * assert.deepEqual(productParts("BTC"), null);
 * ```
 */
export function productParts(product: string): { symbol: string; quote: string } | null {
  if (!/^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$/.test(product)) return null;
  const dash = product.indexOf("-");
  return { symbol: product.slice(0, dash), quote: product.slice(dash + 1) };
}

/**
 * The market of a CoinGecko price: `coingecko` / `{symbol}-USD` (the price message is in USD).
 *
 * @param symbol The price's symbol, `BTC`.
 * @returns The market.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { priceMarket } from "./market.ts";
 * assert.deepEqual(priceMarket("BTC"), { source: "coingecko", product: "BTC-USD" });
 * ```
 */
export function priceMarket(symbol: string): Market {
  return { source: "coingecko", product: `${symbol}-USD` };
}
