/**
 * The consumer's counts, the log line of each bad record, and the summary on stop.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { InRecord } from "../kafka/transport.ts";

const logger = getLogger(["crypto", "consumer"]);

/** The consumer's counts, kept across Printer restarts. */
export class ConsumeReport {
  /** Messages printed. */
  printed = 0;
  /** Valid messages left out by the filter. */
  filtered = 0;
  /** Records that did not match the contract. */
  bad = 0;

  /**
   * A record that does not match the contract: one log line with where it is and why.
   *
   * @param record The record.
   * @param reason What is wrong.
   */
  reportBad(record: InRecord, reason: string): void {
    this.bad++;
    logger.warn("Skipped bad message at partition {partition} offset {offset}: {reason}", {
      partition: record.partition,
      offset: record.offset,
      reason,
    });
  }

  /**
   * The closing lines of a run.
   *
   * @returns The lines.
   */
  summary(): string[] {
    return [
      "",
      "==========================================",
      "Consumer summary",
      "==========================================",
      `Messages printed: ${this.printed}`,
      `Filtered out: ${this.filtered}`,
      `Bad messages skipped: ${this.bad}`,
    ];
  }
}
