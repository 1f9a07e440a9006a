/**
 * What a process gets back when it takes a symbol over: the symbol's stored state and the
 * candles that may still change.
 *
 * @module
 */
import type { Candle } from "./candle.ts";
import type { SymbolState } from "./symbol_state.ts";

/** A symbol's state as stored, and its candles that may still change. */
export interface LoadedSymbol {
  /** The state, or null for a symbol never written. */
  state: SymbolState | null;
  /** The epoch now claimed for this process: one above the stored one (1 for a new symbol). */
  epoch: number;
  /** Its candles whose `window_end` is after `state.maxEvent - horizonMs`, every interval. */
  candles: Candle[];
}
