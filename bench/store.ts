/**
 * Store throughput: candles upserted per second through a {@linkcode CandleStore}; for
 * PostgreSQL, the ceiling of loading the same rows with `COPY … FROM STDIN` into a table of the
 * same shape (keys and index included); for SQLite, a bare `INSERT … ON CONFLICT` loop of the same
 * rows in one transaction with `node:sqlite`. The ceilings read the rows back from the store's own
 * table, so they take whatever columns it has. Bench code only; the product never imports it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { DatabaseSync } from "node:sqlite";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import type { CandleStore } from "../store/candle_store.ts";

/** What the store writes at once, and its parts, as its interface has them. */
type Write = Parameters<CandleStore["write"]>[0];
type BenchCandle = Write["candles"][number];
type BenchState = Write["states"][number];

/** Candles in one write, as the candle sink batches them. */
const BATCH = 5_000;
const SYMBOLS = ["BTC", "ETH", "SOL", "ADA", "XRP", "DOGE", "DOT", "LTC"];
const BASE = Date.UTC(2025, 0, 1);
/** Where the next {@linkcode benchUpserts} starts its windows, so each call upserts new keys. */
let nextBase = BASE;

/**
 * Bench candles: 1m candles of a few symbols, distinct keys, plausible values.
 *
 * @param rows How many.
 * @param baseMs The first window (a fresh base gives fresh keys).
 * @returns The candles.
 */
export function benchCandles(rows: number, baseMs: number = BASE): BenchCandle[] {
  return Array.from({ length: rows }, (_, i) => {
    const windowStart = baseMs + Math.floor(i / SYMBOLS.length) * 60_000;
    const open = 100 + (i % 997) / 7;
    const symbol = SYMBOLS[i % SYMBOLS.length]!;
    const trade = i % 2 === 1;
    return {
      // Odd rows are a trade market's candles (order flow), even rows a price market's.
      source: trade ? "coinbase" : "coingecko",
      product: `${symbol}-USD`,
      symbol,
      quote: "USD",
      interval: "1m",
      windowStart,
      windowEnd: windowStart + 60_000,
      open,
      high: open + 1.25,
      low: open - 0.75,
      close: open + 0.5,
      samples: 1 + (i % 12),
      trades: 1 + (i % 12),
      volume: trade ? 0.001 * i : null,
      buyVolume: trade ? 0.0004 * i : null,
      sellVolume: trade ? 0.0006 * i : null,
      vwap: trade ? open + 0.1 : null,
      firstEvent: windowStart + 1_234,
      lastEvent: windowStart + 58_765,
      closed: true,
      revision: 0,
    };
  });
}

/**
 * Upserts `rows` new candles in writes of 5,000 (each with its symbols' states), timed. Each
 * call takes windows after the previous call's; run it on a fresh database for inserts.
 *
 * @param store The store, migrated.
 * @param rows How many candles.
 * @returns Candles per second.
 */
export async function benchUpserts(store: CandleStore, rows: number): Promise<number> {
  const candles = benchCandles(rows, nextBase);
  nextBase += Math.ceil(rows / SYMBOLS.length) * 60_000;
  const started = performance.now();
  for (let i = 0; i < candles.length; i += BATCH) {
    const batch = candles.slice(i, i + BATCH);
    const states: BenchState[] = SYMBOLS.flatMap((symbol) => [
      `coingecko:${symbol}-USD`,
      `coinbase:${symbol}-USD`,
    ]).map((market) => ({
      market,
      maxEvent: batch.at(-1)!.lastEvent,
      seen: "",
      epoch: 1,
    }));
    await store.write({ states, candles: batch, latest: [], publish: [] });
  }
  return rows / ((performance.now() - started) / 1000);
}

