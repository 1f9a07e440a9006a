/**
 * The PostgreSQL store's schema, as numbered migrations, and the function that brings a database
 * up to date. Times are `timestamptz`, prices `double precision` (a JavaScript number exactly),
 * offsets `bigint`.
 *
 * @module
 */
import type { Sql, TransactionSql } from "postgres";
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

/**
 * A queue of candles, each at a revision, read oldest first: the candle topic's outbox
 * (`candle_outbox`) and the Alerter's queue (`alert_queue`) are alike. (An applied migration's
 * statements never change: this gives the text each was written with.)
 */
const candleQueue = (table: "candle_outbox" | "alert_queue") => `
      CREATE TABLE ${table} (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        symbol text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        revision integer NOT NULL,
        candle text NOT NULL,
        PRIMARY KEY (symbol, "interval", window_start, revision)
      );
      CREATE INDEX ${table}_by_seq ON ${table} (seq);`;

/**
 * Schema 3 sets a table of schema 2 aside as `{table}_v2` with its indexes and identity
 * sequence, so that the new table takes their names.
 */
const setAside = (table: string, indexes: readonly string[], sequence = false) => `
      ALTER TABLE ${table} RENAME TO ${table}_v2;
      ALTER INDEX ${table}_pkey RENAME TO ${table}_v2_pkey;${
  indexes.map((index) => `
      DROP INDEX ${index};`).join("")
}${
  sequence
    ? `
      ALTER SEQUENCE ${table}_seq_seq RENAME TO ${table}_v2_seq_seq;`
    : ""
}`;

/** A queue of candles of a market, each at a revision, from schema 3 on. */
const marketCandleQueue = (table: "candle_outbox" | "alert_queue") =>
  `${setAside(table, [`${table}_by_seq`], true)}
      CREATE TABLE ${table} (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        source text NOT NULL,
        product text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        revision integer NOT NULL,
        candle text NOT NULL,
        PRIMARY KEY (source, product, "interval", window_start, revision)
      );
      CREATE INDEX ${table}_by_seq ON ${table} (seq);`;

