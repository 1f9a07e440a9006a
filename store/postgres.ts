/**
 * The PostgreSQL candle store (`postgres://…`), on porsager's `postgres` client. A write is one
 * transaction of a few statements, each one upserting a whole batch: the rows go as one JSON
 * parameter that `json_to_recordset` turns into typed rows, so a write of thousands of candles
 * costs a handful of round trips. Connection errors become one-line
 * {@linkcode StoreUnavailableError}s naming `host:port`, never the password.
 *
 * @module
 */
import postgres, { type Sql } from "postgres";
import { redactUrl } from "../config/values.ts";
import type { Alert, AlertKind } from "../market/alert.ts";
import type { Candle, Interval } from "../market/candle.ts";
import { deadline, DeadlineError } from "../runtime/deadline.ts";
import { delay } from "../runtime/delay.ts";
import {
  ALERT_COLUMNS,
  CANDLE_CHANGED,
  CANDLE_COLUMNS,
  CANDLE_KEY_COLUMNS,
  LATEST_COLUMNS,
} from "./candle_columns.ts";
import type {
  AlertKey,
  AlertQuery,
  CandleQuery,
  CandleRevisionKey,
  CandleStore,
  KnownMarket,
} from "./candle_store.ts";
import type { LatestPrice } from "../market/latest_price.ts";
import type { LoadedMarket } from "../market/loaded_market.ts";
import { type Market, marketKey, productParts, type Source } from "../market/market.ts";
import type { StoreWrite } from "../market/store_write.ts";
import { migratePostgres } from "./postgres_schema.ts";
import {
  checkLimit,
  queuedAlert,
  queuedCandle,
  type Row,
  timeBound,
  type TimeReader,
  toAlert,
  toCandle,
  toClaim,
  toKnownMarkets,
  toLatest,
} from "./rows.ts";
import { isRefusedSqlState, StoreRefusedError, StoreUnavailableError } from "./store_error.ts";
import { checkAlert, isoTime, keyOf, planWrite } from "./write_plan.ts";

/** Options for {@linkcode PostgresCandleStore.connect}. */
export interface PostgresStoreOptions {
  /** How long the database may stay unreachable at start-up. @default {30_000} */
  connectTimeoutMs?: number;
  /** Connections in the pool. @default {4} */
  maxConnections?: number;
}

/** Where a URL points, for messages: `host:port`. */
function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname === "" ? "localhost" : parsed.hostname;
    return `${host}:${parsed.port === "" ? "5432" : parsed.port}`;
  } catch {
    return "an unparsable address";
  }
}

/** The password in a URL, to scrub from any message that might echo it. */
function passwordOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    const fromQuery = parsed.searchParams.get("password");
    const password = parsed.password !== "" ? decodeURIComponent(parsed.password) : fromQuery;
    return password === null || password === "" ? null : password;
  } catch {
    return null;
  }
}

/** Error codes of a connection that failed or went away: trying again later may work. */
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up)
  "53300", // too_many_connections
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** Whether an error is of the connection (or a conflict) rather than of the statement. */
function isTransient(error: unknown): boolean {
  const code = codeOf(error);
  return TRANSIENT_CODES.has(code) || code.startsWith("08");
}

/** The driver gives a `timestamptz` as a `Date`. */
const date: TimeReader = (value) => (value as Date).getTime();

/** A bound of a time range as a `timestamptz` literal, `open` when there is none. */
function bound(
  what: string,
  name: string,
  value: number | undefined,
  open: "-infinity" | "infinity",
): string {
  return value === undefined ? open : timeBound(what, name, value);
}

/** The rows of a batch as the one JSON parameter that `json_to_recordset` reads. */
const rows = (values: readonly object[]) => JSON.stringify(values);

/** Candle keys at a revision as the one JSON parameter of a `DELETE … USING`. */
const revisionRows = (candles: readonly CandleRevisionKey[]) =>
  rows(candles.map((c) => ({
    source: c.source,
    product: c.product,
    interval: c.interval,
    window_start: isoTime(c.windowStart),
    revision: c.revision,
  })));

