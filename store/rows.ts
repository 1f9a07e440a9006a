/**
 * What the SQLite and PostgreSQL stores share between their SQL and their callers: reading rows
 * back into values (each driver gives a time its own way, so a mapper takes a time reader), the
 * check of a query's limit and the bounds of a time range.
 *
 * @module
 */
import type { Alert, AlertDirection, AlertKind } from "../market/alert.ts";
import { type Candle, type Interval, INTERVALS } from "../market/candle.ts";
import type { KnownMarket } from "./candle_store.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import type { LoadedMarket } from "../market/loaded_market.ts";
import type { Source } from "../market/market.ts";
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
    source: row.source as Source,
    product: row.product as string,
    symbol: row.symbol as string,
    quote: row.quote as string,
    interval: row.interval as Interval,
    windowStart: time(row.window_start),
    windowEnd: time(row.window_end),
    open: row.open as number,
    high: row.high as number,
    low: row.low as number,
    close: row.close as number,
    samples: row.samples as number,
    trades: row.trades as number,
    volume: row.volume as number | null,
    buyVolume: row.buy_volume as number | null,
    sellVolume: row.sell_volume as number | null,
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
    source: row.source as Source,
    product: row.product as string,
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
    source: row.source as Source,
    product: row.product as string,
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
 * The markets known, from the latest prices and the `(source, product, interval)` of the candles
 * (each once), sorted by source then product, each with its intervals shortest first.
 *
 * @param latest `latest_prices` rows: `source`, `product`, `symbol`, `quote`, `price_usd`,
 * `event_time`.
 * @param series Rows of `source`, `product`, `symbol`, `quote`, `interval`.
 */
export function toKnownMarkets(
  latest: readonly Row[],
  series: readonly Row[],
  time: TimeReader,
): KnownMarket[] {
  const markets = new Map<string, KnownMarket>();
  const marketOf = (row: Row) => {
    const key = `${row.source}:${row.product}`;
    let market = markets.get(key);
    if (!market) {
      market = {
        source: row.source as Source,
        product: row.product as string,
        symbol: row.symbol as string,
        quote: row.quote as string,
        priceUsd: null,
        eventTime: null,
        intervals: [],
      };
      markets.set(key, market);
    }
    return market;
  };
  for (const row of latest) {
    const market = marketOf(row);
    market.priceUsd = row.price_usd as number;
    market.eventTime = time(row.event_time);
  }
  for (const row of series) {
    const market = marketOf(row);
    if (!market.intervals.includes(row.interval as Interval)) {
      market.intervals.push(row.interval as Interval);
    }
  }
  const order = (i: Interval) => INTERVALS.indexOf(i);
  for (const market of markets.values()) market.intervals.sort((a, b) => order(a) - order(b));
  const byText = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;
  return [...markets.values()].sort((a, b) =>
    byText(a.source, b.source) || byText(a.product, b.product)
  );
}

/**
 * The `candle_state` row a claim returns (`market`, `max_event`, `seen`, `epoch`): the epoch
 * claimed, and the state stored before, or null for a market never written (`max_event` null).
 */
export function toClaim(row: Row, time: TimeReader): Omit<LoadedMarket, "candles"> {
  const epoch = Number(row.epoch);
  if (row.max_event === null) return { state: null, epoch };
  return {
    state: {
      market: row.market as string,
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
