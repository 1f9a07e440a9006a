/**
 * A store's candle table as a test reads it back after a run: through the store itself, every
 * market it knows and every interval asked for.
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