/** An alert's key as one string, for maps. */
const alertKeyOf = (a: AlertKey) => `${keyOf(a)}\u0000${a.kind}`;

const CANDLE_RECORD = `source text, product text, symbol text, quote text, "interval" text,
  window_start timestamptz, window_end timestamptz, open double precision, high double precision,
  low double precision, close double precision, samples integer, trades integer,
  volume double precision, buy_volume double precision, sell_volume double precision,
  vwap double precision, first_event timestamptz, last_event timestamptz, closed boolean,
  revision integer`;

/** A candle as a row of {@linkcode CANDLE_RECORD}. */
const candleRow = (c: Candle) => ({
  source: c.source,
  product: c.product,
  symbol: c.symbol,
  quote: c.quote,
  interval: c.interval,
  window_start: isoTime(c.windowStart),
  window_end: isoTime(c.windowEnd),
  open: c.open,
  high: c.high,
  low: c.low,
  close: c.close,
  samples: c.samples,
  trades: c.trades,
  volume: c.volume,
  buy_volume: c.buyVolume,
  sell_volume: c.sellVolume,
  vwap: c.vwap,
  first_event: isoTime(c.firstEvent),
  last_event: isoTime(c.lastEvent),
  closed: c.closed,
  revision: c.revision,
});

/**
 * The candle store on PostgreSQL.
 *
 * @example
 * ```ts ignore
 * import { PostgresCandleStore } from "./postgres.ts";
 * const store = await PostgresCandleStore.connect("postgres://postgres@127.0.0.1:5432/market");
 * console.log(await store.latest({ source: "coinbase", product: "BTC-USD" }));
 * await store.close();
 * ```
 */
export class PostgresCandleStore implements CandleStore {
  /** The URL without its password. */
  readonly description: string;
  #sql: Sql;
  #address: string;
  #password: string | null;
  #closed = false;

  private constructor(sql: Sql, url: string) {
    this.#sql = sql;
    this.description = redactUrl(url);
    this.#address = addressOf(url);
    this.#password = passwordOf(url);
  }

