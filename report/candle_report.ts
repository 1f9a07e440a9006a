/**
 * The counts of the candle pipeline, and its summary on stop.
 *
 * @module
 */
import type { BookCounts } from "../market/candle_book.ts";

/** Counts of the candle pipeline, kept across restarts of its actors. */
export class CandleReport {
  /** Records read from the topics. */
  read = 0;
  /** Records that were not a price or trade message; skipped and committed. */
  bad = 0;
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
  /** Writes left to a process that took the symbol over. */
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
      `  Records read: ${this.read} (bad, skipped: ${this.bad})`,
      `  Observations counted: ${book.added}, repeats: ${book.repeats}, late and dropped: ${book.late}`,
      `  Candles closed: ${book.closed}, revised: ${book.revisions}`,
      `  Store writes: ${this.writes} (${this.candlesWritten} candle rows), errors retried: ${this.storeErrors}`,
      `  Published to the candle topic: ${this.published}`,
    ];
  }
}
