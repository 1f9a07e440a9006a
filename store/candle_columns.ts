/**
 * The `candles` table's columns, in one order, for the SQL of both stores.
 *
 * @module
 */

const CANDLE_NAMES = [
  "symbol",
  `"interval"`,
  "window_start",
  "window_end",
  "open",
  "high",
  "low",
  "close",
  "samples",
  "volume",
  "vwap",
  "first_event",
  "last_event",
  "closed",
  "revision",
];

/** The candle columns, comma-separated. */
export const CANDLE_COLUMNS: string = CANDLE_NAMES.join(", ");