  /**
   * Connects, retrying until the timeout while the database is unreachable, and migrates it.
   *
   * @param url `postgres://user:password@host:port/database` (or `postgresql://`).
   * @param options The start-up timeout and the pool size.
   * @returns The store.
   * @throws {StoreUnavailableError} When the database stays unreachable for the timeout, or
   * refuses the connection (a wrong password, a missing database): one line naming `host:port`
   * and the reason, never the password.
   */
  static async connect(
    url: string,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresCandleStore> {
    const { connectTimeoutMs = 30_000, maxConnections = 4 } = options;
    const until = Date.now() + connectTimeoutMs;
    const sql = postgres(url, {
      max: maxConnections,
      connect_timeout: Math.max(1, Math.min(10, Math.ceil(connectTimeoutMs / 1000))),
      idle_timeout: 60,
      onnotice: () => {},
      connection: { application_name: "crypto-analyzer" },
    });
    const store = new PostgresCandleStore(sql, url);
    try {
      await store.#reachWithin(until, connectTimeoutMs);
      await migratePostgres(sql).catch((error) => {
        if (isTransient(error)) throw store.#translate(error, "Lost the connection to");
        throw new Error(
          `Cannot migrate the PostgreSQL store at ${store.#address}: ${store.#scrub(error)}`,
          { cause: error },
        );
      });
      return store;
    } catch (error) {
      await sql.end({ timeout: 0 }).catch(() => {});
      throw error;
    }
  }

  /**
   * Applies a write in one transaction: states first (telling which markets are stale), then
   * the candles of the others, the latest prices and the queued keys.
   *
   * @param batch The states, candles, latest prices and keys to queue.
   * @returns The markets (`marketKey`) whose states were stale (nothing of theirs was written).
   */
  write(batch: StoreWrite): Promise<string[]> {
    return this.#run(async () => {
      const plan = planWrite(batch);
      return await this.#sql.begin(async (tx) => {
        const stale = new Set<string>();
        if (plan.states.length > 0) {
          const applied = await tx.unsafe(UPSERT_STATES, [
            rows(plan.states.map((s) => ({
              market: s.market,
              max_event: isoTime(s.maxEvent),
              seen: s.seen,
              epoch: s.epoch,
            }))),
          ]);
          const fresh = new Set(applied.map((row) => row.market as string));
          for (const state of plan.states) if (!fresh.has(state.market)) stale.add(state.market);
        }
        const live = <T extends Market>(items: readonly T[]) =>
          items.filter((item) => !stale.has(marketKey(item)));
        const candles = live(plan.candles);
        const publish = live(plan.publish);
        // Sent together: one connection runs them in order, without waiting between them.
        const statements: Promise<unknown>[] = [];
        if (candles.length > 0) {
          statements.push(tx.unsafe(UPSERT_CANDLES, [rows(candles.map(candleRow))]));
        }
        const latest = live(plan.latest);
        if (latest.length > 0) {
          statements.push(tx.unsafe(UPSERT_LATEST, [
            rows(latest.map((p) => ({
              source: p.source,
              product: p.product,
              symbol: p.symbol,
              quote: productParts(p.product)!.quote,
              price_usd: p.priceUsd,
              volume_24h: p.volume24h,
              market_cap: p.marketCap,
              price_change_24h: p.priceChange24h,
              event_time: isoTime(p.eventTime),
            }))),
          ]));
        }
        const queued = (candles: readonly Candle[]) =>
          rows(candles.map((c, n) => ({
            source: c.source,
            product: c.product,
            interval: c.interval,
            window_start: isoTime(c.windowStart),
            revision: c.revision,
            candle: JSON.stringify(c),
            n,
          })));
        if (publish.length > 0) statements.push(tx.unsafe(QUEUE_CANDLE_OUTBOX, [queued(publish)]));
        const examine = live(plan.examine);
        if (examine.length > 0) statements.push(tx.unsafe(QUEUE_ALERT_QUEUE, [queued(examine)]));
        await Promise.all(statements);
        return [...stale];
      });
    });
  }

  /**
   * Takes a market over (its epoch rises by one) and gives its state and the candles that may
   * still change.
   *
   * @param market The market.
   * @param horizonMs How far before the state's `maxEvent` a window may end and still be loaded.
   * @returns The state (null when never written), the epoch claimed and those candles.
   */
  loadMarket(market: Market, horizonMs: number): Promise<LoadedMarket> {
    return this.#run(async () => {
      const [row] = await this.#sql`
        INSERT INTO candle_state AS s (market, max_event, seen, epoch)
        VALUES (${marketKey(market)}, NULL, '', 1)
        ON CONFLICT (market) DO UPDATE SET epoch = s.epoch + 1
        RETURNING market, max_event, seen, epoch`;
      const { state, epoch } = toClaim(row!, date);
      if (state === null) return { state, epoch, candles: [] };
      const after = timeBound("candles", "the horizon", state.maxEvent - horizonMs);
      const candles = await this.#sql.unsafe(
        `SELECT ${CANDLE_COLUMNS} FROM candles
         WHERE source = $1 AND product = $2 AND window_end > $3::text::timestamptz
         ORDER BY window_start, "interval"`,
        [market.source, market.product, after],
      );
      return { state, epoch, candles: candles.map((row) => toCandle(row, date)) };
    });
  }

  /**
   * Candles of one market and interval: the latest `limit` of those in `[from, to)`, ascending.
   *
   * @param query The market, interval, range and limit.
   * @returns The candles, ascending by `windowStart`.
   */
  candles(query: CandleQuery): Promise<Candle[]> {
    return this.#run(async () => {
      const limit = checkLimit(query.limit ?? 500);
      const found = await this.#sql.unsafe(
        `SELECT * FROM (
           SELECT ${CANDLE_COLUMNS} FROM candles
           WHERE source = $1 AND product = $2 AND "interval" = $3
             AND window_start >= $4::text::timestamptz AND window_start < $5::text::timestamptz
           ORDER BY window_start DESC LIMIT $6
         ) latest ORDER BY window_start`,
        [
          query.source,
          query.product,
          query.interval,
          bound("candles", "from", query.from, "-infinity"),
          bound("candles", "to", query.to, "infinity"),
          limit,
        ],
      );
      return found.map((row) => toCandle(row, date));
    });
  }

  /**
   * Latest prices.
   *
   * @param market One market, or every market when omitted.
   * @returns The prices, by source and product.
   */
  latest(market?: Market): Promise<LatestPrice[]> {
    return this.#run(async () => {
      const sql = this.#sql;
      const found = await sql`
        SELECT ${sql.unsafe(LATEST_COLUMNS)}
        FROM latest_prices
        ${
        market === undefined
          ? sql``
          : sql`WHERE source = ${market.source} AND product = ${market.product}`
      }
        ORDER BY source COLLATE "C", product COLLATE "C"`;
      return found.map((row) => toLatest(row, date));
    });
  }

  /**
   * Candles queued for the candle topic.
   *
   * @param limit At most this many.
   * @returns The candles as they were queued, oldest first.
   */
  peekCandleOutbox(limit: number): Promise<Candle[]> {
    return this.#peek("candle_outbox", "candle", limit, queuedCandle);
  }

  /**
   * Takes candles off the candle topic's outbox, each at the revision given.
   *
   * @param candles The candles published.
   * @returns Resolves once removed.
   */
  ackCandleOutbox(candles: readonly CandleRevisionKey[]): Promise<void> {
    return this.#run(async () => {
      if (candles.length === 0) return;
      await this.#sql.unsafe(UNQUEUE_CANDLE_OUTBOX, [revisionRows(candles)]);
    });
  }

  /**
   * The markets known (by a latest price or a candle), with their latest price when there is
   * one and the intervals they have candles of.
   *
   * @returns The markets, by source then product.
   */
  markets(): Promise<KnownMarket[]> {
    return this.#run(async () => {
      const [latest, series] = await Promise.all([
        this.#sql`SELECT source, product, symbol, quote, price_usd, event_time FROM latest_prices`,
        this.#sql.unsafe(SERIES),
      ]);
      return toKnownMarkets(latest, series, date);
    });
  }

  /**
   * Candles queued for the Alerter to examine.
   *
   * @param limit At most this many.
   * @returns The candles as they were queued, oldest first.
   */
  peekCandlesToExamine(limit: number): Promise<Candle[]> {
    return this.#peek("alert_queue", "candle", limit, queuedCandle);
  }

  /**
   * Stores alerts, ignoring those already stored, queues the new ones for the alert topic and
   * takes the examined candles off the alert queue, in one transaction.
   *
   * @param examined The queued candles they come from, each at its revision.
   * @returns The ones that were new, in the order given.
   */
  insertAlerts(
    alerts: readonly Alert[],
    examined: readonly CandleRevisionKey[] = [],
  ): Promise<Alert[]> {
    return this.#run(async () => {
      alerts.forEach(checkAlert);
      const unique = new Map<string, Alert>();
      for (const alert of alerts) {
        if (!unique.has(alertKeyOf(alert))) unique.set(alertKeyOf(alert), alert);
      }
      if (unique.size === 0 && examined.length === 0) return [];
      return await this.#sql.begin(async (tx) => {
        let fresh: Alert[] = [];
        if (unique.size > 0) {
          const inserted = await tx.unsafe(INSERT_ALERTS, [
            rows([...unique.values()].map((a, n) => ({
              source: a.source,
              product: a.product,
              symbol: a.symbol,
              interval: a.interval,
              window_start: isoTime(a.windowStart),
              kind: a.kind,
              direction: a.direction,
              change_pct: a.changePct,
              zscore: a.zscore,
              price: a.price,
              created_at: isoTime(a.createdAt),
              n,
            }))),
          ]);
          const keys = new Set(inserted.map((row) =>
            alertKeyOf({
              source: row.source as Source,
              product: row.product as string,
              interval: row.interval as Interval,
              windowStart: date(row.window_start),
              kind: row.kind as AlertKind,
            })
          ));
          fresh = [...unique.entries()].filter(([key]) => keys.has(key)).map(([, a]) => a);
        }
        if (fresh.length > 0) {
          await tx.unsafe(QUEUE_ALERTS, [
            rows(fresh.map((a, n) => ({
              source: a.source,
              product: a.product,
              interval: a.interval,
              window_start: isoTime(a.windowStart),
              kind: a.kind,
              alert: JSON.stringify(a),
              n,
            }))),
          ]);
        }
        if (examined.length > 0) {
          await tx.unsafe(UNQUEUE_ALERT_QUEUE, [revisionRows(examined)]);
        }
        return fresh;
      });
    });
  }

  /**
   * New alerts queued for the alert topic.
   *
   * @param limit At most this many.
   * @returns The alerts, oldest first.
   */
  peekAlertOutbox(limit: number): Promise<Alert[]> {
    return this.#peek("alert_outbox", "alert", limit, queuedAlert);
  }

  /**
   * Takes alerts off the alert topic's outbox.
   *
   * @param alerts The alerts published.
   * @returns Resolves once removed.
   */
  ackAlertOutbox(alerts: readonly AlertKey[]): Promise<void> {
    return this.#run(async () => {
      if (alerts.length === 0) return;
      await this.#sql.unsafe(
        `DELETE FROM alert_outbox o
         USING json_to_recordset($1::text::json) AS x(source text, product text,
           "interval" text, window_start timestamptz, kind text)
         WHERE o.source = x.source AND o.product = x.product AND o."interval" = x."interval"
           AND o.window_start = x.window_start AND o.kind = x.kind`,
        [
          rows(alerts.map((a) => ({
            source: a.source,
            product: a.product,
            interval: a.interval,
            window_start: isoTime(a.windowStart),
            kind: a.kind,
          }))),
        ],
      );
    });
  }

  /**
   * Alerts, newest first.
   *
   * @param query The symbol, source and product, the earliest creation time and the limit.
   * @returns The alerts.
   */
  alerts(query: AlertQuery): Promise<Alert[]> {
    return this.#run(async () => {
      const sql = this.#sql;
      const limit = checkLimit(query.limit);
      const since = bound("alerts", "since", query.since, "-infinity");
      const found = await sql`
        SELECT ${sql.unsafe(ALERT_COLUMNS)}
        FROM alerts
        WHERE created_at >= ${since}::text::timestamptz
        ${query.symbol === undefined ? sql`` : sql`AND symbol = ${query.symbol}`}
        ${query.source === undefined ? sql`` : sql`AND source = ${query.source}`}
        ${query.product === undefined ? sql`` : sql`AND product = ${query.product}`}
        ORDER BY created_at DESC, window_start DESC, source COLLATE "C", product COLLATE "C",
          "interval", kind
        LIMIT ${limit}`;
      return found.map((row) => toAlert(row, date));
    });
  }

  /**
   * Checks that the database answers.
   *
   * @returns Resolves when it does.
   * @throws {StoreUnavailableError} When it does not.
   */
  ping(): Promise<void> {
    return this.#run(async () => {
      await this.#sql`SELECT 1`;
    });
  }

  /**
   * Closes the pool, letting running statements finish for up to 2 s (a connection that broke
   * while in use is only let go at that deadline: the client never sees it end); closing twice is
   * harmless.
   *
   * @returns Resolves once closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 2 });
  }

  /** Tries `SELECT 1` until it answers or the time `until` passes. */
  async #reachWithin(until: number, timeoutMs: number): Promise<void> {
    let last: unknown = null;
    while (true) {
      const left = until - Date.now();
      if (left <= 0) break;
      try {
        await deadline(this.#sql`SELECT 1`, left);
        return;
      } catch (error) {
        if (error instanceof DeadlineError) {
          last = new Error("no answer", { cause: error });
        } else {
          last = error;
          if (!isTransient(error)) throw this.#translate(error, "Cannot connect to");
        }
      }
      await delay(Math.min(500, Math.max(0, until - Date.now())));
    }
    const seconds = Math.round(timeoutMs / 100) / 10;
    throw this.#translate(last, "Cannot reach", ` within ${seconds}s`);
  }

  /** Reads a queue's oldest `limit` rows, each through `read`. */
  #peek<T>(
    table: "candle_outbox" | "alert_queue" | "alert_outbox",
    column: "candle" | "alert",
    limit: number,
    read: (row: Row) => T,
  ): Promise<T[]> {
    return this.#run(async () => {
      const found = await this.#sql.unsafe(
        `SELECT ${column} FROM ${table} ORDER BY seq LIMIT $1`,
        [checkLimit(limit)],
      );
      return found.map(read);
    });
  }

  /**
   * Runs a body: a connection error becomes a {@linkcode StoreUnavailableError}, a statement
   * refused for what it holds (SQLSTATE class 22, 23 or 42) a {@linkcode StoreRefusedError}.
   */
  async #run<T>(body: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error(`The store ${this.description} is closed`);
    try {
      return await body();
    } catch (error) {
      if (isTransient(error)) throw this.#translate(error, "Lost the connection to");
      if (isRefusedSqlState(codeOf(error))) {
        throw new StoreRefusedError(`PostgreSQL refused it: ${this.#scrub(error)}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** One line naming the database and the reason, with the password scrubbed out. */
  #translate(error: unknown, verb: string, within = ""): StoreUnavailableError {
    return new StoreUnavailableError(
      `${verb} PostgreSQL at ${this.#address}${within}: ${this.#scrub(error)}`,
      { cause: error },
    );
  }

  /** An error's message on one line, without the password. */
  #scrub(error: unknown): string {
    let reason = error instanceof Error ? error.message : String(error ?? "no answer");
    if (reason === "") reason = codeOf(error) || "no reason given";
    if (this.#password !== null) reason = reason.replaceAll(this.#password, "***");
    return reason.replaceAll(/\s*\n\s*/g, " ");
  }
}

