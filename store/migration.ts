/**
 * A numbered schema step: each store owns its list and applies those a database lacks,
 * recording them in its `schema_migrations` table. Also what both stores' step to markets
 * (schema 3, docs/candles.md#where-candles-go) decides row by row: which market an
 * old row keyed by symbol belongs to.
 *
 * The rule of that step: a store written before markets kept one series per symbol, prices and
 * trades together. A candle with a volume had trades in it, so it becomes Coinbase's; one without,
 * CoinGecko's; both of product `{SYMBOL}-USD`, quote USD, `trades` its `samples`, buy and sell
 * volume unknown (null). Alerts and queued candles follow their candle. A symbol's state is split
 * by the identities of its seen set: a trade's (negative, `tradeIdentity`) go to Coinbase's
 * market, a price's to CoinGecko's, each keeping the old watermark and epoch.
 *
 * @module
 */
import { SeenSet } from "../market/seen_set.ts";
import type { Source } from "../market/market.ts";

/**
 * One step of a store's schema.
 *
 * @typeParam Db What {@linkcode Migration.move} is given: the store's connection, inside the
 * migration's transaction.
 */
export interface Migration<Db = unknown> {
  /** Its number, from 1, in the order applied. */
  version: number;
  /** What it does. */
  name: string;
  /** Its SQL statements, run as one script. */
  sql: string;
  /**
   * Moves, after the SQL and in the same transaction, the rows that SQL alone cannot (those
   * needing a decision made here), then drops what the SQL left behind.
   */
  move?: (db: Db) => void | Promise<void>;
}

/**
 * A migration failed: its transaction was rolled back, so the store is as it was before (the
 * earlier steps of the same start included).
 */
export class MigrationError extends Error {
  /** The schema version the store stays at. */
  readonly version: number;

  /**
   * @param migration The step that failed.
   * @param from The version the store was (and stays) at.
   * @param cause What failed.
   */
  constructor(migration: Pick<Migration, "version" | "name">, from: number, cause: unknown) {
    const reason = (cause instanceof Error ? cause.message : String(cause))
      .replaceAll(/\s*\n\s*/g, " ");
    super(
      `Cannot bring the store from schema ${from} to ${migration.version} (${migration.name}): ${reason}; rolled back, the store is as it was`,
      { cause },
    );
    this.name = "MigrationError";
    this.version = from;
  }
}

/**
 * The candles of the schema before markets (set aside as `candles_v2`) copied into the new table,
 * the same SQL for SQLite and PostgreSQL: a candle with a volume is Coinbase's, the others
 * CoinGecko's ({@linkcode sourceOfVolume}), product `{SYMBOL}-USD` ({@linkcode legacyProduct}),
 * quote USD, as many trades as samples, and no buy and sell split (it is not known).
 */
export const CANDLES_FROM_V2 = `INSERT INTO candles
      SELECT CASE WHEN volume IS NULL THEN 'coingecko' ELSE 'coinbase' END, symbol || '-USD',
        symbol, 'USD', "interval", window_start, window_end, open, high, low, close, samples,
        samples, volume, NULL, NULL, vwap, first_event, last_event, closed, revision, updated_at
      FROM candles_v2;`;

/**
 * The alerts of the schema before markets (set aside as `alerts_v2`) copied into the new table
 * once the candles are, the same SQL for SQLite and PostgreSQL: an alert takes the source of its
 * candle, Coinbase's when that candle is Coinbase's, else CoinGecko's.
 */
export const ALERTS_FROM_V2 = `INSERT INTO alerts
      SELECT CASE WHEN EXISTS (
          SELECT 1 FROM candles c WHERE c.source = 'coinbase' AND c.product = a.symbol || '-USD'
            AND c."interval" = a."interval" AND c.window_start = a.window_start
        ) THEN 'coinbase' ELSE 'coingecko' END,
        a.symbol || '-USD', a.symbol, a."interval", a.window_start, a.kind, a.direction,
        a.change_pct, a.zscore, a.price, a.created_at
      FROM alerts_v2 a;`;

/** The product a symbol's rows get when a store is brought to markets: `{SYMBOL}-USD`. */
export function legacyProduct(symbol: string): string {
  return `${symbol}-USD`;
}

/**
 * The source of a candle of the schema before markets, by its volume.
 *
 * @param volume The candle's volume.
 * @returns `coinbase` for a candle with a volume (it had trades), else `coingecko`.
 */
export function sourceOfVolume(volume: number | null | undefined): Source {
  return volume === null || volume === undefined ? "coingecko" : "coinbase";
}

/** A symbol's state of the schema before markets. */
export interface LegacyState {
  symbol: string;
  /** Null for a symbol claimed but never written. */
  maxEvent: number | null;
  seen: string;
  epoch: number;
}

/** A market's state as the step to markets writes it. */
export interface SplitState {
  /** The market's key, `coinbase:BTC-USD`. */
  market: string;
  source: Source;
  maxEvent: number | null;
  seen: string;
  epoch: number;
}

/**
 * Splits a symbol's state into its markets' states: the trade identities of its seen set go to
 * `coinbase:{SYMBOL}-USD`, the others to `coingecko:{SYMBOL}-USD`, each with the old watermark
 * and epoch. A market gets a state only when it has identities or candles; a state that would
 * leave none (nothing seen, no candle) stays CoinGecko's, so that its epoch is kept.
 *
 * @param state The old state.
 * @param withCandles The sources that have candles of the symbol.
 * @returns One or two states.
 * @throws {SyntaxError} When the seen set cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitState } from "./migration.ts";
 * // A price at 60 000 ms and trade 7 (identity -8) at 61 000 ms.
 * const states = splitState({ symbol: "BTC", maxEvent: 61_000, seen: "1aao,rs:-8", epoch: 3 }, new Set());
 * assert.deepEqual(states.map((s) => [s.market, s.seen, s.epoch]), [
 *   ["coinbase:BTC-USD", "1b2g:-8", 3],
 *   ["coingecko:BTC-USD", "1aao", 3],
 * ]);
 * ```
 */
