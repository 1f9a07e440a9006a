/**
 * The column lists of the store tables, written once for the SQL of both stores.
 *
 * @module
 */

/** The `candles` key: a market's window of an interval. */
const CANDLE_KEY = ["source", "product", `"interval"`, "window_start"];

const CANDLE_NAMES = [
  "source",
  "product",
  "symbol",
  "quote",
  `"interval"`,
  "window_start",
  "window_end",
  "open",
  "high",
  "low",
  "close",
  "samples",
  "trades",
  "volume",
  "buy_volume",
  "sell_volume",
  "vwap",
  "first_event",
  "last_event",
  "closed",
  "revision",
];

/** The `candles` table's columns but `updated_at`, comma-separated. */
export const CANDLE_COLUMNS: string = CANDLE_NAMES.join(", ");

/** How many columns {@linkcode CANDLE_COLUMNS} names. */
export const CANDLE_COLUMN_COUNT: number = CANDLE_NAMES.length;

/** The `candles` primary key's columns, comma-separated. */
export const CANDLE_KEY_COLUMNS: string = CANDLE_KEY.join(", ");

/**
 * The candle columns an upsert may change (all but the key): a row is rewritten only when one of
 * them differs, so that a write applied twice changes nothing.
 */
export const CANDLE_CHANGED: readonly string[] = CANDLE_NAMES.filter((c) =>
  !CANDLE_KEY.includes(c)
);

/** The `alerts` table's columns, comma-separated. */
export const ALERT_COLUMNS =
  `source, product, symbol, "interval", window_start, kind, direction, change_pct, zscore, price, created_at`;

/** The `latest_prices` table's columns but `updated_at`, comma-separated. */
export const LATEST_COLUMNS =
  "source, product, symbol, quote, price_usd, volume_24h, market_cap, price_change_24h, event_time";
