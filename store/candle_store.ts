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

export type { LatestPrice } from "../market/latest_price.ts";

/**
 * What the aggregator keeps of a symbol between runs (internal table `candle_state`): enough to
 * tell a repeated observation from a new one after a restart, where its watermark stood, and
 * which process owns it.
 */
export interface SymbolState {
  /** The symbol. */
  symbol: string;
  /** The latest event time seen for the symbol (its watermark plus the out-of-orderness). */
  maxEvent: number;
  /** The identities of observations still able to change a candle, encoded by the aggregator. */
  seen: string;
  /**
   * The owner's epoch: {@linkcode CandleStore.loadSymbol} raises it by one for each process that
   * takes the symbol over (after a restart or a rebalance). A write with an epoch below the stored
   * one comes from a process that lost the symbol: it is stale.
   */
  epoch: number;
}

/**
 * One atomic write: everything in it is applied in one transaction, or nothing is. A key given
 * twice counts once: the last candle, state and queued key given, the latest price with the
 * latest event time. A value a store cannot keep (not finite, a time outside 1970-9999, an
 * epoch that is not a whole number from 1) rejects the whole write with a `RangeError`.
 */
export interface StoreWrite {
  /**
   * Symbol states. A state whose `epoch` is below the stored one is stale: it is not applied, and
   * neither are that symbol's candles or latest price in this write.
   */
  states: SymbolState[];
  /**
   * Candles to upsert by `(symbol, interval, window_start)`; each one's symbol has a state above
   * (a candle whose symbol has none is applied, there being nothing to guard it).
   */
  candles: Candle[];
  /** Latest prices to upsert by symbol (a write with an older `eventTime` than stored is ignored). */
  latest: LatestPrice[];
  /**
   * Closed candles and revisions to put on the candle topic, as they are now: queued in the
   * outbox, each revision once.
   */
  publish: Candle[];
  /**
   * Closed candles and revisions for the Alerter to examine, as they are now: queued on the alert
   * queue in the same transaction (each revision once), so that none is missed when the process
   * stops between the write and the examination. Left out (or empty) when no Alerter runs.
   */
  examine?: Candle[];
}

/** A candle at one revision: what the outbox and the alert queue hold. */
export type CandleRevisionKey = Pick<Candle, "symbol" | "interval" | "windowStart" | "revision">;

/** An alert's key: at most one alert of a kind per candle. */
export type AlertKey = Pick<Alert, "symbol" | "interval" | "windowStart" | "kind">;

/** Which candles to read. */
export interface CandleQuery {
  symbol: string;
  interval: Interval;
  /** Only windows starting at or after this time. */
  from?: number;
  /** Only windows starting before this time. */
  to?: number;
  /** At most this many: the latest ones when there are more, returned ascending. @default {500} */
  limit?: number;
}

/** A symbol's state as stored, and its candles that may still change. */
export interface LoadedSymbol {
  /** The state, or null for a symbol never written. */
  state: SymbolState | null;
  /** The epoch now claimed for this process: one above the stored one (1 for a new symbol). */
  epoch: number;
  /** Its candles whose `window_end` is after `state.maxEvent - horizonMs`, every interval. */
  candles: Candle[];
}

/** A symbol the store knows, with its latest price when it has one (`GET /api/v1/symbols`). */
export interface KnownSymbol {
  symbol: string;
  /** Its latest price in USD, or null when only candles are known. */
  priceUsd: number | null;
  /** That price's event time, or null. */
  eventTime: number | null;
}

/** Which alerts to read. */
export interface AlertQuery {
  /** Only this symbol's. */
  symbol?: string;
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
   * Resolves to the symbols whose states were stale (nothing of theirs was written).
   */
  write(batch: StoreWrite): Promise<string[]>;
  /**
   * Takes a symbol over: raises its epoch (storing it, so that writes of any earlier owner are
   * stale from now on) and returns its state and the candles that may still change, for the
   * aggregator after a restart or a rebalance.
   */
  loadSymbol(symbol: string, horizonMs: number): Promise<LoadedSymbol>;
  /** Candles, ascending by `window_start`. */
  candles(query: CandleQuery): Promise<Candle[]>;
  /** Latest prices, by symbol; all of them when no symbol is given. */
  latest(symbol?: string): Promise<LatestPrice[]>;
  /**
   * The candle topic's outbox: candles queued by `write`'s `publish`, oldest first, as they were
   * queued. They stay queued until {@linkcode CandleStore.ackCandleOutbox}.
   */
  peekCandleOutbox(limit: number): Promise<Candle[]>;
  /** Takes the given candles, each at the revision given, off the candle topic's outbox. */
  ackCandleOutbox(candles: readonly CandleRevisionKey[]): Promise<void>;
  /** The symbols known (with a latest price or a candle state), by name. */
  symbols(): Promise<KnownSymbol[]>;
  /**
   * The alert queue: candles queued by `write`'s `examine` for the Alerter to examine, oldest
   * first, as they were queued. They stay queued until {@linkcode CandleStore.insertAlerts} takes
   * them off as examined.
   */
  peekCandlesToExamine(limit: number): Promise<Candle[]>;
  /**
   * Stores alerts, in one transaction with what goes with them: one whose
   * `(symbol, interval, windowStart, kind)` is already stored is ignored; the new ones are queued
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
