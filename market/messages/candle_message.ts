/**
 * The candle message (docs/candles.md), written once: topic `crypto-candles` (and Redis
 * `crypto:candles`, the HTTP API and the live stream, which show the same JSON), the market
 * `{source}:{product}` as key, the headers `content-type: application/json` and
 * `schema: crypto-candle/v1` (the record's Kafka timestamp is the time of writing, set by the
 * producer transport), and as value one JSON object of twenty-one fields, in this order:
 *
 * ```json
 * {"source":"coinbase","product":"BTC-EUR","symbol":"BTC","quote":"EUR","interval":"1m",
 *  "window_start":"2025-11-12T10:30:00.000Z","window_end":"2025-11-12T10:31:00.000Z",
 *  "open":45234.56,"high":45300,"low":45200.12,"close":45250,"samples":6,"trades":6,
 *  "volume":2,"buy_volume":1.25,"sell_volume":0.75,"vwap":45251.5,
 *  "first_event":"2025-11-12T10:30:05.000Z","last_event":"2025-11-12T10:30:55.000Z",
 *  "closed":true,"revision":0}
 * ```
 *
 * A candle of CoinGecko prices has `trades` equal to `samples` and null `volume`, `buy_volume`,
 * `sell_volume` and `vwap`.
 *
 * @module
 */
import { type Candle, type Interval, isInterval } from "../candle.ts";
import type { Source } from "../market.ts";
import {
  isFiniteNumber,
  isFiniteOrNull,
  isText,
  marketFields,
  MAX_SYMBOL_LENGTH,
  timeOf,
  valueFields,
} from "./checks.ts";
import type { Decoded } from "./decoded.ts";
import type { EncodedRecord } from "./encoded_record.ts";

/**
 * A candle as JSON: times ISO-8601 UTC; `volume`, `buy_volume`, `sell_volume` and `vwap` null
 * for a candle of prices.
 */
export interface CandleJson {
  source: Source;
  product: string;
  symbol: string;
  quote: string;
  interval: Interval;
  window_start: string;
  window_end: string;
  open: number;
  high: number;
  low: number;
  close: number;
  samples: number;
  trades: number;
  volume: number | null;
  buy_volume: number | null;
  sell_volume: number | null;
  vwap: number | null;
  first_event: string;
  last_event: string;
  closed: boolean;
  revision: number;
}

/** The headers of every candle record. */
export const CANDLE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  "schema": "crypto-candle/v1",
};

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The JSON form of a candle.
 *
 * @param candle The candle.
 * @returns A plain object ready for `JSON.stringify`, fields in the message's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { candleJson } from "./candle_message.ts";
 * const start = Date.UTC(2025, 10, 12, 10, 30);
 * const json = candleJson({
 *   source: "coinbase", product: "BTC-EUR", symbol: "BTC", quote: "EUR", interval: "1m",
 *   windowStart: start, windowEnd: start + 60_000, open: 45234.56, high: 45300, low: 45200.12,
 *   close: 45250, samples: 6, trades: 6, volume: 2, buyVolume: 1.25, sellVolume: 0.75,
 *   vwap: 45251.5, firstEvent: start + 5_000, lastEvent: start + 55_000, closed: true,
 *   revision: 0,
 * });
 * assert.deepEqual([json.window_start, json.buy_volume], ["2025-11-12T10:30:00.000Z", 1.25]);
 * ```
 */
export function candleJson(candle: Candle): CandleJson {
  return {
    source: candle.source,
    product: candle.product,
    symbol: candle.symbol,
    quote: candle.quote,
    interval: candle.interval,
    window_start: iso(candle.windowStart),
    window_end: iso(candle.windowEnd),
    open: candle.open,
    high: candle.high,
    low: candle.low,
    close: candle.close,
    samples: candle.samples,
    trades: candle.trades,
    volume: candle.volume,
    buy_volume: candle.buyVolume,
    sell_volume: candle.sellVolume,
    vwap: candle.vwap,
    first_event: iso(candle.firstEvent),
    last_event: iso(candle.lastEvent),
    closed: candle.closed,
    revision: candle.revision,
  };
}

/**
 * Encodes a candle as its record; each record gets its own headers object.
 *
 * @param candle The candle, as it is now (a closed one, or a revision of it).
 * @returns Key (`{source}:{product}`), JSON value, headers and timestamp (the window's end).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeCandle } from "./candle_message.ts";
 * const encoded = encodeCandle({
 *   source: "coingecko", product: "BTC-USD", symbol: "BTC", quote: "USD", interval: "1m",
 *   windowStart: 0, windowEnd: 60_000, open: 1, high: 1, low: 1, close: 1, samples: 1,
 *   trades: 1, volume: null, buyVolume: null, sellVolume: null, vwap: null, firstEvent: 0,
 *   lastEvent: 0, closed: true, revision: 0,
 * });
 * assert.deepEqual([encoded.key, encoded.timestamp], ["coingecko:BTC-USD", 60_000]);
 * ```
 */
