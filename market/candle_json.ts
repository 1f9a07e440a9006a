/**
 * A candle and a latest price as JSON (SPEC §8): the candle topic's value, Redis's values and the
 * HTTP API's, with snake_case fields and ISO-8601 UTC times.
 *
 * @module
 */
import type { LatestPrice } from "../store/candle_store.ts";
import type { Candle } from "./candle.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A candle as the object of SPEC §8.
 *
 * @param candle The candle.
 * @returns The plain object, ready for `JSON.stringify`.
 */
export function candleObject(candle: Candle): Record<string, unknown> {
  return {
    symbol: candle.symbol,
    interval: candle.interval,
    window_start: iso(candle.windowStart),
    window_end: iso(candle.windowEnd),
    open: candle.open,
    high: candle.high,
    low: candle.low,
    close: candle.close,
    samples: candle.samples,
    volume: candle.volume,
    vwap: candle.vwap,
    first_event: iso(candle.firstEvent),
    last_event: iso(candle.lastEvent),
    closed: candle.closed,
    revision: candle.revision,
  };
}

/**
 * A candle as JSON text.
 *
 * @param candle The candle.
 * @returns One line of JSON.
 *
 * @example
 * ```ts
 * import { candleJson } from "./candle_json.ts";
 * const t = Date.UTC(2025, 0, 1);
 * const json = candleJson({ symbol: "BTC", interval: "1m", windowStart: t, windowEnd: t + 60_000, open: 1, high: 2, low: 1, close: 2, samples: 2, volume: null, vwap: null, firstEvent: t, lastEvent: t + 1_000, closed: true, revision: 0 });
 * console.log(JSON.parse(json).window_start); // "2025-01-01T00:00:00.000Z"
 * ```
 */
export function candleJson(candle: Candle): string {
  return JSON.stringify(candleObject(candle));
}

/**
 * A latest price as JSON text.
 *
 * @param latest The price.
 * @returns One line of JSON.
 */
export function latestPriceJson(latest: LatestPrice): string {
  return JSON.stringify({
    symbol: latest.symbol,
    price_usd: latest.priceUsd,
    volume_24h: latest.volume24h,
    market_cap: latest.marketCap,
    price_change_24h: latest.priceChange24h,
    event_time: iso(latest.eventTime),
  });
}
