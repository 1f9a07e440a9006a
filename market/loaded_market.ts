/**
 * What a process gets back when it takes a market over: the market's stored state and the
 * candles that may still change.
 *
 * @module
 */
import type { Candle } from "./candle.ts";
import type { MarketState } from "./market_state.ts";

/** A market's state as stored, and its candles that may still change. */
export interface LoadedMarket {
  /** The state, or null for a market never written. */
  state: MarketState | null;
  /** The epoch now claimed for this process: one above the stored one (1 for a new market). */
  epoch: number;
  /** Its candles whose `window_end` is after `state.maxEvent - horizonMs`, every interval. */
  candles: Candle[];
}