const UPSERT_STATES = `
  INSERT INTO candle_state AS s (market, max_event, seen, epoch, updated_at)
  SELECT market, max_event, seen, epoch, now()
  FROM json_to_recordset($1::text::json)
    AS x(market text, max_event timestamptz, seen text, epoch integer)
  ON CONFLICT (market) DO UPDATE SET
    max_event = excluded.max_event, seen = excluded.seen, epoch = excluded.epoch,
    updated_at = excluded.updated_at
  WHERE s.epoch <= excluded.epoch
  RETURNING market`;

const UPSERT_CANDLES = `
  INSERT INTO candles AS c (${CANDLE_COLUMNS}, updated_at)
  SELECT ${CANDLE_COLUMNS}, now() FROM json_to_recordset($1::text::json) AS x(${CANDLE_RECORD})
  ON CONFLICT (${CANDLE_KEY_COLUMNS}) DO UPDATE SET
    ${CANDLE_CHANGED.map((column) => `${column} = excluded.${column}`).join(", ")},
    updated_at = excluded.updated_at
  WHERE (${CANDLE_CHANGED.map((column) => `c.${column}`).join(", ")})
    IS DISTINCT FROM (${CANDLE_CHANGED.map((column) => `excluded.${column}`).join(", ")})`;

const UPSERT_LATEST = `
  INSERT INTO latest_prices AS l (${LATEST_COLUMNS}, updated_at)
  SELECT ${LATEST_COLUMNS}, now()
  FROM json_to_recordset($1::text::json) AS x(source text, product text, symbol text,
    quote text, price_usd double precision, volume_24h double precision,
    market_cap double precision, price_change_24h double precision, event_time timestamptz)
  ON CONFLICT (source, product) DO UPDATE SET
    symbol = excluded.symbol, quote = excluded.quote,
    price_usd = excluded.price_usd, volume_24h = excluded.volume_24h,
    market_cap = excluded.market_cap, price_change_24h = excluded.price_change_24h,
    event_time = excluded.event_time, updated_at = excluded.updated_at
  WHERE l.event_time < excluded.event_time
    OR (l.event_time = excluded.event_time
      AND (l.price_usd, l.volume_24h, l.market_cap, l.price_change_24h) IS DISTINCT FROM
        (excluded.price_usd, excluded.volume_24h, excluded.market_cap, excluded.price_change_24h))`;

