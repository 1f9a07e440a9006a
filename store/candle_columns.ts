/**
 * The column lists of the store tables, written once for the SQL of both stores.
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

/** The `candles` table's columns, comma-separated. */
export const CANDLE_COLUMNS: string = CANDLE_NAMES.join(", ");

/**
 * The candle columns an upsert may change (all but the key): a row is rewritten only when one of
 * them differs, so that a write applied twice changes nothing.
 */
export const CANDLE_CHANGED: readonly string[] = CANDLE_NAMES.slice(3);

/** The `alerts` table's columns, comma-separated. */
export const ALERT_COLUMNS =
  `symbol, "interval", window_start, kind, direction, change_pct, zscore, price, created_at`;

/** The `latest_prices` table's columns but `updated_at`, comma-separated. */
export const LATEST_COLUMNS =
  "symbol, price_usd, volume_24h, market_cap, price_change_24h, event_time";