/** The PostgreSQL store's migrations, in order. */
export const POSTGRES_MIGRATIONS: readonly Migration<TransactionSql>[] = [
  {
    version: 1,
    name: "candles, latest prices, alerts, candle state and the candle outbox",
    sql: `
      CREATE TABLE candles (
        symbol text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        open double precision NOT NULL,
        high double precision NOT NULL,
        low double precision NOT NULL,
        close double precision NOT NULL,
        samples integer NOT NULL,
        volume double precision,
        vwap double precision,
        first_event timestamptz NOT NULL,
        last_event timestamptz NOT NULL,
        closed boolean NOT NULL,
        revision integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (symbol, "interval", window_start)
      );
      CREATE INDEX candles_by_window_end ON candles (symbol, window_end);

      CREATE TABLE latest_prices (
        symbol text PRIMARY KEY,
        price_usd double precision NOT NULL,
        volume_24h double precision,
        market_cap double precision,
        price_change_24h double precision,
        event_time timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE alerts (
        symbol text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        kind text NOT NULL CHECK (kind IN ('move', 'anomaly')),
        direction text NOT NULL CHECK (direction IN ('up', 'down')),
        change_pct double precision NOT NULL,
        zscore double precision,
        price double precision NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (symbol, "interval", window_start, kind)
      );
      CREATE INDEX alerts_by_created_at ON alerts (created_at);

      CREATE TABLE candle_state (
        symbol text PRIMARY KEY,
        max_event timestamptz,
        seen text NOT NULL,
        epoch integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
${candleQueue("candle_outbox")}
    `,
  },
  {
    version: 2,
    name: "the alert queue and the alert outbox",
    sql: `${candleQueue("alert_queue")}

      CREATE TABLE alert_outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        symbol text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        kind text NOT NULL,
        alert text NOT NULL,
        PRIMARY KEY (symbol, "interval", window_start, kind)
      );
      CREATE INDEX alert_outbox_by_seq ON alert_outbox (seq);
    `,
  },
  {
    version: 3,
    name: "markets: every series keyed by source and product, candles with order flow",
    sql: `${setAside("candles", ["candles_by_window_end"])}
      CREATE TABLE candles (
        source text NOT NULL,
        product text NOT NULL,
        symbol text NOT NULL,
        quote text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        open double precision NOT NULL,
        high double precision NOT NULL,
        low double precision NOT NULL,
        close double precision NOT NULL,
        samples integer NOT NULL,
        trades integer NOT NULL,
        volume double precision,
        buy_volume double precision,
        sell_volume double precision,
        vwap double precision,
        first_event timestamptz NOT NULL,
        last_event timestamptz NOT NULL,
        closed boolean NOT NULL,
        revision integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, product, "interval", window_start)
      );
      ${CANDLES_FROM_V2}
      DROP TABLE candles_v2;
      CREATE INDEX candles_by_window_end ON candles (source, product, window_end);
${setAside("alerts", ["alerts_by_created_at"])}
      CREATE TABLE alerts (
        source text NOT NULL,
        product text NOT NULL,
        symbol text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        kind text NOT NULL CHECK (kind IN ('move', 'anomaly')),
        direction text NOT NULL CHECK (direction IN ('up', 'down')),
        change_pct double precision NOT NULL,
        zscore double precision,
        price double precision NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (source, product, "interval", window_start, kind)
      );
      ${ALERTS_FROM_V2}
      DROP TABLE alerts_v2;
      CREATE INDEX alerts_by_created_at ON alerts (created_at);
${setAside("latest_prices", [])}
      CREATE TABLE latest_prices (
        source text NOT NULL,
        product text NOT NULL,
        symbol text NOT NULL,
        quote text NOT NULL,
        price_usd double precision NOT NULL,
        volume_24h double precision,
        market_cap double precision,
        price_change_24h double precision,
        event_time timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, product)
      );
${setAside("candle_state", [])}
      CREATE TABLE candle_state (
        market text PRIMARY KEY,
        max_event timestamptz,
        seen text NOT NULL,
        epoch integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
${marketCandleQueue("candle_outbox")}
${marketCandleQueue("alert_queue")}
${setAside("alert_outbox", ["alert_outbox_by_seq"], true)}
      CREATE TABLE alert_outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        source text NOT NULL,
        product text NOT NULL,
        "interval" text NOT NULL,
        window_start timestamptz NOT NULL,
        kind text NOT NULL,
        alert text NOT NULL,
        PRIMARY KEY (source, product, "interval", window_start, kind)
      );
      CREATE INDEX alert_outbox_by_seq ON alert_outbox (seq);
    `,
    move: moveToMarkets,
  },
];

/** Rows for `json_to_recordset`, a thousand at a time. */
function* batches<T>(rows: readonly T[]): Generator<string> {
  for (let i = 0; i < rows.length; i += 1_000) yield JSON.stringify(rows.slice(i, i + 1_000));
}

/** An ISO time, as `to_json` writes a `timestamptz` in UTC. */
const iso = (value: unknown) => value === null ? null : new Date(value as Date).toISOString();

/**
 * Schema 3's rows that need a decision (migration.ts): latest prices, states and the queues,
 * from the tables the SQL set aside as `*_v2`, which are dropped after.
 */
