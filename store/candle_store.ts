/**
 * What the candle pipeline and the HTTP API need of a store (docs/candles.md#where-candles-go),
 * so that the embedded SQLite store and PostgreSQL are interchangeable. Both implement this
 * interface and pass one contract suite (`tests/store/contract.ts`).
 *
 * @module
 */
import type { Alert } from "../market/alert.ts";
import type { Candle, Interval } from "../market/candle.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import type { LoadedMarket } from "../market/loaded_market.ts";
import type { Market, Source } from "../market/market.ts";
import type { StoreWrite } from "../market/store_write.ts";

/** A candle at one revision: what the outbox and the alert queue hold. */
export type CandleRevisionKey = Pick<
  Candle,
  "source" | "product" | "interval" | "windowStart" | "revision"
>;

/** An alert's key: at most one alert of a kind per candle. */
export type AlertKey = Pick<Alert, "source" | "product" | "interval" | "windowStart" | "kind">;

/** Which candles to read. */
export interface CandleQuery {
  /** The market's source. */
  source: Source;
  /** The market's product, `BTC-EUR`. */
  product: string;
  interval: Interval;
  /** Only windows starting at or after this time. */
  from?: number;
  /** Only windows starting before this time. */
  to?: number;
  /** At most this many: the latest ones when there are more, returned ascending. @default {500} */
  limit?: number;
}

/**
 * A market the store knows, with its latest price when it has one (`GET /api/v1/markets`,
 * `GET /api/v1/symbols`).
 */
export interface KnownMarket {
  source: Source;
  /** `BTC-EUR`. */
  product: string;
  /** The product's base currency, `BTC`. */
  symbol: string;
  /** The product's quote currency, `EUR`. */
  quote: string;
  /** Its latest price in the quote currency, or null when only candles are known. */
  priceUsd: number | null;
  /** That price's event time, or null. */
  eventTime: number | null;
  /** The intervals it has candles of, shortest first. */
  intervals: Interval[];
}

/** Which alerts to read. */
export interface AlertQuery {
  /** Only this base currency's (every market of it). */
  symbol?: string;
  /** Only this source's. */
  source?: Source;
  /** Only this product's. */
  product?: string;
  /** Only alerts created at or after this time. */
  since?: number;
  /** At most this many: the newest ones. */
  limit: number;
}

/** A candle store. */
export interface CandleStore {
  /** What it is, for logs and messages; never holds a password. */
  readonly description: string;
  /**
   * Applies a write atomically: upserts are idempotent, a write applied twice changes nothing.
   * Resolves to the keys (`marketKey`) of the markets whose states were stale (nothing of theirs
   * was written).
   */
  write(batch: StoreWrite): Promise<string[]>;
  /**
   * Takes a market over: raises its epoch (storing it, so that writes of any earlier owner are
   * stale from now on) and returns its state and the candles that may still change, for the
   * aggregator after a restart or a rebalance.
   */
  loadMarket(market: Market, horizonMs: number): Promise<LoadedMarket>;
  /** Candles, ascending by `window_start`. */
  candles(query: CandleQuery): Promise<Candle[]>;
  /**
   * Latest prices, by source and product; the given market's only, or all of them when none is
   * given.
   */
  latest(market?: Market): Promise<LatestPrice[]>;
  /**
   * The candle topic's outbox: candles queued by `write`'s `publish`, oldest first, as they were
   * queued. They stay queued until {@linkcode CandleStore.ackCandleOutbox}.
   */
  peekCandleOutbox(limit: number): Promise<Candle[]>;
  /** Takes the given candles, each at the revision given, off the candle topic's outbox. */
  ackCandleOutbox(candles: readonly CandleRevisionKey[]): Promise<void>;
  /** The markets known (with a latest price or a candle), by source and product. */
  markets(): Promise<KnownMarket[]>;
  /**
   * The alert queue: candles queued by `write`'s `examine` for the Alerter to examine, oldest
   * first, as they were queued. They stay queued until {@linkcode CandleStore.insertAlerts} takes
   * them off as examined.
   */
  peekCandlesToExamine(limit: number): Promise<Candle[]>;
  /**
   * Stores alerts, in one transaction with what goes with them: one whose
   * `(source, product, interval, windowStart, kind)` is already stored is ignored; the new ones are queued
   * on the alert topic's outbox ({@linkcode CandleStore.peekAlertOutbox}); the `examined`
   * candles, each at the revision given, leave the alert queue. So an examination either happened
   * whole or not at all, and doing it again raises nothing twice (docs/alerts.md).
   *
   * @param examined The queued candles these alerts come from. @default {[]}
   * @returns The alerts that were new, in the order given.
   */
  insertAlerts(alerts: readonly Alert[], examined?: readonly CandleRevisionKey[]): Promise<Alert[]>;
  /**
   * The alert topic's outbox: new alerts queued by {@linkcode CandleStore.insertAlerts}, oldest
   * first. They stay queued until {@linkcode CandleStore.ackAlertOutbox}.
   */
  peekAlertOutbox(limit: number): Promise<Alert[]>;
  /** Takes the given alerts off the alert topic's outbox. */
  ackAlertOutbox(alerts: readonly AlertKey[]): Promise<void>;
  /** Alerts, newest first (by `createdAt`). */
  alerts(query: AlertQuery): Promise<Alert[]>;
  /** Resolves when the store answers, rejects with the reason when it does not. */
  ping(): Promise<void>;
  /** Closes connections; closing twice is harmless. */
  close(): Promise<void>;
}