/**
 * Each `(source, product, interval)` of the candles once, with the market's symbol and quote, by
 * skipping through the primary key's index (one probe per series, however many candles).
 */
const SERIES = `
  WITH RECURSIVE series AS (
    (SELECT source, product, symbol, quote, "interval" FROM candles
     ORDER BY source, product, "interval" LIMIT 1)
    UNION ALL
    SELECT n.* FROM series s, LATERAL (
      SELECT source, product, symbol, quote, "interval" FROM candles c
      WHERE (c.source, c.product, c."interval") > (s.source, s.product, s."interval")
      ORDER BY c.source, c.product, c."interval" LIMIT 1
    ) n
  )
  SELECT source, product, symbol, quote, "interval" FROM series`;

const INSERT_ALERTS = `
  INSERT INTO alerts (${ALERT_COLUMNS})
  SELECT ${ALERT_COLUMNS} FROM json_to_recordset($1::text::json) AS x(
    source text, product text, symbol text, "interval" text, window_start timestamptz,
    kind text, direction text, change_pct double precision, zscore double precision,
    price double precision, created_at timestamptz, n integer)
  ORDER BY n
  ON CONFLICT DO NOTHING
  RETURNING source, product, "interval", window_start, kind`;

const QUEUE_ALERTS = `
  INSERT INTO alert_outbox (source, product, "interval", window_start, kind, alert)
  SELECT source, product, "interval", window_start, kind, alert
  FROM json_to_recordset($1::text::json) AS x(source text, product text, "interval" text,
    window_start timestamptz, kind text, alert text, n integer)
  ORDER BY x.n
  ON CONFLICT (source, product, "interval", window_start, kind) DO NOTHING`;

