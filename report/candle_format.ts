/**
 * How a closed candle is shown on the console (docs/candles.md).
 *
 * @module
 */
import type { Candle } from "../market/candle.ts";
import { candleJson } from "../market/messages/candle_message.ts";
import { formatAmount, formatPrice } from "./format.ts";

/** How closed candles are printed: the line of docs/candles.md, the same with volume, VWAP and revision, or JSON. */
export type CandleFormat = "pretty" | "line" | "json";

const minute = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The line of a closed candle: its market (source and product), interval, window start, and
 * prices in the product's quote currency; then for a candle of prices its samples, for a candle
 * of trades its trades and order flow (the volume bought and sold by the trades' takers).
 *
 * @param candle The candle.
 * @param format `line`: the line of docs/candles.md; `pretty`: the same, with volume and VWAP when it has them
 * and the revision when it is one; `json`: the candle's JSON.
 * @returns The line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCandle } from "./candle_format.ts";
 * const candle = {
 *   source: "coinbase" as const, product: "BTC-EUR", symbol: "BTC", quote: "EUR", interval: "1m" as const,
 *   windowStart: Date.UTC(2025, 10, 12, 10, 30), windowEnd: Date.UTC(2025, 10, 12, 10, 31), open: 45234.56,
 *   high: 45300, low: 45200.12, close: 45250, samples: 6, trades: 6, volume: 2, buyVolume: 1.25,
 *   sellVolume: 0.75, vwap: 45251.5, firstEvent: 0, lastEvent: 0, closed: true, revision: 0,
 * };
 * assert.deepEqual(
 *   formatCandle(candle, "line"),
 *   "Candle coinbase BTC-EUR 1m 2025-11-12T10:30:00Z O €45,234.56 H €45,300.00 L €45,200.12 C €45,250.00 (6 trades, buy 1.25 sell 0.75)",
 * );
 * ```
 */
export function formatCandle(candle: Candle, format: CandleFormat): string {
  if (format === "json") return JSON.stringify(candleJson(candle));
  const { source, product, quote, interval, windowStart, open, high, low, close } = candle;
  const price = (amount: number) => formatPrice(amount, quote);
  const base = `Candle ${source} ${product} ${interval} ${minute(windowStart)} O ${price(open)} H ${
    price(high)
  } L ${price(low)} C ${price(close)}`;
  const extra = counts(candle);
  if (format === "line") return `${base} (${extra.join(", ")})`;
  if (candle.volume !== null) extra.push(`volume ${formatAmount(candle.volume)}`);
  if (candle.vwap !== null) extra.push(`VWAP ${price(candle.vwap)}`);
  if (candle.revision > 0) extra.push(`revision ${candle.revision}`);
  return `${base} (${extra.join(", ")})`;
}

/** `6 samples` for a candle of prices; `6 trades, buy 1.25 sell 0.75` for one of trades. */
function counts(candle: Candle): string[] {
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  if (candle.volume === null) return [plural(candle.samples, "sample")];
  const { buyVolume, sellVolume } = candle;
  const trades = plural(candle.trades, "trade");
  if (buyVolume === null || sellVolume === null) return [trades];
  return [trades, `buy ${formatAmount(buyVolume)} sell ${formatAmount(sellVolume)}`];
}
