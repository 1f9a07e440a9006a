/**
 * Store throughput: candles upserted per second through a {@linkcode CandleStore}, and, for
 * PostgreSQL, the ceiling of loading the same rows with `COPY … FROM STDIN` into a table of the
 * same shape (keys and index included). Bench code only; the product never imports it.
 *
 * @module
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import type { Candle } from "../market/candle.ts";
import type { CandleStore } from "../store/candle_store.ts";
import type { SymbolState } from "../market/symbol_state.ts";

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
export function benchCandles(rows: number, baseMs: number = BASE): Candle[] {
  return Array.from({ length: rows }, (_, i) => {
    const windowStart = baseMs + Math.floor(i / SYMBOLS.length) * 60_000;
    const open = 100 + (i % 997) / 7;
    return {
      symbol: SYMBOLS[i % SYMBOLS.length]!,
      interval: "1m",
      windowStart,
      windowEnd: windowStart + 60_000,
      open,
      high: open + 1.25,
      low: open - 0.75,
      close: open + 0.5,
      samples: 1 + (i % 12),
      volume: i % 2 === 0 ? null : 0.001 * i,
      vwap: i % 2 === 0 ? null : open + 0.1,
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
    const states: SymbolState[] = SYMBOLS.map((symbol) => ({
      symbol,
      maxEvent: batch.at(-1)!.lastEvent,
      seen: "",
      epoch: 1,
    }));
    await store.write({ states, candles: batch, latest: [], publish: [] });
  }
  return rows / ((performance.now() - started) / 1000);
}

const COPY_COLUMNS = `symbol, "interval", window_start, window_end, open, high, low, close,
  samples, volume, vwap, first_event, last_event, closed, revision`;

/** A candle as one line of COPY's text format. */
function copyLine(c: Candle): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const orNull = (value: number | null) => value === null ? "\\N" : String(value);
  return [
    c.symbol,
    c.interval,
    iso(c.windowStart),
    iso(c.windowEnd),
    c.open,
    c.high,
    c.low,
    c.close,
    c.samples,
    orNull(c.volume),
    orNull(c.vwap),
    iso(c.firstEvent),
    iso(c.lastEvent),
    c.closed ? "t" : "f",
    c.revision,
  ].join("\t") + "\n";
}

/**
 * Loads the bench's candles with `COPY … FROM STDIN` into a new table shaped like `candles`
 * (its primary key and index too), then drops it: what PostgreSQL can take at best.
 *
 * @param url The database, where the store has created `candles`.
 * @param rows How many candles.
 * @returns Candles per second.
 */
export async function copyCeiling(url: string, rows: number): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const table = `candles_copy_${Date.now().toString(36)}`;
  try {
    await sql.unsafe(`CREATE TABLE ${table} (LIKE candles INCLUDING ALL)`);
    const candles = benchCandles(rows);
    const started = performance.now();
    const sink = await sql.unsafe(`COPY ${table} (${COPY_COLUMNS}) FROM STDIN`).writable();
    await pipeline(
      Readable.from((function* () {
        for (let i = 0; i < candles.length; i += 1_000) {
          yield candles.slice(i, i + 1_000).map(copyLine).join("");
        }
      })()),
      sink,
    );
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await sql.unsafe(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.end();
  }
}
