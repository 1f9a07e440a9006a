/**
 * An independent computation of candles, written plainly from the definitions of docs/candles.md (no
 * watermark, no state): for the observations that are all on time, the candles a correct
 * aggregator must give.
 *
 * @module
 */
import { type Candle, type Interval, intervalMs } from "../../market/candle.ts";
import type { Observation } from "../../market/observation.ts";

/**
 * Candles of the distinct observations (the first of each identity counts), per symbol, interval
 * and window; ties in event time go by arrival (open: the first, close: the last).
 *
 * @param observations In arrival order.
 * @param intervals The intervals.
 * @returns Candles keyed `symbol|interval|windowStart`, every field but `closed` and `revision`.
 */
export function referenceCandles(
  observations: readonly Observation[],
  intervals: readonly Interval[],
): Map<string, Omit<Candle, "closed" | "revision">> {
  const seen = new Set<string>();
  const distinct = observations.filter((o) => {
    const id = `${o.symbol}|${o.id}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const out = new Map<string, Omit<Candle, "closed" | "revision">>();
  for (const interval of intervals) {
    const size = intervalMs(interval);
    const groups = new Map<string, Observation[]>();
    for (const o of distinct) {
      const start = Math.floor(o.time / size) * size;
      const k = `${o.symbol}|${interval}|${start}`;
      groups.set(k, [...(groups.get(k) ?? []), o]);
    }
    for (const [k, group] of groups) {
      const times = group.map((o) => o.time);
      const first = Math.min(...times);
      const last = Math.max(...times);
      const trades = group.filter((o) => o.size !== null);
      const volume = trades.length === 0 ? null : trades.reduce((s, o) => s + o.size!, 0);
      const start = Math.floor(first / size) * size;
      out.set(k, {
        symbol: group[0]!.symbol,
        interval,
        windowStart: start,
        windowEnd: start + size,
        open: group.find((o) => o.time === first)!.price,
        close: group.findLast((o) => o.time === last)!.price,
        high: Math.max(...group.map((o) => o.price)),
        low: Math.min(...group.map((o) => o.price)),
        samples: group.length,
        volume,
        vwap: volume === null ? null : trades.reduce((s, o) => s + o.price * o.size!, 0) / volume,
        firstEvent: first,
        lastEvent: last,
      });
    }
  }
  return out;
}
