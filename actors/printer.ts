/**
 * The Printer: checks each record against the contract, applies the filter, prints, and marks
 * the record handled so its offset may be committed.
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";
import type { Actor } from "../runtime/actor.ts";
import { untilClosed } from "../runtime/channel.ts";
import type { CommitTracker } from "./commit_tracker.ts";
import type { ConsumeReport } from "../report/consume_report.ts";
import {
  formatMessage,
  jsonLine,
  type OutputFormat,
  splicedLine,
} from "../report/consume_format.ts";
import { decodePrice, isCanonicalPrice } from "../market/messages/price_message.ts";

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
    // No more than the limit still allows: records past it stay unread.
    const take = () =>
      inbox.receiveBatch(
        maxMessages === null ? batchSize : Math.min(batchSize, maxMessages - report.printed),
      );
    for await (const batch of untilClosed(take)) {
      // Records are taken in batches but handled one by one: after a crash, the ones already
      // printed are not handed back, only the one in hand and those after it.
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i]!;
        const { key, value, notUtf8 } = record;
        // The producer's own form is checked by one expression, and its line is the value's
        // text as it is; anything else is parsed and checked field by field.
        const canonical = format === "json" && key !== null && value !== null &&
          notUtf8 === undefined && isCanonicalPrice(value, key);
        const decoded = canonical ? null : decodePrice(key, value, record.headers, notUtf8);
        if (decoded !== null && !decoded.ok) report.reportBad(record, decoded.reason);
        else {
          const symbol = decoded === null ? key! : decoded.message.symbol;
          if (filter !== null && !filter.has(symbol.toUpperCase())) report.filtered++;
          else {
            // Counted once printed: a print that throws is retried after the restart, same number.
            print(
              decoded === null
                ? splicedLine(value!, record)
                : format === "json"
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
