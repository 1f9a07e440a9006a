/**
 * The SQLite store's schema, as numbered migrations, and the function that brings a database up
 * to date. Times are ISO-8601 text (`YYYY-MM-DDTHH:MM:SS.sssZ`), which sorts as time does;
 * booleans are 0 and 1; offsets are 64-bit integers.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { Source } from "../market/market.ts";
import {
  ALERTS_FROM_V2,
  CANDLES_FROM_V2,
  latestSource,
  legacyProduct,
  migrateQueuedAlert,
  migrateQueuedCandle,
  type Migration,
  MigrationError,
  splitState,
} from "./migration.ts";

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

/** A queue of candles of a market, each at a revision, from schema 3 on. */
const marketCandleQueue = (table: "candle_outbox" | "alert_queue") => `
      ALTER TABLE ${table} RENAME TO ${table}_v2;
      CREATE TABLE ${table} (
        seq INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        product TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        revision INTEGER NOT NULL,
        candle TEXT NOT NULL,
        UNIQUE (source, product, "interval", window_start, revision)
      ) STRICT;`;

/** The SQLite store's migrations, in order. */
export const SQLITE_MIGRATIONS: readonly Migration<DatabaseSync>[] = [
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
  {
    version: 3,
    name: "markets: every series keyed by source and product, candles with order flow",
    sql: `
      ALTER TABLE candles RENAME TO candles_v2;
      DROP INDEX candles_by_window_end;
      CREATE TABLE candles (
        source TEXT NOT NULL,
        product TEXT NOT NULL,
        symbol TEXT NOT NULL,
        quote TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        window_end TEXT NOT NULL,
        open REAL NOT NULL,
        high REAL NOT NULL,
        low REAL NOT NULL,
        close REAL NOT NULL,
        samples INTEGER NOT NULL,
        trades INTEGER NOT NULL,
        volume REAL,
        buy_volume REAL,
        sell_volume REAL,
        vwap REAL,
        first_event TEXT NOT NULL,
        last_event TEXT NOT NULL,
        closed INTEGER NOT NULL CHECK (closed IN (0, 1)),
        revision INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (source, product, "interval", window_start)
      ) STRICT;
      ${CANDLES_FROM_V2}
      DROP TABLE candles_v2;
      CREATE INDEX candles_by_window_end ON candles (source, product, window_end);

      ALTER TABLE alerts RENAME TO alerts_v2;
      DROP INDEX alerts_by_created_at;
      CREATE TABLE alerts (
        source TEXT NOT NULL,
        product TEXT NOT NULL,
        symbol TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('move', 'anomaly')),
        direction TEXT NOT NULL CHECK (direction IN ('up', 'down')),
        change_pct REAL NOT NULL,
        zscore REAL,
        price REAL NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (source, product, "interval", window_start, kind)
      ) STRICT;
      ${ALERTS_FROM_V2}
      DROP TABLE alerts_v2;
      CREATE INDEX alerts_by_created_at ON alerts (created_at);

      ALTER TABLE latest_prices RENAME TO latest_prices_v2;
      CREATE TABLE latest_prices (
        source TEXT NOT NULL,
        product TEXT NOT NULL,
        symbol TEXT NOT NULL,
        quote TEXT NOT NULL,
        price_usd REAL NOT NULL,
        volume_24h REAL,
        market_cap REAL,
        price_change_24h REAL,
        event_time TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (source, product)
      ) STRICT;

      ALTER TABLE candle_state RENAME TO candle_state_v2;
      CREATE TABLE candle_state (
        market TEXT PRIMARY KEY NOT NULL,
        max_event TEXT,
        seen TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
${marketCandleQueue("candle_outbox")}
${marketCandleQueue("alert_queue")}

      ALTER TABLE alert_outbox RENAME TO alert_outbox_v2;
      CREATE TABLE alert_outbox (
        seq INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        product TEXT NOT NULL,
        "interval" TEXT NOT NULL,
        window_start TEXT NOT NULL,
        kind TEXT NOT NULL,
        alert TEXT NOT NULL,
        UNIQUE (source, product, "interval", window_start, kind)
      ) STRICT;
    `,
    move: moveToMarkets,
  },
];

/**
 * Schema 3's rows that need a decision (migration.ts): latest prices, states and the queues,
 * from the tables the SQL renamed `*_v2`, which are dropped after.
 */
