/**
 * What the candle book hands over to be stored in one atomic write (see `CandleBook.flush`).
 *
 * @module
 */
import type { Candle } from "./candle.ts";
import type { LatestPrice } from "./latest_price.ts";
import type { SymbolState } from "./symbol_state.ts";

/**
 * One atomic write: everything in it is applied in one transaction, or nothing is. A key given
 * twice counts once: the last candle, state and queued key given, the latest price with the
 * latest event time. A value a store cannot keep (not finite, a time outside 1970-9999, an
 * epoch that is not a whole number from 1) rejects the whole write with a `RangeError`.
 */
export interface StoreWrite {
  /**
   * Symbol states. A state whose `epoch` is below the stored one is stale: it is not applied, and
   * neither are that symbol's candles or latest price in this write.
   */
  states: SymbolState[];
  /**
   * Candles to upsert by `(symbol, interval, window_start)`; each one's symbol has a state above
   * (a candle whose symbol has none is applied, there being nothing to guard it).
   */
  candles: Candle[];
  /** Latest prices to upsert by symbol (a write with an older `eventTime` than stored is ignored). */
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
 * The symbols a write holds changes of, in the order they first appear.
 *
 * @param write The write.
 * @returns Each symbol once.
 *
 * @example
 * ```ts
 * import { symbolsOfWrite } from "./store_write.ts";
 * console.log(symbolsOfWrite({ states: [], candles: [], publish: [], latest: [
 *   { symbol: "ETH", priceUsd: 1, volume24h: null, marketCap: null, priceChange24h: null, eventTime: 0 },
 * ] })); // ["ETH"]
 * ```
 */
export function symbolsOfWrite(write: StoreWrite): string[] {
  const symbols = new Set<string>();
  for (const state of write.states) symbols.add(state.symbol);
  for (const candle of write.candles) symbols.add(candle.symbol);
  for (const price of write.latest) symbols.add(price.symbol);
  for (const candle of write.publish) symbols.add(candle.symbol);
  for (const candle of write.examine ?? []) symbols.add(candle.symbol);
  return [...symbols];
}

/**
 * The part of a write that changes the given symbols: their states, candles, latest prices and
 * queued candles, nothing of any other symbol. Each symbol's part stands alone, so a write may be
 * split by symbol and its parts applied one at a time.
 *
 * @param write The write.
 * @param symbols The symbols kept.
 * @returns A write of those symbols' changes only.
 */
export function partOfWrite(write: StoreWrite, symbols: ReadonlySet<string>): StoreWrite {
  const mine = <T extends { symbol: string }>(items: readonly T[]) =>
    items.filter((item) => symbols.has(item.symbol));
  const part: StoreWrite = {
    states: mine(write.states),
    candles: mine(write.candles),
    latest: mine(write.latest),
    publish: mine(write.publish),
  };
  if (write.examine !== undefined) part.examine = mine(write.examine);
  return part;
}
