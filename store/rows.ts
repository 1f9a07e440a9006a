/**
 * What the SQLite and PostgreSQL stores share between their SQL and their callers: reading rows
 * back into values (each driver gives a time its own way, so a mapper takes a time reader), the
 * check of a query's limit and the bounds of a time range.
 *
 * @module
 */
import type { Alert, AlertDirection, AlertKind } from "../market/alert.ts";
import type { Candle, Interval } from "../market/candle.ts";
import type { KnownSymbol } from "./candle_store.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import type { LoadedSymbol } from "../market/loaded_symbol.ts";
import { isoTime, MAX_TIME } from "./write_plan.ts";

/** A row as a driver gives it, by column name. */
export type Row = Record<string, unknown>;

/**
 * Reads a time column as milliseconds since the epoch: SQLite gives ISO text, PostgreSQL a
 * `Date`.
 */
export type TimeReader = (value: unknown) => number;

/** A `candles` row as a candle (`closed` is stored as a boolean, or as 0 and 1). */
export function toCandle(row: Row, time: TimeReader): Candle {
  return {
    symbol: row.symbol as string,
    interval: row.interval as Interval,
    windowStart: time(row.window_start),
    windowEnd: time(row.window_end),
    open: row.open as number,
    high: row.high as number,
    low: row.low as number,
    close: row.close as number,
    samples: row.samples as number,
    volume: row.volume as number | null,
    vwap: row.vwap as number | null,
    firstEvent: time(row.first_event),
    lastEvent: time(row.last_event),
    closed: row.closed === true || row.closed === 1,
    revision: row.revision as number,
  };
}

/** A `latest_prices` row as a latest price. */
export function toLatest(row: Row, time: TimeReader): LatestPrice {
  return {
    symbol: row.symbol as string,
    priceUsd: row.price_usd as number,
    volume24h: row.volume_24h as number | null,
    marketCap: row.market_cap as number | null,
    priceChange24h: row.price_change_24h as number | null,
    eventTime: time(row.event_time),
  };
}

/** An `alerts` row as an alert. */
export function toAlert(row: Row, time: TimeReader): Alert {
  return {
    symbol: row.symbol as string,
    interval: row.interval as Interval,
    windowStart: time(row.window_start),
    kind: row.kind as AlertKind,
    direction: row.direction as AlertDirection,
    changePct: row.change_pct as number,
    zscore: row.zscore as number | null,
    price: row.price as number,
    createdAt: time(row.created_at),
  };
}

/**
 * A row of the symbols query: `symbol`, `price_usd` and `event_time`, the last two null for a
 * symbol known only by its candle state.
 */
export function toKnownSymbol(row: Row, time: TimeReader): KnownSymbol {
  return {
    symbol: row.symbol as string,
    priceUsd: row.price_usd as number | null,
    eventTime: row.event_time === null ? null : time(row.event_time),
  };
}

/**
 * The `candle_state` row a claim returns (`symbol`, `max_event`, `seen`, `epoch`): the epoch
 * claimed, and the state stored before, or null for a symbol never written (`max_event` null).
 */
export function toClaim(row: Row, time: TimeReader): Omit<LoadedSymbol, "candles"> {
  const epoch = Number(row.epoch);
  if (row.max_event === null) return { state: null, epoch };
  return {
    state: {
      symbol: row.symbol as string,
      maxEvent: time(row.max_event),
      seen: row.seen as string,
      epoch,
    },
    epoch,
  };
}

/** A candle queued in `candle_outbox` or `alert_queue` (its JSON in `candle`), as queued. */
export const queuedCandle = (row: Row): Candle => JSON.parse(row.candle as string) as Candle;

/** An alert queued in `alert_outbox` (its JSON in `alert`), as queued. */
export const queuedAlert = (row: Row): Alert => JSON.parse(row.alert as string) as Alert;

/**
 * A query's limit, checked.
 *
 * @throws {RangeError} When it is not a whole number of at least 1.
 */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`The limit must be a whole number of at least 1, not ${limit}`);
  }
  return limit;
}

/**
 * A bound of a time range as ISO text, clamped to the years the stores keep (1970 to 9999).
 *
 * @param what What is read, for the message: `candles`, `alerts`.
 * @param name The bound, for the message: `from`, `to`, `since`, `the horizon`.
 * @param value Milliseconds since the epoch.
 * @returns `YYYY-MM-DDTHH:MM:SS.sssZ`.
 * @throws {RangeError} When the value is not a finite number.
 */
export function timeBound(what: string, name: string, value: number): string {
  if (!Number.isFinite(value)) {
    throw new RangeError(`Cannot read ${what}: ${name} must be a finite time, not ${value}`);
  }
  return isoTime(Math.min(MAX_TIME, Math.max(0, Math.floor(value))));
}