function moveToMarkets(db: DatabaseSync): void {
  /** A table's rows, every column read as the text, number or null it holds. */
  const all = <T>(sql: string) => db.prepare(sql).all() as unknown as T[];
  type Time = string;
  const hasCandles = db.prepare(
    "SELECT 1 FROM candles WHERE source = ? AND product = ? LIMIT 1",
  );
  const spans = db.prepare(
    `SELECT 1 FROM candles WHERE source = 'coinbase' AND product = ?
       AND first_event <= ? AND last_event >= ? LIMIT 1`,
  );
  const seenOf = new Map<string, string>();
  const addState = db.prepare(
    `INSERT INTO candle_state (market, max_event, seen, epoch, updated_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  type State = {
    symbol: string;
    max_event: Time | null;
    seen: string;
    epoch: number;
    updated_at: Time;
  };
  for (const row of all<State>("SELECT * FROM candle_state_v2 ORDER BY symbol")) {
    const symbol = row.symbol;
    seenOf.set(symbol, row.seen);
    const product = legacyProduct(symbol);
    const withCandles = new Set<Source>(
      (["coinbase", "coingecko"] as const).filter((source) =>
        hasCandles.get(source, product) !== undefined
      ),
    );
    const maxEvent = row.max_event === null ? null : Date.parse(row.max_event);
    const old = { symbol, maxEvent, seen: row.seen, epoch: Number(row.epoch) };
    for (const state of splitState(old, withCandles)) {
      addState.run(state.market, row.max_event, state.seen, state.epoch, row.updated_at);
    }
  }

  const addLatest = db.prepare(
    `INSERT INTO latest_prices (source, product, symbol, quote, price_usd, volume_24h,
       market_cap, price_change_24h, event_time, updated_at)
     VALUES (?, ?, ?, 'USD', ?, ?, ?, ?, ?, ?)`,
  );
  type Latest = {
    symbol: string;
    price_usd: number;
    volume_24h: number | null;
    market_cap: number | null;
    price_change_24h: number | null;
    event_time: Time;
    updated_at: Time;
  };
  for (const row of all<Latest>("SELECT * FROM latest_prices_v2 ORDER BY symbol")) {
    const symbol = row.symbol;
    const product = legacyProduct(symbol);
    const source = latestSource({
      volume24h: row.volume_24h,
      marketCap: row.market_cap,
      priceChange24h: row.price_change_24h,
      eventTime: Date.parse(row.event_time),
    }, {
      seen: seenOf.get(symbol) ?? null,
      tradeCandleSpans: spans.get(product, row.event_time, row.event_time) !== undefined,
    });
    addLatest.run(
      source,
      product,
      symbol,
      row.price_usd,
      row.volume_24h,
      row.market_cap,
      row.price_change_24h,
      row.event_time,
      row.updated_at,
    );
  }

  const candleSource = db.prepare(
    `SELECT source FROM candles WHERE product = ? AND "interval" = ? AND window_start = ?
     LIMIT 1`,
  );
  for (const table of ["candle_outbox", "alert_queue"] as const) {
    const add = db.prepare(
      `INSERT INTO ${table} (seq, source, product, "interval", window_start, revision, candle)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    type Queued = {
      seq: number;
      symbol: string;
      interval: string;
      window_start: Time;
      revision: number;
      candle: string;
    };
    for (const row of all<Queued>(`SELECT * FROM ${table}_v2 ORDER BY seq`)) {
      const product = legacyProduct(row.symbol);
      const stored = candleSource.get(product, row.interval, row.window_start);
      const moved = migrateQueuedCandle(row.candle, (stored?.source ?? null) as Source | null);
      add.run(
        row.seq,
        moved.source,
        moved.product,
        row.interval,
        row.window_start,
        row.revision,
        moved.json,
      );
    }
  }

  const alertSource = db.prepare(
    `SELECT source FROM alerts WHERE product = ? AND "interval" = ? AND window_start = ?
       AND kind = ? LIMIT 1`,
  );
  const addAlert = db.prepare(
    `INSERT INTO alert_outbox (seq, source, product, "interval", window_start, kind, alert)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  type QueuedAlert = {
    seq: number;
    symbol: string;
    interval: string;
    window_start: Time;
    kind: string;
    alert: string;
  };
  for (const row of all<QueuedAlert>("SELECT * FROM alert_outbox_v2 ORDER BY seq")) {
    const product = legacyProduct(row.symbol);
    const stored = alertSource.get(product, row.interval, row.window_start, row.kind);
    const source = (stored?.source ?? "coingecko") as Source;
    addAlert.run(
      row.seq,
      source,
      product,
      row.interval,
      row.window_start,
      row.kind,
      migrateQueuedAlert(row.alert, source),
    );
  }

  db.exec(`
    DROP TABLE candle_state_v2;
    DROP TABLE latest_prices_v2;
    DROP TABLE candle_outbox_v2;
    DROP TABLE alert_queue_v2;
    DROP TABLE alert_outbox_v2;
  `);
}

/**
 * Applies the migrations a database lacks, in one transaction, recording each in
 * `schema_migrations`. Two processes opening one file at once apply each migration once. A
 * migration that fails rolls every one of them back: the database is left as it was.
 *
 * @param migrations The migrations, in order.
 * @returns The schema version the database is at.
 * @throws {Error} When the database's schema is newer than the migrations known here, or when a
 * migration fails (one line: which, that nothing was changed, and why).
 */
export function migrateSqlite(
  db: DatabaseSync,
  migrations: readonly Migration<DatabaseSync>[] = SQLITE_MIGRATIONS,
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
      try {
        db.exec(migration.sql);
        migration.move?.(db);
      } catch (error) {
        throw new MigrationError(migration, current, error);
      }
      record.run(migration.version, migration.name, new Date().toISOString());
    }
    db.exec("COMMIT");
    return Math.max(current, known);
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
