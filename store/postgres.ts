/**
 * The PostgreSQL candle store (`postgres://…`), on porsager's `postgres` client. A write is one
 * transaction of a few prepared statements, each one upserting a whole batch: each column of the
 * rows goes as one array parameter, unnested into typed rows, so a write of thousands of candles
 * costs a handful of round trips (alerts and acknowledgements go as one JSON parameter that
 * `json_to_recordset` reads). Connection errors become one-line
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
import type { MarketState } from "../market/market_state.ts";
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

/**
 * Rows in one statement of a write: a write of more goes as several, each sent as soon as it is
 * built, so that the database works on one while the next is built.
 */
const PART_ROWS = 1_000;

/**
 * The write's statements are prepared once per connection: a write sends each as a bind of its
 * arrays, without parsing it again or waiting for its parameters' types.
 */
const PREPARED = { prepare: true } as const;

/** What a column of a batch holds: a `time` goes as milliseconds since the epoch. */
type ColumnType = "text" | "integer" | "double precision" | "boolean" | "time";

/** A column of a batch, sent as one array parameter: its name, its type and a row's value. */
interface Column<T> {
  readonly name: string;
  readonly type: ColumnType;
  readonly of: (row: T) => string | number | boolean | null;
}

const column = <T>(
  name: string,
  type: ColumnType,
  of: (row: T) => string | number | boolean | null,
): Column<T> => ({ name, type, of });

/** Quotes a text element of an array literal, escaping `"` and `\`. */
const quoted = (text: string) =>
  text.includes('"') || text.includes("\\")
    ? `"${text.replaceAll(/["\\]/g, "\\$&")}"`
    : `"${text}"`;

/**
 * A column of rows as the text of a PostgreSQL array: `NULL` for null, numbers as JavaScript
 * writes them (the shortest text that reads back as the same double), texts quoted.
 */
function arrayOf<T>(rows: readonly T[], { type, of }: Column<T>): string {
  const text = type === "text";
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = of(rows[i]!);
    parts[i] = value === null
      ? "NULL"
      : text
      ? quoted(value as string)
      : typeof value === "boolean"
      ? value ? "t" : "f"
      : String(value);
  }
  return `{${parts.join(",")}}`;
}

/** The parameters of a batch: one array per column, in order (`$1` is the first column). */
const arraysOf = <T>(columns: readonly Column<T>[], rows: readonly T[]) =>
  columns.map((c) => arrayOf(rows, c));

/**
 * The rows of a batch as the table `x`: the columns' arrays (`$1`, `$2`, …) unnested side by
 * side in the select list (row by row as they are read, where an `unnest` in `FROM` would first
 * copy them all into a tuple store), numbered from 1 in `n` when `ordinality`.
 */
function unnestOf(columns: readonly Column<never>[], ordinality = false): string {
  const arrays = columns.map((c, i) =>
    `unnest($${i + 1}::${c.type === "time" ? "bigint" : c.type}[]) AS ${c.name}`
  );
  if (ordinality) arrays.push(`generate_subscripts($1::${columns[0]!.type}[], 1) AS n`);
  return `(SELECT ${arrays.join(", ")}) AS x`;
}

/**
 * The columns of `x` as they are stored: a time, milliseconds since the epoch, becomes a
 * `timestamptz` exactly (whole seconds and milliseconds as intervals: each product is exact in a
 * double, up to the year 9999), whatever the session's time zone.
 */
const valuesOf = (columns: readonly Column<never>[]) =>
  columns.map(({ name, type }) =>
    type === "time"
      ? `timestamptz 'epoch' + x.${name} / 1000 * interval '1 second' + x.${name} % 1000 * interval '1 millisecond'`
      : `x.${name}`
  ).join(", ");

/** The names of columns, comma-separated. */
const namesOf = (columns: readonly Column<never>[]) => columns.map((c) => c.name).join(", ");

const STATE_COLUMNS: readonly Column<MarketState>[] = [
  column("market", "text", (s) => s.market),
  column("max_event", "time", (s) => s.maxEvent),
  column("seen", "text", (s) => s.seen),
  column("epoch", "integer", (s) => s.epoch),
];

/** The columns of `candles` but `updated_at`. */
const CANDLE_ROW: readonly Column<Candle>[] = [
  column("source", "text", (c) => c.source),
  column("product", "text", (c) => c.product),
  column("symbol", "text", (c) => c.symbol),
  column("quote", "text", (c) => c.quote),
  column(`"interval"`, "text", (c) => c.interval),
  column("window_start", "time", (c) => c.windowStart),
  column("window_end", "time", (c) => c.windowEnd),
  column("open", "double precision", (c) => c.open),
  column("high", "double precision", (c) => c.high),
  column("low", "double precision", (c) => c.low),
  column("close", "double precision", (c) => c.close),
  column("samples", "integer", (c) => c.samples),
  column("trades", "integer", (c) => c.trades),
  column("volume", "double precision", (c) => c.volume),
  column("buy_volume", "double precision", (c) => c.buyVolume),
  column("sell_volume", "double precision", (c) => c.sellVolume),
  column("vwap", "double precision", (c) => c.vwap),
  column("first_event", "time", (c) => c.firstEvent),
  column("last_event", "time", (c) => c.lastEvent),
  column("closed", "boolean", (c) => c.closed),
  column("revision", "integer", (c) => c.revision),
];

