/**
 * The Printer: checks each record against the contract, applies the filter, prints, and marks
 * the record handled so its offset may be committed.
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";
import type { Actor } from "../runtime/actor.ts";
import { ChannelClosedError } from "../runtime/channel.ts";
import type { CommitTracker } from "./commit_tracker.ts";
import {
  type ConsumeReport,
  formatMessage,
  jsonLine,
  type OutputFormat,
  splicedLine,
} from "./consume_report.ts";
import { decodePrice, isCanonicalPrice } from "./price_schema.ts";

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
  /** Most records taken from the inbox at once. @default {128} */
  batchSize?: number;
}

/**
 * Makes the Printer actor.
 *
 * @param options Format, filter, output and bookkeeping.
 * @returns The actor; it ends when its inbox is drained, or after `maxMessages`.
 */
export function printer(options: PrinterOptions): Actor<InRecord, never> {
  const { format, filter, print, report, tracker, maxMessages } = options;
  const batchSize = options.batchSize ?? 128;
  return async (inbox) => {
    if (maxMessages !== null && report.printed >= maxMessages) return;
    while (true) {
      let batch: InRecord[];
      try {
        // No more than the limit still allows: records past it stay unread.
        batch = await inbox.receiveBatch(
          maxMessages === null ? batchSize : Math.min(batchSize, maxMessages - report.printed),
        );
      } catch (error) {
        if (error instanceof ChannelClosedError) return;
        throw error;
      }
      // Records are taken in batches but handled one by one: after a crash, the ones already
      // printed are not handed back, only the one in hand and those after it.
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i]!;
        const { key, value } = record;
        if (
          format === "json" && key !== null && value !== null && record.notUtf8 === undefined &&
          isCanonicalPrice(value, key)
        ) {
          // The producer's own form, checked by a scan: the line is the value's text as it is.
          if (filter !== null && !filter.has(key.toUpperCase())) report.filtered++;
          else {
            print(splicedLine(value, record));
            report.printed++;
          }
        } else {
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
        }
        tracker.markHandled(record);
        inbox.handled?.(i + 1);
        if (maxMessages !== null && report.printed >= maxMessages) {
          options.onLimit?.();
          return;
        }
      }
    }
  };
}
