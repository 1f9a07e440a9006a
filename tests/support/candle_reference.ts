/**
 * An independent computation of candles, written plainly from the definitions of docs/candles.md (no
 * watermark, no state, and none of the aggregation's own code: its window lengths are written out
 * here): for the observations that are all on time, the candles a correct aggregator must give.
 *
 * @module
 */
import type { Candle, Interval } from "../../market/candle.ts";
import type { Observation } from "../../market/observation.ts";

/** Each interval's length, ms, as docs/candles.md gives it. */
const LENGTH_MS: Readonly<Record<Interval, number>> = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
  "1d": 86_400_000,
};

/** A candle as the reference gives it: every field but `closed` and `revision`. */
export type ReferenceCandle = Omit<Candle, "closed" | "revision">;

/**
 * The key the reference files a candle under: `{source}:{product}|{interval}|{windowStart}`.
 *
 * @param candle A candle, or the reference's.
 * @returns The key.
 */
export function referenceKey(
  candle: Pick<Candle, "source" | "product" | "interval" | "windowStart">,
): string {
  return `${candle.source}:${candle.product}|${candle.interval}|${candle.windowStart}`;
}

/**
 * Candles of the distinct observations (the first of each identity within its market counts),
 * per market (source and product), interval and window; ties in event time go by arrival (open:
 * the first, close: the last). A trade's size counts as buy volume when its taker bought, as sell
 * volume when its taker sold; the volume is the two together.
 *
 * @param observations In arrival order.
 * @param intervals The intervals.
 * @returns Candles keyed by {@linkcode referenceKey}.
 */
export function referenceCandles(
  observations: readonly Observation[],
  intervals: readonly Interval[],
): Map<string, ReferenceCandle> {
  const seen = new Set<string>();
  const distinct = observations.filter((o) => {
    const id = `${o.source}:${o.product}|${o.id}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const out = new Map<string, ReferenceCandle>();
  for (const interval of intervals) {
    const size = LENGTH_MS[interval];
    const groups = new Map<string, Observation[]>();
    for (const o of distinct) {
      const start = Math.floor(o.time / size) * size;
      const k = referenceKey({ ...o, interval, windowStart: start });
      groups.set(k, [...(groups.get(k) ?? []), o]);
    }
    for (const [k, group] of groups) {
      const { source, product } = group[0]!;
      const dash = product.indexOf("-");
      const times = group.map((o) => o.time);
      const first = Math.min(...times);
      const last = Math.max(...times);
      const trades = group.filter((o) => o.size !== null);
      const sum = (items: Observation[]) => items.reduce((s, o) => s + o.size!, 0);
      const buyVolume = trades.length === 0 ? null : sum(trades.filter((o) => o.taker === "buy"));
      const sellVolume = trades.length === 0 ? null : sum(trades.filter((o) => o.taker === "sell"));
      const volume = buyVolume === null ? null : buyVolume + sellVolume!;
      const start = Math.floor(first / size) * size;
      out.set(k, {
        source,
        product,
        symbol: product.slice(0, dash),
        quote: product.slice(dash + 1),
        interval,
        windowStart: start,
        windowEnd: start + size,
        open: group.find((o) => o.time === first)!.price,
        close: group.findLast((o) => o.time === last)!.price,
        high: Math.max(...group.map((o) => o.price)),
        low: Math.min(...group.map((o) => o.price)),
        samples: group.length,
        trades: trades.length === 0 ? group.length : trades.length,
        volume,
        buyVolume,
        sellVolume,
        vwap: volume === null ? null : trades.reduce((s, o) => s + o.price * o.size!, 0) / volume,
        firstEvent: first,
        lastEvent: last,
      });
    }
  }
  return out;
}