export function splitState(state: LegacyState, withCandles: ReadonlySet<Source>): SplitState[] {
  try {
    SeenSet.decode(state.seen);
  } catch (error) {
    throw new SyntaxError(
      `The state of ${state.symbol} cannot be split by market: its seen set cannot be read (${
        error instanceof Error ? error.message : error
      })`,
      { cause: error },
    );
  }
  const trades = new SeenSet();
  const prices = new SeenSet();
  for (const [id, time] of entriesOf(state.seen)) {
    (id < 0 ? trades : prices).add(id, time);
  }
  const product = legacyProduct(state.symbol);
  const states: SplitState[] = [];
  const keep = (source: Source, set: SeenSet) =>
    states.push({
      market: `${source}:${product}`,
      source,
      maxEvent: state.maxEvent,
      seen: set.encode(),
      epoch: state.epoch,
    });
  if (trades.size > 0 || withCandles.has("coinbase")) keep("coinbase", trades);
  if (prices.size > 0 || withCandles.has("coingecko") || states.length === 0) {
    keep("coingecko", prices);
  }
  return states;
}

/**
 * The source of a latest price of the schema before markets. CoinGecko's prices carry a 24 h
 * volume, a market cap or a 24 h change; a trade's latest price has none of them. One with none
 * is Coinbase's when the symbol's seen set holds a trade at its event time and no price, or, that
 * failing, when a Coinbase candle of the symbol spans its event time; otherwise CoinGecko's.
 *
 * @param price The old row's nullable fields and event time.
 * @param clues The symbol's old seen set (null when it has no state) and whether a Coinbase
 * candle spans the event time.
 * @returns The source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latestSource } from "./migration.ts";
 * const row = { volume24h: null, marketCap: null, priceChange24h: null, eventTime: 61_000 };
 * assert.equal(latestSource(row, { seen: "1aao,rs:-8", tradeCandleSpans: false }), "coinbase");
 * ```
 */
export function latestSource(
  price: {
    volume24h: number | null;
    marketCap: number | null;
    priceChange24h: number | null;
    eventTime: number;
  },
  clues: { seen: string | null; tradeCandleSpans: boolean },
): Source {
  if (price.volume24h !== null || price.marketCap !== null || price.priceChange24h !== null) {
    return "coingecko";
  }
  if (clues.seen !== null) {
    let trade = false;
    let snapshot = false;
    try {
      SeenSet.decode(clues.seen);
      for (const [id, time] of entriesOf(clues.seen)) {
        if (time !== price.eventTime) continue;
        if (id < 0) trade = true;
        else snapshot = true;
      }
    } catch {
      // An unreadable seen set gives no clue (splitState refuses it).
    }
    if (trade !== snapshot) return trade ? "coinbase" : "coingecko";
  }
  return clues.tradeCandleSpans ? "coinbase" : "coingecko";
}

/**
 * A queued candle of the schema before markets (the JSON of its `Candle`) as one of its market.
 *
 * @param json The queued JSON.
 * @param source The source of its stored candle, or null when none is stored (then its volume
 * decides).
 * @returns Its market and the JSON of the candle as this schema queues it.
 */
export function migrateQueuedCandle(
  json: string,
  source: Source | null,
): { source: Source; product: string; json: string } {
  const old = JSON.parse(json) as Record<string, unknown> & { symbol: string; samples: number };
  const market = {
    source: source ?? sourceOfVolume(old.volume as number | null),
    product: legacyProduct(old.symbol),
  };
  const candle = {
    ...market,
    symbol: old.symbol,
    quote: "USD",
    interval: old.interval,
    windowStart: old.windowStart,
    windowEnd: old.windowEnd,
    open: old.open,
    high: old.high,
    low: old.low,
    close: old.close,
    samples: old.samples,
    trades: old.samples,
    volume: old.volume ?? null,
    buyVolume: null,
    sellVolume: null,
    vwap: old.vwap ?? null,
    firstEvent: old.firstEvent,
    lastEvent: old.lastEvent,
    closed: old.closed,
    revision: old.revision,
  };
  return { ...market, json: JSON.stringify(candle) };
}

/**
 * A queued alert of the schema before markets (the JSON of its `Alert`) as one of its market.
 *
 * @param json The queued JSON.
 * @param source The source its stored alert was given.
 * @returns The JSON of the alert as this schema queues it.
 */
export function migrateQueuedAlert(json: string, source: Source): string {
  const old = JSON.parse(json) as Record<string, unknown> & { symbol: string };
  return JSON.stringify({ source, product: legacyProduct(old.symbol), ...old });
}

/**
 * A seen set's identities with their times, from the text `SeenSet.encode` wrote (the set keeps
 * them private), once the text was checked by `SeenSet.decode`: each entry is `delta[:id]` in
 * base 36, the id being the time when left out. An identity given twice keeps its last time.
 */
function entriesOf(text: string): [number, number][] {
  const times = new Map<number, number>();
  if (text === "") return [];
  let time = 0;
  for (const part of text.split(",")) {
    const [delta, id] = part.split(":");
    time += parseInt(delta!, 36);
    times.set(id === undefined ? time : parseInt(id, 36), time);
  }
  return [...times];
}
