/**
 * What both stores do with a {@linkcode StoreWrite} before any SQL: check every value, keep one
 * entry per key (the last candle, state and queued key given; the latest price with the latest
 * event time), since a database may not update one row twice in one statement, and put rows in
 * key order, so that concurrent writes lock them in the same order.
 *
 * @module
 */
import type { Alert } from "../market/alert.ts";
import { type Candle, type CandleKey, isInterval } from "../market/candle.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import { isSource, marketKey, parseMarketKey, productParts } from "../market/market.ts";
import type { MarketState } from "../market/market_state.ts";
import type { StoreWrite } from "../market/store_write.ts";
import { StoreRefusedError } from "./store_error.ts";

/** A write with one entry per key, every value checked. */
export interface WritePlan {
  /** One state per market. */
  states: MarketState[];
  /** One candle per `(source, product, interval, windowStart)`. */
  candles: Candle[];
  /** One latest price per market, the one with the latest event time. */
  latest: LatestPrice[];
  /** Each candle revision once, in the order given. */
  publish: Candle[];
  /** Each candle revision for the Alerter once, in the order given. */
  examine: Candle[];
}

/** What a refused value belongs to, made only when a value is refused. */
type What = () => string;

/** The largest time the stores keep: 9999-12-31T23:59:59.999Z, so ISO text keeps 4-digit years. */
export const MAX_TIME = 253_402_300_799_999;

/**
 * A candle's key as one string, for maps.
 *
 * @param key The candle or its key.
 * @returns `source\u0000product\u0000interval\u0000windowStart`.
 */
export function keyOf(key: CandleKey): string {
  return `${key.source}\u0000${key.product}\u0000${key.interval}\u0000${key.windowStart}`;
}

/**
 * Checks a write and keeps one entry per key.
 *
 * @returns The plan: states, candles and latest prices in key order, queued candles as given.
 * @throws {StoreRefusedError} (a `RangeError`) When a value cannot be stored (not finite, a time
 * out of range, an unknown interval or source, a product that is not `BASE-QUOTE` of its symbol
 * and quote, an epoch that is not a whole number from 1): writing it again cannot help.
 */
export function planWrite(write: StoreWrite): WritePlan {
  const states = new Map<string, MarketState>();
  for (const state of write.states) {
    checkState(state);
    states.set(state.market, state);
  }
  const candles = new Map<string, Candle>();
  for (const candle of write.candles) {
    checkCandle(candle);
    candles.set(keyOf(candle), candle);
  }
  const latest = new Map<string, LatestPrice>();
  for (const price of write.latest) {
    checkLatest(price);
    const key = marketKey(price);
    const known = latest.get(key);
    if (!known || known.eventTime <= price.eventTime) latest.set(key, price);
  }
  const queued = (candles: readonly Candle[]) => {
    const unique = new Map<string, Candle>();
    for (const candle of candles) {
      checkCandle(candle);
      unique.set(`${keyOf(candle)}|${candle.revision}`, candle);
    }
    return [...unique.values()];
  };
  // In key order, so that two writes running at once lock rows in the same order.
  const byText = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;
  return {
    states: [...states.values()].sort((a, b) => byText(a.market, b.market)),
    candles: [...candles.entries()].sort(([a], [b]) => byText(a, b)).map(([, candle]) => candle),
    latest: [...latest.entries()].sort(([a], [b]) => byText(a, b)).map(([, price]) => price),
    publish: queued(write.publish),
    examine: queued(write.examine ?? []),
  };
}

/**
 * Checks an alert.
 *
 * @throws {StoreRefusedError} (a `RangeError`) When a value cannot be stored.
 */
export function checkAlert(alert: Alert): void {
  const what = () =>
    `alert ${alert.source}:${alert.product} ${alert.interval} ${alert.kind} ${alert.windowStart}`;
  checkKey(alert, "store");
  checkSymbol(what, alert.product, alert.symbol, null);
  if (alert.kind !== "move" && alert.kind !== "anomaly") {
    throw new StoreRefusedError(`Cannot store ${what()}: kind must be move or anomaly`);
  }
  if (alert.direction !== "up" && alert.direction !== "down") {
    throw new StoreRefusedError(`Cannot store ${what()}: direction must be up or down`);
  }
  finite(what, "changePct", alert.changePct);
  if (alert.zscore !== null) finite(what, "zscore", alert.zscore);
  finite(what, "price", alert.price);
  time(what, "createdAt", alert.createdAt);
}

