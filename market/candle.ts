/**
 * The candle (docs/candles.md): open, high, low, close and counts of one market's observations in one
 * tumbling window, and the intervals a candle may have.
 *
 * @module
 */

import type { Source } from "./market.ts";

/** The intervals a candle may have, shortest first. */
export const INTERVALS = ["1m", "5m", "15m", "30m", "1h", "4h", "1d"] as const;

/** A candle interval. */
export type Interval = typeof INTERVALS[number];

const INTERVAL_MS: Readonly<Record<Interval, number>> = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
  "1d": 86_400_000,
};

/**
 * An interval's length.
 *
 * @param interval The interval.
 * @returns Its length in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intervalMs } from "./candle.ts";
 * assert.equal(intervalMs("5m"), 300000);
 * ```
 */
export function intervalMs(interval: Interval): number {
  return INTERVAL_MS[interval];
}

/**
 * Whether a text names an interval.
 *
 * @param text The text.
 * @returns True for `1m`, `5m`, `15m`, `30m`, `1h`, `4h` and `1d`.
 */
export function isInterval(text: string): text is Interval {
  return (INTERVALS as readonly string[]).includes(text);
}

/** One candle. Times are milliseconds since the epoch (UTC); they are shown as ISO-8601. */
export interface Candle {
  /** The market's source: `coingecko` (prices) or `coinbase` (trades). */
  source: Source;
  /** The market's product, `BTC-EUR`. */
  product: string;
  /** The product's base currency, e.g. `BTC`. */
  symbol: string;
  /** The product's quote currency, e.g. `EUR`: the currency of every price of the candle. */
  quote: string;
  interval: Interval;
  /** Start of the window, inclusive: `floor(t / size) * size`. */
  windowStart: number;
  /** End of the window, exclusive: `windowStart + size`. */
  windowEnd: number;
  /** Price of the earliest observation by event time. */
  open: number;
  /** Highest price. */
  high: number;
  /** Lowest price. */
  low: number;
  /** Price of the latest observation by event time. */
  close: number;
  /** Distinct observations. */
  samples: number;
  /** Trades in the window; for candles of price snapshots, `samples`. */
  trades: number;
  /** Sum of trade sizes; null for candles of price snapshots. */
  volume: number | null;
  /**
   * Volume of buyer-initiated trades (the taker bought; Coinbase's `side` is the maker's, so
   * `"sell"`); null for candles of price snapshots. `buyVolume + sellVolume = volume`.
   */
  buyVolume: number | null;
  /** Volume of seller-initiated trades (Coinbase's `side: "buy"`); null for price snapshots. */
  sellVolume: number | null;
  /** Volume-weighted average price; null for candles of price snapshots. */
  vwap: number | null;
  /** Event time of the earliest observation. */
  firstEvent: number;
  /** Event time of the latest observation. */
  lastEvent: number;
  /** Whether the window has closed (its market's watermark passed its end, or it went idle). */
  closed: boolean;
  /** 0 when first closed; +1 for each late update after that. */
  revision: number;
}

/** A candle's identity: its row's primary key. */
export type CandleKey = Pick<Candle, "source" | "product" | "interval" | "windowStart">;