/**
 * Loads `rows` of the store's candle rows with `COPY … FROM STDIN` into a new table shaped like
 * `candles` (its primary key and index too), then drops it: what PostgreSQL can take at best. The
 * rows are read out first with `COPY … TO STDOUT`, untimed.
 *
 * @param url The database, where the store has written at least `rows` candles.
 * @param rows How many candles.
 * @returns Candles per second.
 */
export async function copyCeiling(url: string, rows: number): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const table = `candles_copy_${Date.now().toString(36)}`;
  try {
    await sql.unsafe(`CREATE TABLE ${table} (LIKE candles INCLUDING ALL)`);
    // Read out on a connection of its own: the stream ends before its query lets go of it.
    const reader = postgres(url, { max: 1, onnotice: () => {} });
    const chunks: Buffer[] = [];
    try {
      const source = await reader.unsafe(`COPY (SELECT * FROM candles LIMIT ${rows}) TO STDOUT`)
        .readable();
      for await (const chunk of source) chunks.push(Buffer.from(chunk));
    } finally {
      await reader.end();
    }
    const copied = chunks.reduce((n, c) => n + c.reduce((k, b) => k + (b === 10 ? 1 : 0), 0), 0);
    if (copied < rows) throw new Error(`the store holds ${copied} candles, not ${rows}`);
    const started = performance.now();
    const sink = await sql.unsafe(`COPY ${table} FROM STDIN`).writable();
    await pipeline(Readable.from(chunks), sink);
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await sql.unsafe(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.end();
  }
}

/**
 * A bare `INSERT … ON CONFLICT (key) DO UPDATE` loop with `node:sqlite`, in one transaction, of
 * the rows the store wrote into its SQLite file, into a new file with the same table and indexes
 * and the store's settings (WAL, `synchronous = FULL`): what SQLite takes at best through the
 * same statement. The first `warm` rows are written first, untimed, as the store's measurement
 * had its warm-up.
 *
 * @param path The store's SQLite file, closed.
 * @param warm Rows of the warm-up (the first written).
 * @returns Candles per second over the rows after them.
 */
export function sqliteBareUpserts(path: string, warm: number): number {
  const from = new DatabaseSync(path, { readOnly: true });
  type Column = { name: string; pk: number };
  let schema: string[];
  let columns: Column[];
  let rows: Record<string, unknown>[];
  try {
    schema = from.prepare(
      "SELECT sql FROM sqlite_master WHERE tbl_name = 'candles' AND sql IS NOT NULL ORDER BY type DESC",
    ).all().map((r) => String(r.sql));
    columns = from.prepare("SELECT name, pk FROM pragma_table_info('candles')").all()
      .map((r) => ({ name: String(r.name), pk: Number(r.pk) }));
    rows = from.prepare("SELECT * FROM candles ORDER BY rowid").all() as Record<string, unknown>[];
  } finally {
    from.close();
  }
  const bare = new DatabaseSync(`${path}.bare`);
  try {
    bare.exec("PRAGMA journal_mode = WAL");
    bare.exec("PRAGMA synchronous = FULL");
    for (const statement of schema) bare.exec(statement);
    const q = (name: string) => `"${name}"`;
    const names = columns.map((c) => c.name);
    const keys = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const upsert = bare.prepare(
      `INSERT INTO candles (${names.map(q).join(", ")}) VALUES (${names.map(() => "?").join(", ")})
       ON CONFLICT (${keys.map(q).join(", ")}) DO UPDATE SET ${
        names.filter((n) => !keys.includes(n)).map((n) => `${q(n)} = excluded.${q(n)}`).join(", ")
      }`,
    );
    const load = (part: Record<string, unknown>[]) => {
      bare.exec("BEGIN");
      for (const row of part) upsert.run(...names.map((n) => row[n] as string | number | null));
      bare.exec("COMMIT");
    };
    load(rows.slice(0, warm));
    const timed = rows.slice(warm);
    const started = performance.now();
    load(timed);
    return timed.length / ((performance.now() - started) / 1000);
  } finally {
    bare.close();
  }
}
