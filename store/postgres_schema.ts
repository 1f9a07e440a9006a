/**
 * The PostgreSQL store's schema, as numbered migrations, and the function that brings a database
 * up to date. Times are `timestamptz`, prices `double precision` (a JavaScript number exactly),
 * offsets `bigint`.
 *
 * @module
 */
import type { Sql } from "postgres";
import type { Migration } from "./migration.ts";

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

/** The PostgreSQL store's migrations, in order. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
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
];

/** The advisory lock that lets one process at a time migrate a database. */
const MIGRATION_LOCK = 7_263_015_538;

/**
 * Applies the migrations a database lacks, in one transaction under an advisory lock (so two
 * processes starting at once apply each migration once), recording each in `schema_migrations`.
 *
 * @param sql The connection pool.
 * @param migrations The migrations, in order.
 * @returns The schema version the database is at.
 * @throws {Error} When the database's schema is newer than the migrations known here.
 */
export async function migratePostgres(
  sql: Sql,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
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
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version, name)
               VALUES (${migration.version}, ${migration.name})`;
    }
    return Math.max(current, known);
  });
}
