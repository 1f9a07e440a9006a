/**
 * The candles a correct aggregator must give for observations that are all on time, keyed the way
 * the candle tests look them up: {@linkcode marketCandles} of `market_reference.ts`, written
 * plainly from docs/candles.md (no watermark, no state, literal window lengths, identities and
 * event times read from the records as written), nothing of the product's code but types.
 *
 * The observations come from the records: {@linkcode priceFromMessage} / {@linkcode priceFromJson}
 * for prices, {@linkcode tradeFromMessage} / {@linkcode tradeFromJson} for trade messages and
 * {@linkcode tradeFromMatch} for the feed's matches.
 *
 * @module
 */
import { marketCandles, type RawObservation, type ReferenceCandle } from "./market_reference.ts";

export {
  priceFromJson,
  priceFromMessage,
  type RawObservation,
  type ReferenceCandle,
  tradeFromJson,
  tradeFromMatch,
  tradeFromMessage,
} from "./market_reference.ts";

/**
 * The key the reference files a candle under: `{source}:{product}|{interval}|{windowStart}`.
 *
 * @param candle A candle, or the reference's.
 * @returns The key.
 */
export function referenceKey(
  candle: { source: string; product: string; interval: string; windowStart: number },
): string {
  return `${candle.source}:${candle.product}|${candle.interval}|${candle.windowStart}`;
}

/**
 * Candles of the distinct observations (the first of each identity within its market counts),
 * per market (source and product), interval and window; ties in event time go by arrival (open:
 * the first, close: the last). A trade's size counts as buy volume when Coinbase's maker side is
 * `sell` (a buyer took the resting order), as sell volume otherwise; the volume is the two
 * together.
 *
 * @param observations In arrival order.
 * @param intervals The intervals.
 * @returns Candles keyed by {@linkcode referenceKey}.
 */
export function referenceCandles(
  observations: readonly RawObservation[],
  intervals: readonly string[],
): Map<string, ReferenceCandle> {
  const out = new Map<string, ReferenceCandle>();
  for (const candle of marketCandles(observations, intervals).values()) {
    out.set(referenceKey(candle), candle);
  }
  return out;
}
