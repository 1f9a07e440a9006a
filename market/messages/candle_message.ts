/**
 * The candle message (docs/candles.md), written once: topic `crypto-candles` (and Redis
 * `crypto:candles`, the HTTP API and the live stream, which show the same JSON), the symbol as
 * key, the headers `content-type: application/json` and `schema: crypto-candle/v1` (the record's
 * Kafka timestamp is the time of writing, set by the producer transport), and as value one JSON
 * object of fifteen fields, in this order:
 *
 * ```json
 * {"symbol":"BTC","interval":"1m","window_start":"2025-11-12T10:30:00.000Z",
 *  "window_end":"2025-11-12T10:31:00.000Z","open":45234.56,"high":45300,"low":45200.12,
 *  "close":45250,"samples":6,"volume":null,"vwap":null,"first_event":"2025-11-12T10:30:05.000Z",
 *  "last_event":"2025-11-12T10:30:55.000Z","closed":true,"revision":0}
 * ```
 *
 * @module
 */
import { type Candle, type Interval, isInterval } from "../candle.ts";
import {
  isFiniteNumber,
  isFiniteOrNull,
  isText,
  MAX_SYMBOL_LENGTH,
  timeOf,
  valueFields,
} from "./checks.ts";
import type { Decoded } from "./decoded.ts";
import type { EncodedRecord } from "./encoded_record.ts";

/** A candle as JSON: times ISO-8601 UTC; `volume` and `vwap` null for a candle of prices. */
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
 * import { candleJson } from "./candle_message.ts";
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

/**
 * Encodes a candle as its record; each record gets its own headers object.
 *
 * @param candle The candle, as it is now (a closed one, or a revision of it).
 * @returns Key, JSON value, headers and timestamp (the window's end).
 *
 * @example
 * ```ts
 * import { encodeCandle } from "./candle_message.ts";
 * const encoded = encodeCandle({
 *   symbol: "BTC", interval: "1m", windowStart: 0, windowEnd: 60_000, open: 1, high: 1, low: 1,
 *   close: 1, samples: 1, volume: null, vwap: null, firstEvent: 0, lastEvent: 0, closed: true,
 *   revision: 0,
 * });
 * console.log(encoded.key, encoded.timestamp, encoded.headers.schema); // "BTC" 60000 "crypto-candle/v1"
 * ```
 */
export function encodeCandle(candle: Candle): EncodedRecord & { value: string } {
  return {
    key: candle.symbol,
    value: JSON.stringify(candleJson(candle)),
    headers: { ...CANDLE_HEADERS },
    timestamp: candle.windowEnd,
  };
}

const TIMES = ["window_start", "window_end", "first_event", "last_event"] as const;
const NUMBERS = ["open", "high", "low", "close", "samples", "revision"] as const;

/**
 * Decodes and checks a candle message. Numbers need only be finite (not positive): a reader
 * shows what the pipeline wrote.
 *
 * @param _key The record's key (not checked).
 * @param value The JSON value, or null.
 * @param _headers The record's headers (not checked).
 * @returns The candle, or the reason it does not match (one short line).
 *
 * @example
 * ```ts
 * import { decodeCandle } from "./candle_message.ts";
 * const decoded = decodeCandle(null, '{"symbol":"BTC","interval":"2m"}', {});
 * console.log(decoded.ok ? "ok" : decoded.reason); // "interval is not an interval"
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
  const volume = f.volume ?? null;
  const vwap = f.vwap ?? null;
  if (!isFiniteOrNull(volume)) {
    return { ok: false, reason: "volume is not a finite number or null" };
  }
  if (!isFiniteOrNull(vwap)) return { ok: false, reason: "vwap is not a finite number or null" };
  if (typeof f.closed !== "boolean") return { ok: false, reason: "closed is not true or false" };
  return {
    ok: true,
    message: {
      symbol: f.symbol,
      interval: f.interval,
      windowStart,
      windowEnd,
      open: f.open as number,
      high: f.high as number,
      low: f.low as number,
      close: f.close as number,
      samples: f.samples as number,
      volume,
      vwap,
      firstEvent,
      lastEvent,
      closed: f.closed,
      revision: f.revision as number,
    },
  };
}
