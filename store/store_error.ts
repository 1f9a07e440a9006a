/**
 * The error a store throws when the database cannot be reached or is busy: the condition a
 * caller retries with backoff (docs/candles.md#where-candles-go: a store that is down is
 * retried, nothing is skipped).
 *
 * @module
 */

/** The database cannot be reached, or is too busy to answer now; trying again later may work. */
export class StoreUnavailableError extends Error {
  /**
   * @param message One line naming the store (never its password) and the reason.
   * @param options The underlying cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}
