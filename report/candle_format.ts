/**
 * How a closed candle is shown on the console (docs/candles.md).
 *
 * @module
 */
import type { Candle } from "../market/candle.ts";
import { candleJson } from "../market/messages/candle_message.ts";
import { formatUsd } from "./format.ts";

/** How closed candles are printed: the line of docs/candles.md, the same with volume, VWAP and revision, or JSON. */
export type CandleFormat = "pretty" | "line" | "json";

const minute = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The line of a closed candle.
 *
 * @param candle The candle.
 * @param format `line`: the line of docs/candles.md; `pretty`: the same, with volume and VWAP when it has them
 * and the revision when it is one; `json`: the candle's JSON.
 * @returns The line.
 *
 * @example
 * ```ts
 * import { formatCandle } from "./candle_format.ts";
 * const candle = { symbol: "BTC", interval: "1m" as const, windowStart: Date.UTC(2025, 10, 12, 10, 30), windowEnd: Date.UTC(2025, 10, 12, 10, 31), open: 45234.56, high: 45300, low: 45200.12, close: 45250, samples: 6, volume: null, vwap: null, firstEvent: 0, lastEvent: 0, closed: true, revision: 0 };
 * console.log(formatCandle(candle, "line"));
 * // Candle BTC 1m 2025-11-12T10:30:00Z O $45,234.56 H $45,300.00 L $45,200.12 C $45,250.00 (6 samples)
 * ```
 */
export function formatCandle(candle: Candle, format: CandleFormat): string {
  if (format === "json") return JSON.stringify(candleJson(candle));
  const { symbol, interval, windowStart, open, high, low, close, samples } = candle;
  const base = `Candle ${symbol} ${interval} ${minute(windowStart)} O ${formatUsd(open)} H ${
    formatUsd(high)
  } L ${formatUsd(low)} C ${formatUsd(close)}`;
  const count = `${samples} sample${samples === 1 ? "" : "s"}`;
  if (format === "line") return `${base} (${count})`;
  const extra: string[] = [count];
  if (candle.volume !== null) extra.push(`volume ${candle.volume}`);
  if (candle.vwap !== null) extra.push(`VWAP ${formatUsd(candle.vwap)}`);
  if (candle.revision > 0) extra.push(`revision ${candle.revision}`);
  return `${base} (${extra.join(", ")})`;
}
