/**
 * What the aggregation keeps of a market between runs: the store holds it (its internal table
 * `candle_state`) and hands it back when a process takes the market over.
 *
 * @module
 */

/**
 * A market's state between runs: enough to tell a repeated observation from a new one after a
 * restart, where its watermark stood, and which process owns it.
 */
export interface MarketState {
  /** The market's key, `{source}:{product}` (`marketKey`). */
  market: string;
  /** The latest event time seen for the market (its watermark plus the out-of-orderness). */
  maxEvent: number;
  /** The identities of observations still able to change a candle, as `SeenSet.encode` wrote them. */
  seen: string;
  /**
   * The owner's epoch: the store's `loadMarket` raises it by one for each process that takes the
   * market over (after a restart or a rebalance). A write with an epoch below the stored one
   * comes from a process that lost the market: it is stale.
   */
  epoch: number;
}