/**
 * A time as the stores write it: ISO-8601 with milliseconds, UTC.
 *
 * @param ms Milliseconds since the epoch.
 * @returns `YYYY-MM-DDTHH:MM:SS.sssZ`.
 */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function checkKey(key: CandleKey, verb: string): void {
  const what = () => `${key.source}:${key.product} ${key.interval} ${key.windowStart}`;
  checkMarket(() => `${verb} ${what()}`, key.source, key.product);
  if (!isInterval(key.interval)) {
    throw new StoreRefusedError(
      `Cannot ${verb} ${what()}: unknown interval ${JSON.stringify(key.interval)}`,
    );
  }
  time(what, "windowStart", key.windowStart);
}

function checkCandle(candle: Candle): void {
  checkKey(candle, "store candle");
  const what = () =>
    `candle ${candle.source}:${candle.product} ${candle.interval} ${isoTime(candle.windowStart)}`;
  checkSymbol(what, candle.product, candle.symbol, candle.quote);
  time(what, "windowEnd", candle.windowEnd);
  time(what, "firstEvent", candle.firstEvent);
  time(what, "lastEvent", candle.lastEvent);
  for (const field of ["open", "high", "low", "close"] as const) finite(what, field, candle[field]);
  for (const field of ["volume", "buyVolume", "sellVolume", "vwap"] as const) {
    const value = candle[field];
    if (value !== null) finite(what, field, value);
  }
  whole(what, "samples", candle.samples);
  whole(what, "trades", candle.trades);
  whole(what, "revision", candle.revision);
  if (typeof candle.closed !== "boolean") {
    throw new StoreRefusedError(`Cannot store ${what()}: closed must be a boolean`);
  }
}

function checkState(state: MarketState): void {
  const what = () => `the state of ${state.market}`;
  if (typeof state.market !== "string" || parseMarketKey(state.market) === null) {
    throw new StoreRefusedError(
      `Cannot store a state: its market must be {source}:{BASE-QUOTE}, not ${
        JSON.stringify(state.market)
      }`,
    );
  }
  time(what, "maxEvent", state.maxEvent);
  if (!Number.isSafeInteger(state.epoch) || state.epoch < 1 || state.epoch > 2_147_483_647) {
    throw new StoreRefusedError(
      `Cannot store ${what()}: epoch must be a whole number from 1 to 2147483647, not ${state.epoch}`,
    );
  }
}

function checkLatest(price: LatestPrice): void {
  const what = () => `the latest price of ${price.source}:${price.product}`;
  checkMarket(() => `store ${what()}`, price.source, price.product);
  checkSymbol(what, price.product, price.symbol, null);
  finite(what, "priceUsd", price.priceUsd);
  for (const field of ["volume24h", "marketCap", "priceChange24h"] as const) {
    const value = price[field];
    if (value !== null) finite(what, field, value);
  }
  time(what, "eventTime", price.eventTime);
}

/** A market's source and product, checked: `what` says what is being done (`store candle …`). */
function checkMarket(what: What, source: string, product: string): void {
  if (typeof source !== "string" || !isSource(source)) {
    throw new StoreRefusedError(
      `Cannot ${what()}: source must be coingecko or coinbase, not ${JSON.stringify(source)}`,
    );
  }
  if (typeof product !== "string" || productParts(product) === null) {
    throw new StoreRefusedError(
      `Cannot ${what()}: product must be BASE-QUOTE, each 1-15 upper-case letters and digits, not ${
        JSON.stringify(product)
      }`,
    );
  }
}

/** A row's symbol (and quote, when it has one) against its product's parts. */
function checkSymbol(what: What, product: string, symbol: string, quote: string | null): void {
  const parts = productParts(product)!;
  if (symbol !== parts.symbol) {
    throw new StoreRefusedError(
      `Cannot store ${what()}: symbol must be ${parts.symbol}, the base of ${product}, not ${
        JSON.stringify(symbol)
      }`,
    );
  }
  if (quote !== null && quote !== parts.quote) {
    throw new StoreRefusedError(
      `Cannot store ${what()}: quote must be ${parts.quote}, the quote of ${product}, not ${
        JSON.stringify(quote)
      }`,
    );
  }
}

function finite(what: What, field: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new StoreRefusedError(
      `Cannot store ${what()}: ${field} must be a finite number, not ${value}`,
    );
  }
}

function whole(what: What, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw new StoreRefusedError(
      `Cannot store ${what()}: ${field} must be a whole number from 0 to 2147483647, not ${value}`,
    );
  }
}

function time(what: What, field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TIME) {
    throw new StoreRefusedError(
      `Cannot store ${what()}: ${field} must be whole milliseconds from 1970 to 9999, not ${value}`,
    );
  }
}
