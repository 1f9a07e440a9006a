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