async function moveToMarkets(tx: TransactionSql): Promise<void> {
  const withCandles = new Map<string, Set<Source>>();
  for (
    const row of await tx`
      SELECT s.symbol, c.source FROM candle_state_v2 s
      CROSS JOIN (VALUES ('coinbase'), ('coingecko')) AS c(source)
      WHERE EXISTS (SELECT 1 FROM candles WHERE source = c.source AND product = s.symbol || '-USD')`
  ) {
    const sources = withCandles.get(row.symbol) ?? new Set<Source>();
    sources.add(row.source as Source);
    withCandles.set(row.symbol, sources);
  }
  const seenOf = new Map<string, string>();
  const states = [];
  for (
    const row of await tx`
      SELECT symbol, max_event, seen, epoch, updated_at::text AS updated_at
      FROM candle_state_v2 ORDER BY symbol`
  ) {
    const symbol = row.symbol as string;
    seenOf.set(symbol, row.seen);
    const maxEvent = row.max_event === null ? null : (row.max_event as Date).getTime();
    const old = { symbol, maxEvent, seen: row.seen as string, epoch: Number(row.epoch) };
    for (const state of splitState(old, withCandles.get(symbol) ?? new Set())) {
      states.push({
        market: state.market,
        max_event: iso(row.max_event),
        seen: state.seen,
        epoch: state.epoch,
        updated_at: row.updated_at,
      });
    }
  }
  for (const batch of batches(states)) {
    await tx.unsafe(
      `INSERT INTO candle_state (market, max_event, seen, epoch, updated_at)
       SELECT * FROM json_to_recordset($1::text::json) AS x(market text, max_event timestamptz,
         seen text, epoch integer, updated_at timestamptz)`,
      [batch],
    );
  }

  const latest = [];
  for (
    const row of await tx`
      SELECT l.symbol, l.price_usd, l.volume_24h, l.market_cap, l.price_change_24h,
        l.event_time, l.updated_at::text AS updated_at, EXISTS (
          SELECT 1 FROM candles c WHERE c.source = 'coinbase' AND c.product = l.symbol || '-USD'
            AND c.first_event <= l.event_time AND c.last_event >= l.event_time
        ) AS spans
      FROM latest_prices_v2 l ORDER BY symbol`
  ) {
    const symbol = row.symbol as string;
    const eventTime = (row.event_time as Date).getTime();
    latest.push({
      source: latestSource({
        volume24h: row.volume_24h,
        marketCap: row.market_cap,
        priceChange24h: row.price_change_24h,
        eventTime,
      }, { seen: seenOf.get(symbol) ?? null, tradeCandleSpans: row.spans === true }),
      product: legacyProduct(symbol),
      symbol,
      price_usd: row.price_usd,
      volume_24h: row.volume_24h,
      market_cap: row.market_cap,
      price_change_24h: row.price_change_24h,
      event_time: iso(row.event_time),
      updated_at: row.updated_at,
    });
  }
  for (const batch of batches(latest)) {
    await tx.unsafe(
      `INSERT INTO latest_prices (source, product, symbol, quote, price_usd, volume_24h,
         market_cap, price_change_24h, event_time, updated_at)
       SELECT source, product, symbol, 'USD', price_usd, volume_24h, market_cap,
         price_change_24h, event_time, updated_at
       FROM json_to_recordset($1::text::json) AS x(source text, product text, symbol text,
         price_usd double precision, volume_24h double precision, market_cap double precision,
         price_change_24h double precision, event_time timestamptz, updated_at timestamptz)`,
      [batch],
    );
  }

  for (const table of ["candle_outbox", "alert_queue"] as const) {
    const queued = [];
    for (
      const row of await tx.unsafe(
        `SELECT q.seq::text AS seq, q.symbol, q."interval", q.window_start, q.revision, q.candle,
           c.source
         FROM ${table}_v2 q
         LEFT JOIN candles c ON c.product = q.symbol || '-USD' AND c."interval" = q."interval"
           AND c.window_start = q.window_start
         ORDER BY q.seq`,
      )
    ) {
      const moved = migrateQueuedCandle(row.candle, row.source ?? null);
      queued.push({
        seq: row.seq,
        source: moved.source,
        product: moved.product,
        interval: row.interval,
        window_start: iso(row.window_start),
        revision: row.revision,
        candle: moved.json,
      });
    }
    for (const batch of batches(queued)) {
      await tx.unsafe(
        `INSERT INTO ${table} (seq, source, product, "interval", window_start, revision, candle)
         OVERRIDING SYSTEM VALUE
         SELECT * FROM json_to_recordset($1::text::json) AS x(seq bigint, source text,
           product text, "interval" text, window_start timestamptz, revision integer,
           candle text)`,
        [batch],
      );
    }
  }

  const alerts = [];
  for (
    const row of await tx`
      SELECT o.seq::text AS seq, o.symbol, o."interval", o.window_start, o.kind, o.alert,
        a.source
      FROM alert_outbox_v2 o
      LEFT JOIN alerts a ON a.product = o.symbol || '-USD' AND a."interval" = o."interval"
        AND a.window_start = o.window_start AND a.kind = o.kind
      ORDER BY o.seq`
  ) {
    const source = (row.source ?? "coingecko") as Source;
    alerts.push({
      seq: row.seq,
      source,
      product: legacyProduct(row.symbol),
      interval: row.interval,
      window_start: iso(row.window_start),
      kind: row.kind,
      alert: migrateQueuedAlert(row.alert, source),
    });
  }
  for (const batch of batches(alerts)) {
    await tx.unsafe(
      `INSERT INTO alert_outbox (seq, source, product, "interval", window_start, kind, alert)
       OVERRIDING SYSTEM VALUE
       SELECT * FROM json_to_recordset($1::text::json) AS x(seq bigint, source text,
         product text, "interval" text, window_start timestamptz, kind text, alert text)`,
      [batch],
    );
  }

  // The queues go on numbering where they stopped.
  for (const table of ["candle_outbox", "alert_queue", "alert_outbox"]) {
    await tx.unsafe(
      `SELECT setval(pg_get_serial_sequence('${table}', 'seq'), last_value, is_called)
       FROM ${table}_v2_seq_seq`,
    );
  }
  await tx.unsafe(`
    DROP TABLE candle_state_v2;
    DROP TABLE latest_prices_v2;
    DROP TABLE candle_outbox_v2;
    DROP TABLE alert_queue_v2;
    DROP TABLE alert_outbox_v2;
  `);
}