const LATEST_ROW: readonly Column<LatestPrice>[] = [
  column("source", "text", (p) => p.source),
  column("product", "text", (p) => p.product),
  column("symbol", "text", (p) => p.symbol),
  column("quote", "text", (p) => productParts(p.product)!.quote),
  column("price_usd", "double precision", (p) => p.priceUsd),
  column("volume_24h", "double precision", (p) => p.volume24h),
  column("market_cap", "double precision", (p) => p.marketCap),
  column("price_change_24h", "double precision", (p) => p.priceChange24h),
  column("event_time", "time", (p) => p.eventTime),
];

/** A queued candle: its key at its revision, and the candle as JSON. */
const QUEUED_ROW: readonly Column<Candle>[] = [
  column("source", "text", (c) => c.source),
  column("product", "text", (c) => c.product),
  column(`"interval"`, "text", (c) => c.interval),
  column("window_start", "time", (c) => c.windowStart),
  column("revision", "integer", (c) => c.revision),
  column("candle", "text", (c) => JSON.stringify(c)),
];

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
          const applied = await tx.unsafe(
            UPSERT_STATES,
            arraysOf(STATE_COLUMNS, plan.states),
            PREPARED,
          );
          const fresh = new Set(applied.map((row) => row.market as string));
          for (const state of plan.states) if (!fresh.has(state.market)) stale.add(state.market);
        }
        const live = <T extends Market>(items: readonly T[]) =>
          items.filter((item) => !stale.has(marketKey(item)));
        // Sent one after the other without waiting for answers: the connection runs them in
        // order while the next part is built.
        const statements: Promise<unknown>[] = [];
        const send = async <T>(
          statement: string,
          columns: readonly Column<T>[],
          rows: readonly T[],
        ) => {
          for (let from = 0; from < rows.length; from += PART_ROWS) {
            const part = rows.slice(from, from + PART_ROWS);
            statements.push(tx.unsafe(statement, arraysOf(columns, part), PREPARED).execute());
            // The client hands a query to its connection a microtask later: this lets it go
            // out now. Only a microtask, not a later tick: no event of the connection (its
            // closing) is handled between two parts, so no part goes to a connection that is
            // gone, or opened again outside the transaction.
            await Promise.resolve();
          }
        };
        await send(UPSERT_CANDLES, CANDLE_ROW, live(plan.candles));
        await send(UPSERT_LATEST, LATEST_ROW, live(plan.latest));
        await send(QUEUE_CANDLE_OUTBOX, QUEUED_ROW, live(plan.publish));
        await send(QUEUE_ALERT_QUEUE, QUEUED_ROW, live(plan.examine));
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
  INSERT INTO candle_state AS s (${namesOf(STATE_COLUMNS)}, updated_at)
  SELECT ${valuesOf(STATE_COLUMNS)}, now() FROM ${unnestOf(STATE_COLUMNS)}
  ON CONFLICT (market) DO UPDATE SET
    max_event = excluded.max_event, seen = excluded.seen, epoch = excluded.epoch,
    updated_at = excluded.updated_at
  WHERE s.epoch <= excluded.epoch
  RETURNING market`;

const UPSERT_CANDLES = `
  INSERT INTO candles AS c (${namesOf(CANDLE_ROW)}, updated_at)
  SELECT ${valuesOf(CANDLE_ROW)}, now() FROM ${unnestOf(CANDLE_ROW)}
  ON CONFLICT (${CANDLE_KEY_COLUMNS}) DO UPDATE SET
    ${CANDLE_CHANGED.map((column) => `${column} = excluded.${column}`).join(", ")},
    updated_at = excluded.updated_at
  WHERE (${CANDLE_CHANGED.map((column) => `c.${column}`).join(", ")})
    IS DISTINCT FROM (${CANDLE_CHANGED.map((column) => `excluded.${column}`).join(", ")})`;

const UPSERT_LATEST = `
  INSERT INTO latest_prices AS l (${namesOf(LATEST_ROW)}, updated_at)
  SELECT ${valuesOf(LATEST_ROW)}, now() FROM ${unnestOf(LATEST_ROW)}
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
  INSERT INTO ${table} (${namesOf(QUEUED_ROW)})
  SELECT ${valuesOf(QUEUED_ROW)} FROM ${unnestOf(QUEUED_ROW, true)}
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
