/**
 * The Printer: checks each record against the contract, applies the filter, prints, and marks
 * the record handled so its offset may be committed.
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";
import type { Actor } from "../runtime/actor.ts";
import type { CommitTracker } from "./commit_tracker.ts";
import {
  type ConsumeReport,
  formatMessage,
  jsonLine,
  type OutputFormat,
} from "./consume_report.ts";
import { decodePrice } from "./price_schema.ts";

/** What the Printer needs. */
export interface PrinterOptions {
  /** How to print. */
  format: OutputFormat;
  /** Symbols to print (upper case), or null for all. */
  filter: ReadonlySet<string> | null;
  /** Writes console output. */
  print: (text: string) => void;
  /** Counts, kept across restarts. */
  report: ConsumeReport;
  /** Offsets to commit. */
  tracker: CommitTracker;
  /** Stop after this many printed, or null. */
  maxMessages: number | null;
  /** Called once `maxMessages` were printed. */
  onLimit?: () => void;
}

/**
 * Makes the Printer actor.
 *
 * @param options Format, filter, output and bookkeeping.
 * @returns The actor; it ends when its inbox is drained, or after `maxMessages`.
 */
export function printer(options: PrinterOptions): Actor<InRecord, never> {
  const { format, filter, print, report, tracker, maxMessages } = options;
  return async (inbox) => {
    if (maxMessages !== null && report.printed >= maxMessages) return;
    for await (const record of inbox) {
      const decoded = decodePrice(record);
      if (!decoded.ok) report.reportBad(record, decoded.reason);
      else if (filter !== null && !filter.has(decoded.message.symbol.toUpperCase())) {
        report.filtered++;
      } else {
        // Counted once printed: a print that throws is retried after the restart, same number.
        print(
          format === "json"
            ? jsonLine(decoded.message, record)
            : formatMessage(format, report.printed + 1, decoded.message, record),
        );
        report.printed++;
      }
      tracker.markHandled(record);
      if (maxMessages !== null && report.printed >= maxMessages) {
        options.onLimit?.();
        return;
      }
    }
  };
}
