/**
 * The JSON form of a candle (SPEC §8), shared by the candle topic, Redis and the HTTP API.
 *
 * @module
 */
import type { Candle, Interval } from "./candle.ts";

/** A candle as JSON: the field names of SPEC §8, times ISO-8601 UTC. */
export interface CandleJson {
  symbol: string;
  interval: Interval;
  window_start: string;
  window_end: string;
  open: number;
  high: number;
  low: number;
  close: number;
  samples: number;
  volume: number | null;
  vwap: number | null;
  first_event: string;
  last_event: string;
  closed: boolean;
  revision: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The JSON form of a candle.
 *
 * @param candle The candle.
 * @returns A plain object ready for `JSON.stringify`, fields in SPEC §8's order.
 *
 * @example
 * ```ts
 * import { candleJson } from "./candle_json.ts";
 * const start = Date.UTC(2025, 10, 12, 10, 30);
 * const json = candleJson({
 *   symbol: "BTC", interval: "1m", windowStart: start, windowEnd: start + 60_000,
 *   open: 45234.56, high: 45300, low: 45200.12, close: 45250, samples: 6, volume: null,
 *   vwap: null, firstEvent: start + 5_000, lastEvent: start + 55_000, closed: true, revision: 0,
 * });
 * console.log(json.window_start, json.closed); // "2025-11-12T10:30:00.000Z" true
 * ```
 */
export function candleJson(candle: Candle): CandleJson {
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
