/**
 * The SQLite store's write: a {@linkcode WritePlan} applied in one `BEGIN IMMEDIATE … COMMIT`
 * over a connection, with the statements it prepares once. The store runs it on a thread of its
 * own for a database file (`sqlite_writer.ts`), so that waiting for the disk does not hold up the
 * program, and in place for `:memory:`.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  CANDLE_CHANGED,
  CANDLE_COLUMN_COUNT,
  CANDLE_COLUMNS,
  CANDLE_KEY_COLUMNS,
  LATEST_COLUMNS,
} from "./candle_columns.ts";
import type { CandleRevisionKey } from "./candle_store.ts";
import { marketKey, productParts } from "../market/market.ts";
import { isoTime, type WritePlan } from "./write_plan.ts";

/** Gives a statement prepared once on the connection, by name. */
export type Statements = (
  name: string,
  sql: string,
  setUp?: (statement: StatementSync) => void,
) => StatementSync;

/**
 * Prepares each statement once on a connection (and sets it up once, when a `setUp` is given).
 *
 * @param db The connection.
 * @returns The statements, by name.
 */
export function statementCache(db: DatabaseSync): Statements {
  const statements = new Map<string, StatementSync>();
  return (name, sql, setUp) => {
    let statement = statements.get(name);
    if (!statement) {
      statement = db.prepare(sql);
      setUp?.(statement);
      statements.set(name, statement);
    }
    return statement;
  };
}

/**
 * Runs a body in one transaction. A transaction that only takes published records off an
 * outbox need not wait for the disk (`durable` false): should a power loss undo it, those
 * records are published again, which their consumers already allow for; the next durable
 * commit writes it to disk with its own.
 *
 * @param db The connection.
 * @param body What to run in it.
 * @param durable Whether the commit waits for the disk. @default {true}
 * @returns What the body returns, once committed.
 */
export function transaction<T>(db: DatabaseSync, body: () => T, durable = true): T {
  if (!durable) db.exec("PRAGMA synchronous = NORMAL");
  try {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      throw error;
    }
  } finally {
    if (!durable) db.exec("PRAGMA synchronous = FULL");
  }
}

/**
 * Applies a write in one transaction.
 *
 * @param db The connection.
 * @param statement Its statements.
 * @param plan The write, checked.
 * @param now The time written as each row's `updated_at`, ISO text.
 * @returns The markets (`marketKey`) whose states were stale (nothing of theirs was written).
 */
export function applyWrite(
  db: DatabaseSync,
  statement: Statements,
  plan: WritePlan,
  now: string,
): string[] {
  return transaction(db, () => {
    const stale = new Set<string>();
    const upsertState = statement("state", UPSERT_STATE);
    for (const state of plan.states) {
      const applied = upsertState.get(
        state.market,
        isoTime(state.maxEvent),
        state.seen,
        state.epoch,
        now,
      );
      if (applied === undefined) stale.add(state.market);
    }
    const upsertCandle = statement("candle", UPSERT_CANDLE);
    for (const c of plan.candles) {
      if (stale.has(marketKey(c))) continue;
      upsertCandle.run(
        c.source,
        c.product,
        c.symbol,
        c.quote,
        c.interval,
        isoTime(c.windowStart),
        isoTime(c.windowEnd),
        c.open,
        c.high,
        c.low,
        c.close,
        c.samples,
        c.trades,
        c.volume,
        c.buyVolume,
        c.sellVolume,
        c.vwap,
        isoTime(c.firstEvent),
        isoTime(c.lastEvent),
        c.closed ? 1 : 0,
        c.revision,
        now,
      );
    }
    const upsertLatest = statement("latest", UPSERT_LATEST);
    for (const p of plan.latest) {
      if (stale.has(marketKey(p))) continue;
      upsertLatest.run(
        p.source,
        p.product,
        p.symbol,
        productParts(p.product)!.quote,
        p.priceUsd,
        p.volume24h,
        p.marketCap,
        p.priceChange24h,
        isoTime(p.eventTime),
        now,
      );
    }
    const queues = [["candle_outbox", plan.publish], ["alert_queue", plan.examine]] as const;
    for (const [table, queued] of queues) {
      const queue = statement(`queue ${table}`, queueCandles(table));
      for (const c of queued) {
        if (stale.has(marketKey(c))) continue;
        queue.run(
          c.source,
          c.product,
          c.interval,
          isoTime(c.windowStart),
          c.revision,
          JSON.stringify(c),
        );
      }
    }
    return [...stale];
  });
}

/**
 * Takes candles off the candle topic's outbox, each at the revision given, in a transaction that
 * does not wait for the disk (see {@linkcode transaction}).
 *
 * @param db The connection.
 * @param statement Its statements.
 * @param candles The candles published.
 */
export function ackCandles(
  db: DatabaseSync,
  statement: Statements,
  candles: readonly CandleRevisionKey[],
): void {
  const remove = statement("unqueue candle_outbox", unqueueCandles("candle_outbox"));
  transaction(db, () => {
    for (const c of candles) {
      remove.run(c.source, c.product, c.interval, isoTime(c.windowStart), c.revision);
    }
  }, false);
}

const UPSERT_STATE = `
  INSERT INTO candle_state (market, max_event, seen, epoch, updated_at)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (market) DO UPDATE SET
    max_event = excluded.max_event, seen = excluded.seen, epoch = excluded.epoch,
    updated_at = excluded.updated_at
  WHERE candle_state.epoch <= excluded.epoch
  RETURNING market`;

const UPSERT_CANDLE = `
  INSERT INTO candles (${CANDLE_COLUMNS}, updated_at)
  VALUES (${Array(CANDLE_COLUMN_COUNT + 1).fill("?").join(", ")})
  ON CONFLICT (${CANDLE_KEY_COLUMNS}) DO UPDATE SET
    ${CANDLE_CHANGED.map((c) => `${c} = excluded.${c}`).join(", ")},
    updated_at = excluded.updated_at
  WHERE ${CANDLE_CHANGED.map((c) => `candles.${c} IS NOT excluded.${c}`).join(" OR ")}`;

const UPSERT_LATEST = `
  INSERT INTO latest_prices (${LATEST_COLUMNS}, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (source, product) DO UPDATE SET
    symbol = excluded.symbol, quote = excluded.quote,
    price_usd = excluded.price_usd, volume_24h = excluded.volume_24h,
    market_cap = excluded.market_cap, price_change_24h = excluded.price_change_24h,
    event_time = excluded.event_time, updated_at = excluded.updated_at
  WHERE latest_prices.event_time < excluded.event_time
    OR (latest_prices.event_time = excluded.event_time AND (
      latest_prices.price_usd IS NOT excluded.price_usd
      OR latest_prices.volume_24h IS NOT excluded.volume_24h
      OR latest_prices.market_cap IS NOT excluded.market_cap
      OR latest_prices.price_change_24h IS NOT excluded.price_change_24h))`;

/** Queues a candle at its revision (once) in the candle topic's outbox or the alert queue. */
const queueCandles = (table: "candle_outbox" | "alert_queue") => `
  INSERT INTO ${table} (source, product, "interval", window_start, revision, candle)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (source, product, "interval", window_start, revision) DO NOTHING`;

/** Takes a candle at its revision off the candle topic's outbox or the alert queue. */
export const unqueueCandles = (table: "candle_outbox" | "alert_queue") => `
  DELETE FROM ${table}
  WHERE source = ? AND product = ? AND "interval" = ? AND window_start = ? AND revision = ?`;
