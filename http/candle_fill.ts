/**
 * Gap filling of a candle answer (`GET /api/v1/candles/{market}?fill=previous`, docs/api.md): one
 * candle per window of a span, a window without observations flat at the previous close. Filled
 * candles are made when read and never stored.
 *
 * @module
 */
import { type Candle, type Interval, intervalMs } from "../market/candle.ts";
import { type CandleJson, candleJson } from "../market/messages/candle_message.ts";
import type { Market } from "../market/market.ts";

/**
 * A candle of a filled answer as JSON: a stored candle as it is, or a window without observations
 * marked `"filled": true`, whose `first_event` and `last_event` are null (nothing happened in it).
 */
export type FilledCandleJson =
  | CandleJson
  | Omit<CandleJson, "first_event" | "last_event"> & {
    first_event: null;
    last_event: null;
    filled: true;
  };

/** The span and market a fill covers. */
export interface FillSpan {
  /** The market, with its base and quote currencies. */
  market: Market & { symbol: string; quote: string };
  interval: Interval;
  /** The first window's start (aligned to the interval). */
  start: number;
  /** Windows starting before this time are filled (exclusive). */
  end: number;
  /** The wall clock, ms since the epoch: a window that has not ended yet is not closed. */
  now: number;
}

/**
 * The span's windows, each the stored candle of it or one flat at the previous close.
 *
 * @param span The market, interval, span and clock.
 * @param stored The stored candles of the span, ascending.
 * @param previous The last stored candle before the span, if any: its close carries into the
 *   span's first windows when they are quiet. Without one, quiet windows before the first stored
 *   candle are left out (there is no previous close).
 * @returns One candle per window (but those left out), ascending by window start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fillPrevious } from "./candle_fill.ts";
 * const market = { source: "coinbase" as const, product: "BTC-EUR", symbol: "BTC", quote: "EUR" };
 * const c = {
 *   ...market, interval: "1m" as const, windowStart: 0, windowEnd: 60_000, open: 1, high: 2,
 *   low: 1, close: 2, samples: 1, trades: 1, volume: 1, buyVolume: 1, sellVolume: 0, vwap: 1.5,
 *   firstEvent: 0, lastEvent: 0, closed: true, revision: 0,
 * };
 * const filled = fillPrevious(
 *   { market, interval: "1m", start: 0, end: 180_000, now: 200_000 },
 *   [c],
 *   null,
 * );
 * assert.deepEqual([filled.length, filled[1]!.close, "filled" in filled[1]!], [3, 2, true]);
 * ```
 */
export function fillPrevious(
  span: FillSpan,
  stored: readonly Candle[],
  previous: Candle | null,
): FilledCandleJson[] {
  const size = intervalMs(span.interval);
  const byStart = new Map(stored.map((c) => [c.windowStart, c]));
  const trades = span.market.source === "coinbase";
  const out: FilledCandleJson[] = [];
  let close = previous?.close ?? null;
  for (let start = span.start; start < span.end; start += size) {
    const candle = byStart.get(start);
    if (candle !== undefined) {
      out.push(candleJson(candle));
      close = candle.close;
      continue;
    }
    if (close === null) continue;
    const empty: Candle = {
      source: span.market.source,
      product: span.market.product,
      symbol: span.market.symbol,
      quote: span.market.quote,
      interval: span.interval,
      windowStart: start,
      windowEnd: start + size,
      open: close,
      high: close,
      low: close,
      close,
      samples: 0,
      trades: 0,
      volume: trades ? 0 : null,
      buyVolume: trades ? 0 : null,
      sellVolume: trades ? 0 : null,
      vwap: null,
      firstEvent: start,
      lastEvent: start,
      closed: start + size <= span.now,
      revision: 0,
    };
    out.push({ ...candleJson(empty), first_event: null, last_event: null, filled: true });
  }
  return out;
}
