/**
 * The embedded candle store (`sqlite:PATH`, the default): one SQLite file through Deno's
 * built-in `node:sqlite`, in WAL mode with a busy timeout so that two processes can share it.
 * Every statement is prepared once and reused; a write is one `BEGIN IMMEDIATE … COMMIT`, applied
 * on a thread of its own for a database file (`sqlite_writer.ts`), so that the program goes on
 * while the write waits for the disk; the reads stay on this thread's connection.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";
import type { CandleJson } from "../market/messages/candle_message.ts";
import type { LatestPriceJson } from "../market/messages/latest_price_message.ts";
import { ALERT_COLUMNS, CANDLE_COLUMNS, LATEST_COLUMNS } from "./candle_columns.ts";
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
import { migrateSqlite } from "./sqlite_schema.ts";
import { sqliteErrorKind, StoreRefusedError, StoreUnavailableError } from "./store_error.ts";
import { checkAlert, isoTime, planWrite } from "./write_plan.ts";
import {
  ackCandles,
  applyWrite,
  statementCache,
  type Statements,
  transaction,
  unqueueCandles,
} from "./sqlite_write.ts";
import { SqliteWriter } from "./sqlite_writer.ts";

/** Options for {@linkcode SqliteCandleStore.open}. */
export interface SqliteStoreOptions {
  /** How long a statement waits for another process's write lock. @default {5000} */
  busyTimeoutMs?: number;
}

/** SQLite keeps times as ISO text. */
const isoText: TimeReader = (value) => Date.parse(value as string);

