/**
 * What the candle pipeline and the HTTP API need of a store (SPEC §8), so that the embedded
 * SQLite store and PostgreSQL are interchangeable. Both implement this interface and pass one
 * contract suite (`tests/store/contract.ts`).
 *
 * @module
 */
import type { Candle, CandleKey, Interval } from "../market/candle.ts";

/** The latest price of a symbol (table `latest_prices`). Times are ms since the epoch. */
export interface LatestPrice {
  /** The symbol. */
  symbol: string;
  /** The price in USD. */
  priceUsd: number;
  /** 24 h volume in USD, or null. */
  volume24h: number | null;
  /** Market capitalisation in USD, or null. */
  marketCap: number | null;
  /** 24 h change in percent, or null. */
  priceChange24h: number | null;
  /** The price's event time. */
  eventTime: number;
}

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

/** One atomic write: everything in it is applied in one transaction, or nothing is. */
export interface StoreWrite {
  /**
   * Symbol states. A state whose `epoch` is below the stored one is stale: it is not applied, and
   * neither are that symbol's candles or latest price in this write.
   */
  states: SymbolState[];
  /** Candles to upsert by `(symbol, interval, window_start)`; each one's symbol has a state above. */
  candles: Candle[];
  /** Latest prices to upsert by symbol (a write with an older `eventTime` than stored is ignored). */
  latest: LatestPrice[];
  /** Closed candles and revisions to put on the candle topic: queued in the outbox. */
  publish: CandleKey[];
}

/** Which candles to read. */
export interface CandleQuery {
  /** The symbol. */
  symbol: string;
  /** The interval. */
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
  /** Candles queued for the candle topic, oldest first, as they stand now. */
  outbox(limit: number): Promise<Candle[]>;
  /** Removes from the outbox the given candles, at the revision given or below. */
  published(
    candles: readonly Pick<Candle, "symbol" | "interval" | "windowStart" | "revision">[],
  ): Promise<void>;
  /** Resolves when the store answers, rejects with the reason when it does not. */
  ping(): Promise<void>;
  /** Closes connections. */
  close(): Promise<void>;
}