/** Whether an error is of the connection (SQLSTATE class 08, 57P0x, or the driver's own). */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^(08|57P0)/.test(code) || /^[A-Z_]+$/.test(code));
}

/** The advisory lock that lets one process at a time migrate a database. */
const MIGRATION_LOCK = 7_263_015_538;

/**
 * Applies the migrations a database lacks, in one transaction under an advisory lock (so two
 * processes starting at once apply each migration once), recording each in `schema_migrations`.
 * A migration that fails rolls every one of them back: the database is left as it was.
 *
 * @param sql The connection pool.
 * @param migrations The migrations, in order.
 * @returns The schema version the database is at.
 * @throws {Error} When the database's schema is newer than the migrations known here, or when a
 * migration fails (one line: which, that nothing was changed, and why; a lost connection is
 * thrown as it came).
 */
export async function migratePostgres(
  sql: Sql,
  migrations: readonly Migration<TransactionSql>[] = POSTGRES_MIGRATIONS,
): Promise<number> {
  const known = migrations.at(-1)?.version ?? 0;
  return await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const [row] =
      await tx`SELECT coalesce(max(version), 0)::integer AS version FROM schema_migrations`;
    const current = Number(row?.version ?? 0);
    if (current > known) {
      throw new Error(
        `The database's schema is at version ${current}, newer than this program's ${known}: upgrade the program`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      try {
        await tx.unsafe(migration.sql);
        await migration.move?.(tx);
      } catch (error) {
        if (isConnectionError(error)) throw error;
        throw new MigrationError(migration, current, error);
      }
      await tx`INSERT INTO schema_migrations (version, name)
               VALUES (${migration.version}, ${migration.name})`;
    }
    return Math.max(current, known);
  });
}