/** Runs a synchronous body as a promise, rejecting with what it throws. */
function settle<T>(body: () => T): Promise<T> {
  try {
    return Promise.resolve(body());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The arguments of {@linkcode SqliteCandleStore}'s statement of latest candles, in order. */
function candleArgs(query: CandleQuery): (string | number)[] {
  const args: (string | number)[] = [query.source, query.product, query.interval];
  if (query.from !== undefined) args.push(timeBound("candles", "from", query.from));
  if (query.to !== undefined) args.push(timeBound("candles", "to", query.to));
  args.push(checkLimit(query.limit ?? 500));
  return args;
}

/**
 * Has a statement give each row as an array of its columns rather than an object (half the
 * cost). `node:sqlite` has had `setReturnArrays` since Node 24, but Deno's types lack it yet.
 */
const returnArrays = (statement: StatementSync): void =>
  (statement as StatementSync & { setReturnArrays(enabled: boolean): void }).setReturnArrays(true);

/** A time as `toISOString` writes it, in the years 0000 to 9999 (the day checked below). */
const ISO_TIME =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const MONTH_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A stored time as `candleJson` answers it: the text itself when it is one `toISOString` writes
 * (as `isoTime` stores every time), else the text read and written again.
 */
function isoAnswer(value: unknown): string {
  const text = value as string;
  if (ISO_TIME.test(text)) {
    const day = (text.charCodeAt(8) - 48) * 10 + text.charCodeAt(9) - 48;
    if (day < 29) return text;
    const month = (text.charCodeAt(5) - 48) * 10 + text.charCodeAt(6) - 48;
    const year = Number(text.slice(0, 4));
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    if (day <= MONTH_DAYS[month]! && (month !== 2 || day < 29 || leap)) return text;
  }
  return isoTime(isoText(text));
}

/**
 * The columns {@linkcode candleJsonOf} reads: all but `source`, `product` and `interval`, which
 * the query gives (a row matches them exactly).
 */
const CANDLE_JSON_COLUMNS = `symbol, quote, window_start, window_end, open, high, low, close,
  samples, trades, volume, buy_volume, sell_volume, vwap, first_event, last_event, closed, revision`;

/** A row of {@linkcode CANDLE_JSON_COLUMNS}, as an array, of a query's market, as JSON. */
function candleJsonOf(query: CandleQuery, row: unknown[]): CandleJson {
  return {
    source: query.source,
    product: query.product,
    symbol: row[0] as string,
    quote: row[1] as string,
    interval: query.interval,
    window_start: isoAnswer(row[2]),
    window_end: isoAnswer(row[3]),
    open: row[4] as number,
    high: row[5] as number,
    low: row[6] as number,
    close: row[7] as number,
    samples: row[8] as number,
    trades: row[9] as number,
    volume: row[10] as number | null,
    buy_volume: row[11] as number | null,
    sell_volume: row[12] as number | null,
    vwap: row[13] as number | null,
    first_event: isoAnswer(row[14]),
    last_event: isoAnswer(row[15]),
    closed: row[16] === 1,
    revision: row[17] as number,
  };
}

/**
 * The candle store on SQLite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteCandleStore } from "./sqlite.ts";
 * const store = SqliteCandleStore.open(":memory:");
 * await store.write({
 *   states: [], candles: [], publish: [],
 *   latest: [{ source: "coingecko", product: "BTC-USD", symbol: "BTC", priceUsd: 45234.56,
 *     volume24h: null, marketCap: null, priceChange24h: 2.34,
 *     eventTime: Date.UTC(2025, 10, 12, 10, 30) }],
 * });
 * const [latest] = await store.latest({ source: "coingecko", product: "BTC-USD" });
 * assert.equal(latest?.priceUsd, 45234.56);
 * await store.close();
 * ```
 */
export class SqliteCandleStore implements CandleStore {
  /** `sqlite:PATH`. */
  readonly description: string;
  #db: DatabaseSync;
  #path: string;
  #busyTimeoutMs: number;
  #statements: Statements;
  /** Applies the writes of a database file on a thread of its own; started at the first write. */
  #writer: SqliteWriter | null = null;

  private constructor(db: DatabaseSync, path: string, busyTimeoutMs: number) {
    this.#db = db;
    this.#statements = statementCache(db);
    this.#path = path;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.description = `sqlite:${path}`;
  }

  /**
   * Opens (creating it and its folder when missing) and migrates a database file.
   *
   * @param path The file, or `:memory:` for a database that lives as long as the store.
   * @param options The busy timeout.
   * @returns The store.
   * @throws {StoreUnavailableError} When the file cannot be opened or is locked for longer than
   * the busy timeout.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteCandleStore {
    const { busyTimeoutMs = 5_000 } = options;
    let db: DatabaseSync | null = null;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new DatabaseSync(path);
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
      if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      migrateSqlite(db);
      return new SqliteCandleStore(db, path, busyTimeoutMs);
    } catch (error) {
      db?.close();
      throw new StoreUnavailableError(
        `Cannot open the SQLite store ${path}: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
  }

  /**
   * Applies a write in one transaction.
   *
   * @param batch The states, candles, latest prices and keys to queue.
   * @returns The markets (`marketKey`) whose states were stale (nothing of theirs was written).
   */
  write(batch: StoreWrite): Promise<string[]> {
    if (this.#path === ":memory:") {
      return this.#run(() =>
        applyWrite(this.#db, this.#statements, planWrite(batch), isoTime(Date.now()))
      );
    }
    return this.#run(() => planWrite(batch)).then((plan) =>
      this.#onWriter((writer) => writer.write(plan, isoTime(Date.now())))
    );
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
    return this.#run(() => {
      const { state, epoch } = toClaim(
        this.#statement("claim", CLAIM).get(marketKey(market), isoTime(Date.now()))!,
        isoText,
      );
      if (state === null) return { state, epoch, candles: [] };
      const after = timeBound("candles", "the horizon", state.maxEvent - horizonMs);
      const rows = this.#statement(
        "load",
        `SELECT ${CANDLE_COLUMNS} FROM candles
         WHERE source = ? AND product = ? AND window_end > ?
         ORDER BY window_start, "interval"`,
      ).all(market.source, market.product, after);
      return { state, epoch, candles: rows.map((row) => toCandle(row, isoText)) };
    });
  }

  /**
   * Candles of one market and interval: the latest `limit` of those in `[from, to)`, ascending.
   *
   * @param query The market, interval, range and limit.
   * @returns The candles, ascending by `windowStart`.
   */
  candles(query: CandleQuery): Promise<Candle[]> {
    return this.#run(() => {
      const rows = this.#latestCandles("candles", CANDLE_COLUMNS, query)
        .all(...candleArgs(query));
      const candles = new Array<Candle>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        candles[i] = toCandle(rows[rows.length - 1 - i]!, isoText);
      }
      return candles;
    });
  }

  /**
   * The candles {@linkcode SqliteCandleStore.candles} gives, as their JSON (`candleJson`), for
   * the HTTP API: a time is answered as the text stored, which is the text `candleJson` writes,
   * rather than read into a number and written back.
   *
   * @param query The market, interval, range and limit.
   * @returns The candles' JSON, ascending by `window_start`.
   */
  candlesJson(query: CandleQuery): Promise<CandleJson[]> {
    return this.#run(() => {
      const rows = this.#latestCandles("candles-json", CANDLE_JSON_COLUMNS, query, returnArrays)
        .all(...candleArgs(query)) as unknown as unknown[][];
      const candles = new Array<CandleJson>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        candles[i] = candleJsonOf(query, rows[rows.length - 1 - i]!);
      }
      return candles;
    });
  }

  /**
   * Latest prices.
   *
   * @param market One market, or every market when omitted.
   * @returns The prices, by source and product.
   */
  latest(market?: Market): Promise<LatestPrice[]> {
    return this.#run(() => {
      const select = `SELECT ${LATEST_COLUMNS} FROM latest_prices`;
      const rows = market === undefined
        ? this.#statement("latest-all", `${select} ORDER BY source, product`).all()
        : this.#statement("latest-one", `${select} WHERE source = ? AND product = ?`)
          .all(market.source, market.product);
      return rows.map((row) => toLatest(row, isoText));
    });
  }

  /**
   * The latest prices {@linkcode SqliteCandleStore.latest} gives, as their JSON
   * (`latestPriceJson`), for the HTTP API: the event time is answered as the text stored.
   *
   * @param market One market, or every market when omitted.
   * @returns The prices' JSON, by source and product.
   */
  latestJson(market?: Market): Promise<LatestPriceJson[]> {
    return this.#run(() => {
      const rows = (market === undefined
        ? this.#statement("latest-all-json", LATEST_ALL_JSON, returnArrays).all()
        : this.#statement("latest-one-json", LATEST_ONE_JSON, returnArrays)
          .all(market.source, market.product)) as unknown as unknown[][];
      const prices = new Array<LatestPriceJson>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        prices[i] = {
          source: row[0] as Source,
          product: row[1] as string,
          symbol: row[2] as string,
          quote: productParts(row[1] as string)?.quote ?? "",
          price_usd: row[3] as number,
          volume_24h: row[4] as number | null,
          market_cap: row[5] as number | null,
          price_change_24h: row[6] as number | null,
          event_time: isoAnswer(row[7]),
        };
      }
      return prices;
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
    if (this.#path === ":memory:") {
      return this.#run(() => ackCandles(this.#db, this.#statements, candles));
    }
    return this.#run(() => undefined).then(() =>
      this.#onWriter((writer) => writer.ackCandles(candles))
    );
  }

  /**
   * The markets known (by a latest price or a candle), with their latest price when there is
   * one and the intervals they have candles of.
   *
   * @returns The markets, by source then product.
   */
  markets(): Promise<KnownMarket[]> {
    return this.#run(() =>
      toKnownMarkets(
        this.#statement(
          "markets-latest",
          "SELECT source, product, symbol, quote, price_usd, event_time FROM latest_prices",
        ).all(),
        this.#statement("markets-series", SERIES).all(),
        isoText,
      )
    );
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
    return this.#run(() => {
      alerts.forEach(checkAlert);
      const insert = this.#statement(
        "alert",
        `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING kind`,
      );
      const queue = this.#statement(
        "alert-outbox-queue",
        `INSERT INTO alert_outbox (source, product, "interval", window_start, kind, alert)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      const done = this.#statement("unqueue alert_queue", unqueueCandles("alert_queue"));
      const inserted: Alert[] = [];
      transaction(this.#db, () => {
        for (const a of alerts) {
          const windowStart = isoTime(a.windowStart);
          const row = insert.get(
            a.source,
            a.product,
            a.symbol,
            a.interval,
            windowStart,
            a.kind,
            a.direction,
            a.changePct,
            a.zscore,
            a.price,
            isoTime(a.createdAt),
          );
          if (row === undefined) continue;
          inserted.push(a);
          queue.run(a.source, a.product, a.interval, windowStart, a.kind, JSON.stringify(a));
        }
        for (const c of examined) {
          done.run(c.source, c.product, c.interval, isoTime(c.windowStart), c.revision);
        }
      });
      return inserted;
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
    return this.#run(() => {
      const remove = this.#statement(
        "alerts-published",
        `DELETE FROM alert_outbox WHERE source = ? AND product = ? AND "interval" = ?
           AND window_start = ? AND kind = ?`,
      );
      transaction(this.#db, () => {
        for (const a of alerts) {
          remove.run(a.source, a.product, a.interval, isoTime(a.windowStart), a.kind);
        }
      }, false);
    });
  }

  /**
   * Alerts, newest first.
   *
   * @param query The symbol, source and product, the earliest creation time and the limit.
   * @returns The alerts.
   */
  alerts(query: AlertQuery): Promise<Alert[]> {
    return this.#run(() => {
      const args: (string | number)[] = [];
      const where: string[] = [];
      for (const column of ["symbol", "source", "product"] as const) {
        const value = query[column];
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        args.push(value);
      }
      if (query.since !== undefined) {
        where.push("created_at >= ?");
        args.push(timeBound("alerts", "since", query.since));
      }
      args.push(checkLimit(query.limit));
      const filter = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
      return this.#statement(
        `alerts${filter}`,
        `SELECT ${ALERT_COLUMNS} FROM alerts${filter}
         ORDER BY created_at DESC, window_start DESC, source, product, "interval", kind
         LIMIT ?`,
      ).all(...args).map((row) => toAlert(row, isoText));
    });
  }

  /**
   * Checks that the database answers.
   *
   * @returns Resolves when it does.
   */
  ping(): Promise<void> {
    return this.#run(() => {
      this.#statement("ping", "SELECT 1").get();
    });
  }

  /**
   * Closes the database; closing twice is harmless.
   *
   * @returns Resolves once closed.
   */
  async close(): Promise<void> {
    const writer = this.#writer;
    this.#writer = null;
    await writer?.close();
    if (!this.#db.isOpen) return;
    this.#db.close();
  }

  /** Reads a queue's oldest `limit` rows, each through `read`. */
  #peek<T>(
    table: "candle_outbox" | "alert_queue" | "alert_outbox",
    column: "candle" | "alert",
    limit: number,
    read: (row: Row) => T,
  ): Promise<T[]> {
    return this.#run(() =>
      this.#statement(`peek ${table}`, `SELECT ${column} FROM ${table} ORDER BY seq LIMIT ?`)
        .all(checkLimit(limit)).map(read)
    );
  }

  /**
   * The statement reading columns of a market's latest candles of an interval, newest first,
   * through the primary key (no sort), in the range of `query` (its arguments are
   * `candleArgs(query)`).
   */
  #latestCandles(
    name: string,
    columns: string,
    query: CandleQuery,
    setUp?: (statement: StatementSync) => void,
  ): StatementSync {
    const range = (query.from === undefined ? "" : " AND window_start >= ?") +
      (query.to === undefined ? "" : " AND window_start < ?");
    return this.#statement(
      `${name}${range}`,
      `SELECT ${columns} FROM candles
       WHERE source = ? AND product = ? AND "interval" = ?${range}
       ORDER BY window_start DESC LIMIT ?`,
      setUp,
    );
  }

  #statement(
    name: string,
    sql: string,
    setUp?: (statement: StatementSync) => void,
  ): StatementSync {
    return this.#statements(name, sql, setUp);
  }

  /**
   * Runs an operation on the writer's thread (started on first use), its failure read as a
   * failure of the database in this thread is.
   */
  async #onWriter<T>(operation: (writer: SqliteWriter) => Promise<T>): Promise<T> {
    if (!this.#db.isOpen) throw new Error(`The store ${this.description} is closed`);
    this.#writer ??= new SqliteWriter(this.#path, this.#busyTimeoutMs);
    try {
      return await operation(this.#writer);
    } catch (error) {
      throw this.#storeError(error);
    }
  }

  /**
   * Runs a body against the database: a locked or busy database becomes a
   * {@linkcode StoreUnavailableError}, a refused value, type or constraint a
   * {@linkcode StoreRefusedError} (see `store_error.ts`).
   */
  #run<T>(body: () => T): Promise<T> {
    return settle(() => {
      if (!this.#db.isOpen) throw new Error(`The store ${this.description} is closed`);
      try {
        return body();
      } catch (error) {
        throw this.#storeError(error);
      }
    });
  }

  /** What an error of the database is to the store's callers (see `store_error.ts`). */
  #storeError(error: unknown): unknown {
    if (error instanceof StoreRefusedError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const kind = sqliteErrorKind(message);
    if (kind === "transient") {
      return new StoreUnavailableError(`The SQLite store ${this.description}: ${message}`, {
        cause: error,
      });
    }
    if (kind === "refused") {
      return new StoreRefusedError(`SQLite refused it: ${message}`, { cause: error });
    }
    return error;
  }
}

const CLAIM = `
  INSERT INTO candle_state (market, max_event, seen, epoch, updated_at)
  VALUES (?, NULL, '', 1, ?)
  ON CONFLICT (market) DO UPDATE SET epoch = candle_state.epoch + 1
  RETURNING market, max_event, seen, epoch`;

/**
 * The latest prices as `latestJson` reads them: the quote is the product's, as
 * `latestPriceJson` gives it.
 */
const LATEST_JSON = `
  SELECT source, product, symbol, price_usd, volume_24h, market_cap, price_change_24h, event_time
  FROM latest_prices`;
const LATEST_ONE_JSON = `${LATEST_JSON} WHERE source = ? AND product = ?`;
const LATEST_ALL_JSON = `${LATEST_JSON} ORDER BY source, product`;

/**
 * Each `(source, product, interval)` of the candles once, with the market's symbol and quote, by
 * skipping through the primary key's index (one probe per series, however many candles).
 */
const SERIES = `
  WITH RECURSIVE series(source, product, symbol, quote, "interval") AS (
    SELECT * FROM (
      SELECT source, product, symbol, quote, "interval" FROM candles
      ORDER BY source, product, "interval" LIMIT 1
    )
    UNION ALL
    SELECT c.source, c.product, c.symbol, c.quote, c."interval"
    FROM series s JOIN candles c ON c.rowid = coalesce(
      (SELECT rowid FROM candles WHERE source = s.source AND product = s.product
         AND "interval" > s."interval" ORDER BY source, product, "interval" LIMIT 1),
      (SELECT rowid FROM candles WHERE source = s.source AND product > s.product
         ORDER BY source, product, "interval" LIMIT 1),
      (SELECT rowid FROM candles WHERE source > s.source
         ORDER BY source, product, "interval" LIMIT 1)
    )
  )
  SELECT source, product, symbol, quote, "interval" FROM series`;
