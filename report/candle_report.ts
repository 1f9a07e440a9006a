/**
 * The counts of the candle pipeline, and its summary on stop.
 *
 * @module
 */
import type { BookCounts } from "../market/candle_book.ts";
import { WriteHealth } from "./store_health.ts";

/** Counts of the candle pipeline, kept across restarts of its actors. */
export class CandleReport {
  /** Records read from the topics. */
  read = 0;
  /**
   * Records refused when read (not a valid price or trade; an overflowing one; a market the
   * store would not take over): dead-lettered, and committed once their dead letters are written.
   */
  bad = 0;
  /** Markets the store refused for good to take over (each refusal dead-letters one record). */
  claimsRefused = 0;
  /** Market writes the store refused for good (a value, a type, a constraint): dead-lettered. */
  writesRefused = 0;
  /** Whether the store takes writes: how long they have been failing, for `/readyz`. */
  readonly storeHealth = new WriteHealth();
  /** Writes that reached the store. */
  writes = 0;
  /** Candle rows written (open and closed, every revision). */
  candlesWritten = 0;
  /** Failed store operations (each retried). */
  storeErrors = 0;
  /** Candles put on the candle topic. */
  published = 0;
  /** Failed sends to the candle topic (each retried). */
  publishErrors = 0;
  /** Writes left to a process that took the market over. */
  stale = 0;

  /**
   * The closing lines.
   *
   * @param book The aggregation's counts.
   * @returns The lines.
   */
  summary(book: BookCounts): string[] {
    return [
      "Candles summary:",
      `  Records read: ${this.read} (refused when read: ${this.bad})`,
      `  Observations counted: ${book.added}, repeats: ${book.repeats}, late and dropped: ${book.late}`,
      `  Candles closed: ${book.closed}, revised: ${book.revisions}`,
      `  Store writes: ${this.writes} (${this.candlesWritten} candle rows), errors retried: ${this.storeErrors}${
        this.writesRefused > 0 ? `, market writes refused: ${this.writesRefused}` : ""
      }`,
      `  Published to the candle topic: ${this.published}`,
    ];
  }
}