/** Queues candles at their revision (each once), in the order given. */
const queueCandles = (table: "candle_outbox" | "alert_queue") => `
  INSERT INTO ${table} (source, product, "interval", window_start, revision, candle)
  SELECT source, product, "interval", window_start, revision, candle
  FROM json_to_recordset($1::text::json) AS x(source text, product text, "interval" text,
    window_start timestamptz, revision integer, candle text, n integer)
  ORDER BY x.n
  ON CONFLICT (source, product, "interval", window_start, revision) DO NOTHING`;

/** Takes candles, each at the revision given, off a queue. */
const unqueueCandles = (table: "candle_outbox" | "alert_queue") => `
  DELETE FROM ${table} q
  USING json_to_recordset($1::text::json) AS x(source text, product text, "interval" text,
    window_start timestamptz, revision integer)
  WHERE q.source = x.source AND q.product = x.product AND q."interval" = x."interval"
    AND q.window_start = x.window_start AND q.revision = x.revision`;

const QUEUE_CANDLE_OUTBOX = queueCandles("candle_outbox");
const UNQUEUE_CANDLE_OUTBOX = unqueueCandles("candle_outbox");
const QUEUE_ALERT_QUEUE = queueCandles("alert_queue");
const UNQUEUE_ALERT_QUEUE = unqueueCandles("alert_queue");
