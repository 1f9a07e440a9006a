/**
 * A store's candle table as a test reads it back after a run: through the store itself, every
 * market it knows (or those of some base currencies) and every interval asked for.
 *
 * @module
 */
import type { Candle, Interval } from "../../market/candle.ts";
import { openStore } from "../../store/open_store.ts";

/**
 * A store's candle table, every column but `updated_at`, in key order.
 *
 * @param url The store.
 * @param intervals The intervals to read.
 * @returns The candles.
 */
export async function candleTable(url: string, intervals: readonly Interval[]): Promise<Candle[]> {
  const store = await openStore(url, { timeoutMs: 5_000 });
  try {
    const rows: Candle[] = [];
    for (const { source, product } of await store.markets()) {
      for (const interval of intervals) {
        rows.push(...await store.candles({ source, product, interval, limit: 5_000 }));
      }
    }
    return rows;
  } finally {
    await store.close();
  }
}

/**
 * A store's candle table (every column but `updated_at`), for every market of the base
 * currencies given.
 *
 * @param url The store.
 * @param symbols The base currencies.
 * @param intervals The intervals.
 * @returns The candles.
 */
export async function storedCandles(
  url: string,
  symbols: readonly string[],
  intervals: readonly Interval[],
): Promise<Candle[]> {
  const store = await openStore(url, { timeoutMs: 10_000 });
  try {
    const rows: Candle[] = [];
    const markets = (await store.markets()).filter((m) => symbols.includes(m.symbol));
    for (const { source, product } of markets) {
      for (const interval of intervals) {
        // The latest 5,000 at most come back each time: page backwards.
        const mine: Candle[] = [];
        let before: number | null = null;
        while (true) {
          const page: Candle[] = await store.candles({
            source,
            product,
            interval,
            ...(before === null ? {} : { to: before }),
            limit: 5_000,
          });
          mine.unshift(...page);
          if (page.length < 5_000) break;
          before = page[0]!.windowStart;
        }
        rows.push(...mine);
      }
    }
    return rows;
  } finally {
    await store.close();
  }
}