export function encodeCandle(candle: Candle): EncodedRecord & { value: string } {
  return {
    key: `${candle.source}:${candle.product}`,
    value: JSON.stringify(candleJson(candle)),
    headers: { ...CANDLE_HEADERS },
    timestamp: candle.windowEnd,
  };
}

const TIMES = ["window_start", "window_end", "first_event", "last_event"] as const;
const NUMBERS = ["open", "high", "low", "close", "samples", "trades", "revision"] as const;
const VOLUMES = ["volume", "buy_volume", "sell_volume", "vwap"] as const;

/**
 * Decodes and checks a candle message. Its market must be one (`source` a source, `product`
 * `BASE-QUOTE` of the `symbol`, `quote` the product's); numbers need only be finite (not
 * positive): a reader shows what the pipeline wrote.
 *
 * @param _key The record's key (not checked).
 * @param value The JSON value, or null.
 * @param _headers The record's headers (not checked).
 * @returns The candle, or the reason it does not match (one short line).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCandle } from "./candle_message.ts";
 * const value = '{"source":"coinbase","product":"BTC-EUR","symbol":"BTC","interval":"2m"}';
 * const decoded = decodeCandle(null, value, {});
 * assert.equal(decoded.ok ? "ok" : decoded.reason, "interval is not an interval");
 * ```
 */
export function decodeCandle(
  _key: string | null,
  value: string | null,
  _headers: Readonly<Record<string, string>>,
): Decoded<Candle> {
  const fields = valueFields(value);
  if (!fields.ok) return fields;
  const f = fields.message;
  if (!isText(f.symbol, MAX_SYMBOL_LENGTH)) {
    return { ok: false, reason: `symbol is not 1-${MAX_SYMBOL_LENGTH} characters` };
  }
  const market = marketFields(f);
  if (!market.ok) return market;
  if (typeof f.interval !== "string" || !isInterval(f.interval)) {
    return { ok: false, reason: "interval is not an interval" };
  }
  const times: number[] = [];
  for (const name of TIMES) {
    const time = timeOf(f[name]);
    if (time === null) return { ok: false, reason: `${name} is not an ISO-8601 time` };
    times.push(time);
  }
  const [windowStart, windowEnd, firstEvent, lastEvent] = times as [number, number, number, number];
  for (const name of NUMBERS) {
    if (!isFiniteNumber(f[name])) return { ok: false, reason: `${name} is not a finite number` };
  }
  const volumes: (number | null)[] = [];
  for (const name of VOLUMES) {
    const amount = f[name] ?? null;
    if (!isFiniteOrNull(amount)) {
      return { ok: false, reason: `${name} is not a finite number or null` };
    }
    volumes.push(amount);
  }
  const [volume, buyVolume, sellVolume, vwap] = volumes as [
    number | null,
    number | null,
    number | null,
    number | null,
  ];
  if (typeof f.closed !== "boolean") return { ok: false, reason: "closed is not true or false" };
  return {
    ok: true,
    message: {
      ...market.message,
      interval: f.interval,
      windowStart,
      windowEnd,
      open: f.open as number,
      high: f.high as number,
      low: f.low as number,
      close: f.close as number,
      samples: f.samples as number,
      trades: f.trades as number,
      volume,
      buyVolume,
      sellVolume,
      vwap,
      firstEvent,
      lastEvent,
      closed: f.closed,
      revision: f.revision as number,
    },
  };
}
