/**
 * The latest-price message (docs/messages.md), written once: what Redis keeps and publishes
 * (`crypto:{source}:{product}:latest`, `crypto:{SYMBOL}:latest`, `crypto:prices`), the HTTP API
 * answers and the live stream sends; it goes on no Kafka topic, so it has no headers. One JSON
 * object of nine fields, in this order:
 *
 * ```json
 * {"source":"coinbase","product":"BTC-EUR","symbol":"BTC","quote":"EUR","price_usd":41800.5,
 *  "volume_24h":null,"market_cap":null,"price_change_24h":null,
 *  "event_time":"2025-11-12T10:30:45.000Z"}
 * ```
 *
 * `price_usd` is the price in the quote currency (the name kept from when every market was
 * quoted in USD).
 *
 * @module
 */
import type { LatestPrice } from "../latest_price.ts";
import { priceMarket, productParts, type Source } from "../market.ts";
import {
  isFiniteNumber,
  isFiniteOrNull,
  isPositive,
  isText,
  marketFields,
  MAX_SYMBOL_LENGTH,
  timeOf,
  valueFields,
} from "./checks.ts";
import type { Decoded } from "./decoded.ts";

/** A latest price as JSON: the names of the price message, the event time ISO-8601 UTC. */
export interface LatestPriceJson {
  source: Source;
  product: string;
  symbol: string;
  quote: string;
  /** In the quote currency. */
  price_usd: number;
  volume_24h: number | null;
  market_cap: number | null;
  price_change_24h: number | null;
  event_time: string;
}

/**
 * The JSON form of a latest price.
 *
 * @param price The latest price.
 * @returns A plain object ready for `JSON.stringify`, fields in the message's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latestPriceJson } from "./latest_price_message.ts";
 * const json = latestPriceJson({
 *   source: "coingecko", product: "BTC-USD", symbol: "BTC", priceUsd: 45234.56, volume24h: null,
 *   marketCap: null, priceChange24h: 2.34, eventTime: Date.UTC(2025, 10, 12, 10, 30, 45),
 * });
 * assert.equal(json.event_time, "2025-11-12T10:30:45.000Z");
 * ```
 */
export function latestPriceJson(price: LatestPrice): LatestPriceJson {
  return {
    source: price.source,
    product: price.product,
    symbol: price.symbol,
    quote: productParts(price.product)?.quote ?? "",
    price_usd: price.priceUsd,
    volume_24h: price.volume24h,
    market_cap: price.marketCap,
    price_change_24h: price.priceChange24h,
    event_time: new Date(price.eventTime).toISOString(),
  };
}

/**
 * Decodes and checks a latest price. Its market must be one (`source` a source, `product`
 * `BASE-QUOTE` of the `symbol`, `quote` the product's). A price message (see
 * `price_message.ts`) is read as one too, for the live stream follows the price topic as well:
 * it has no source or product, its market is `coingecko` / `{symbol}-USD`, its event time
 * `last_updated`, else `timestamp`. A missing optional number reads as null.
 *
 * @param _key The record's key (not checked).
 * @param value The JSON value, or null.
 * @param _headers The record's headers (not checked).
 * @returns The latest price, or the reason it does not match (one short line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeLatestPrice } from "./latest_price_message.ts";
 * const decoded = decodeLatestPrice(null, '{"symbol":"BTC","price_usd":1,"last_updated":5}', {});
 * assert.equal(decoded.ok && decoded.message.eventTime, 5000);
 * ```
 */
export function decodeLatestPrice(
  _key: string | null,
  value: string | null,
  _headers: Readonly<Record<string, string>>,
): Decoded<LatestPrice> {
  const fields = valueFields(value);
  if (!fields.ok) return fields;
  const f = fields.message;
  if (!isText(f.symbol, MAX_SYMBOL_LENGTH)) {
    return { ok: false, reason: `symbol is not 1-${MAX_SYMBOL_LENGTH} characters` };
  }
  const market = !("source" in f) && !("product" in f)
    ? marketFields({ ...priceMarket(f.symbol), symbol: f.symbol })
    : marketFields(f);
  if (!market.ok) return market;
  if (!isPositive(f.price_usd)) {
    return { ok: false, reason: "price_usd is not a finite positive number" };
  }
  const eventTime = timeOf(f.event_time) ??
    (isFiniteNumber(f.last_updated) ? f.last_updated * 1000 : timeOf(f.timestamp));
  if (eventTime === null) {
    return { ok: false, reason: "event_time, last_updated and timestamp are not a time" };
  }
  const volume24h = f.volume_24h ?? null;
  if (!isFiniteOrNull(volume24h)) {
    return { ok: false, reason: "volume_24h is not a finite number or null" };
  }
  const marketCap = f.market_cap ?? null;
  if (!isFiniteOrNull(marketCap)) {
    return { ok: false, reason: "market_cap is not a finite number or null" };
  }
  const priceChange24h = f.price_change_24h ?? null;
  if (!isFiniteOrNull(priceChange24h)) {
    return { ok: false, reason: "price_change_24h is not a finite number or null" };
  }
  return {
    ok: true,
    message: {
      source: market.message.source,
      product: market.message.product,
      symbol: f.symbol,
      priceUsd: f.price_usd,
      volume24h,
      marketCap,
      priceChange24h,
      eventTime,
    },
  };
}
