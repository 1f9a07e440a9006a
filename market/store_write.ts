/**
 * What the candle book hands over to be stored in one atomic write (see `CandleBook.flush`).
 *
 * @module
 */
import type { Candle } from "./candle.ts";
import type { LatestPrice } from "./latest_price.ts";
import { marketKey } from "./market.ts";
import type { MarketState } from "./market_state.ts";

/**
 * One atomic write: everything in it is applied in one transaction, or nothing is. A key given
 * twice counts once: the last candle, state and queued key given, the latest price with the
 * latest event time. A value a store cannot keep (not finite, a time outside 1970-9999, an
 * epoch that is not a whole number from 1) rejects the whole write with a `RangeError`.
 */
export interface StoreWrite {
  /**
   * Market states. A state whose `epoch` is below the stored one is stale: it is not applied, and
   * neither are that market's candles or latest price in this write.
   */
  states: MarketState[];
  /**
   * Candles to upsert by `(source, product, interval, window_start)`; each one's market has a
   * state above (a candle whose market has none is applied, there being nothing to guard it).
   */
  candles: Candle[];
  /**
   * Latest prices to upsert by `(source, product)` (a write with an older `eventTime` than stored
   * is ignored).
   */
  latest: LatestPrice[];
  /**
   * Closed candles and revisions to put on the candle topic, as they are now: queued in the
   * outbox, each revision once.
   */
  publish: Candle[];
  /**
   * Closed candles and revisions for the Alerter to examine, as they are now: queued on the alert
   * queue in the same transaction (each revision once), so that none is missed when the process
   * stops between the write and the examination. Left out (or empty) when no Alerter runs.
   */
  examine?: Candle[];
}

/**
 * The markets a write holds changes of, in the order they first appear.
 *
 * @param write The write.
 * @returns Each market's key (`marketKey`) once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { marketsOfWrite } from "./store_write.ts";
 * assert.deepEqual(
 *   marketsOfWrite({ states: [], candles: [], publish: [], latest: [
 *     { source: "coinbase", product: "ETH-USD", symbol: "ETH", priceUsd: 1, volume24h: null,
 *       marketCap: null, priceChange24h: null, eventTime: 0 },
 *   ] }),
 *   ["coinbase:ETH-USD"],
 * );
 * ```
 */
export function marketsOfWrite(write: StoreWrite): string[] {
  const markets = new Set<string>();
  for (const state of write.states) markets.add(state.market);
  for (const candle of write.candles) markets.add(marketKey(candle));
  for (const price of write.latest) markets.add(marketKey(price));
  for (const candle of write.publish) markets.add(marketKey(candle));
  for (const candle of write.examine ?? []) markets.add(marketKey(candle));
  return [...markets];
}

/**
 * The part of a write that changes the given markets: their states, candles, latest prices and
 * queued candles, nothing of any other market. Each market's part stands alone, so a write may be
 * split by market and its parts applied one at a time.
 *
 * @param write The write.
 * @param markets The markets kept, by key.
 * @returns A write of those markets' changes only.
 */
export function partOfWrite(write: StoreWrite, markets: ReadonlySet<string>): StoreWrite {
  const mine = <T extends { source: string; product: string }>(items: readonly T[]) =>
    items.filter((item) => markets.has(`${item.source}:${item.product}`));
  const part: StoreWrite = {
    states: write.states.filter((state) => markets.has(state.market)),
    candles: mine(write.candles),
    latest: mine(write.latest),
    publish: mine(write.publish),
  };
  if (write.examine !== undefined) part.examine = mine(write.examine);
  return part;
}
