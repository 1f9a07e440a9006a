/**
 * The SQLite store's schema, as numbered migrations, and the function that brings a database up
 * to date. Times are ISO-8601 text (`YYYY-MM-DDTHH:MM:SS.sssZ`), which sorts as time does;
 * booleans are 0 and 1; offsets are 64-bit integers.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { Migration } from "./migration.ts";

export type { Migration } from "./migration.ts";

/**
 * A queue of candles, each at a revision, read oldest first: the candle topic's outbox
 * (`candle_outbox`) and the Alerter's queue (`alert_queue`) are alike. (An applied migration's
 * statements never change: this gives the text each was written with.)
 */
const candleQueue = (table: "candle_outbox" | "alert_queue") => `
      CREATE TABLE ${table} (
        seq INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        revision INTEGER NOT NULL,
        candle TEXT NOT NULL,
        UNIQUE (symbol, "interval", window_start, revision)
      ) STRICT;`;

/** The SQLite store's migrations, in order. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "candles, latest prices, alerts, candle state and the candle outbox",
    sql: `
      CREATE TABLE candles (
        symbol TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        window_end TEXT NOT NULL,
        open REAL NOT NULL,
        high REAL NOT NULL,
        low REAL NOT NULL,
        close REAL NOT NULL,
        samples INTEGER NOT NULL,
        volume REAL,
        vwap REAL,
        first_event TEXT NOT NULL,
        last_event TEXT NOT NULL,
        closed INTEGER NOT NULL CHECK (closed IN (0, 1)),
        revision INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (symbol, "interval", window_start)
      ) STRICT;
      CREATE INDEX candles_by_window_end ON candles (symbol, window_end);

      CREATE TABLE latest_prices (
        symbol TEXT PRIMARY KEY NOT NULL,
        price_usd REAL NOT NULL,
        volume_24h REAL,
        market_cap REAL,
        price_change_24h REAL,
        event_time TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE alerts (
        symbol TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('move', 'anomaly')),
        direction TEXT NOT NULL CHECK (direction IN ('up', 'down')),
        change_pct REAL NOT NULL,
        zscore REAL,
        price REAL NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (symbol, "interval", window_start, kind)
      ) STRICT;
      CREATE INDEX alerts_by_created_at ON alerts (created_at);

      CREATE TABLE candle_state (
        symbol TEXT PRIMARY KEY NOT NULL,
        max_event TEXT,
        seen TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
${candleQueue("candle_outbox")}
    `,
  },
  {
    version: 2,
    name: "the alert queue and the alert outbox",
    sql: `${candleQueue("alert_queue")}

      CREATE TABLE alert_outbox (
        seq INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        kind TEXT NOT NULL,
        alert TEXT NOT NULL,
        UNIQUE (symbol, "interval", window_start, kind)
      ) STRICT;
    `,
  },
];

/**
 * Applies the migrations a database lacks, in one transaction, recording each in
 * `schema_migrations`. Two processes opening one file at once apply each migration once.
 *
 * @param migrations The migrations, in order.
 * @returns The schema version the database is at.
 * @throws {Error} When the database's schema is newer than the migrations known here.
 */
export function migrateSqlite(
  db: DatabaseSync,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): number {
  const known = migrations.at(-1)?.version ?? 0;
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY NOT NULL,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    ) STRICT`);
    const row = db.prepare("SELECT max(version) AS version FROM schema_migrations").get();
    const current = Number(row?.version ?? 0);
    if (current > known) {
      throw new Error(
        `The database's schema is at version ${current}, newer than this program's ${known}: upgrade the program`,
      );
    }
    const record = db.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
    );
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
    db.exec("COMMIT");
    return Math.max(current, known);
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
