/**
 * The Printer: checks each record against the contract, applies the filter, prints, and marks
 * the record handled so its offset may be committed. A record the price decoder refuses is
 * logged with its reason, counted and skipped (its offset commits); read from the dead-letter
 * topic, each record is shown as the dead letter it is, with the reason it was refused
 * (docs/messages.md#dead-letters).
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";
import type { Actor } from "../runtime/actor.ts";
import { untilClosed } from "../runtime/channel.ts";
import type { CommitTracker } from "./commit_tracker.ts";
import type { ConsumeReport } from "../report/consume_report.ts";
import {
  formatDeadLetter,
  formatMessage,
  jsonLine,
  type OutputFormat,
  splicedLine,
} from "../report/consume_format.ts";
import { DEFAULT_MAX_AHEAD_MS, type ReadTime } from "../market/messages/checks.ts";
import { decodeDeadLetter } from "../market/messages/dead_letter_message.ts";
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
  /** The wall clock, ms: event times are checked against it. @default {Date.now} */
  now?: () => number;
  /** How far ahead of the clock an event time may be, ms. @default {300_000} */
  maxAheadMs?: number;
  /** The topic read is the dead-letter topic: show each record as a dead letter. @default {false} */
  deadLetters?: boolean;
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
  const now = options.now ?? Date.now;
  const maxAheadMs = options.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS;
  const deadLetters = options.deadLetters ?? false;
  return async (inbox) => {
    if (maxMessages !== null && report.printed >= maxMessages) return;
    // No more than the limit still allows: records past it stay unread.
    const take = () =>
      inbox.receiveBatch(
        maxMessages === null ? batchSize : Math.min(batchSize, maxMessages - report.printed),
      );
    for await (const batch of untilClosed(take)) {
      const read: ReadTime = { now: now(), maxAheadMs };
      // Records are taken in batches but handled one by one: after a crash, the ones already
      // printed are not handed back, only the one in hand and those after it.
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i]!;
        const { key, value, notUtf8 } = record;
        if (deadLetters) {
          const letter = decodeDeadLetter(key, value, record.headers);
          if (!letter.ok) report.reportBad(record, letter.reason);
          else if (filter !== null && !filter.has((key ?? "").toUpperCase())) report.filtered++;
          else {
            print(formatDeadLetter(format, report.printed + 1, letter.message, record));
            report.printed++;
          }
        } else {
          printPrice(record, key, value, notUtf8, read);
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

  /** Prints a price record, or reports why it is not one. */
  function printPrice(
    record: InRecord,
    key: string | null,
    value: string | null,
    notUtf8: InRecord["notUtf8"],
    read: ReadTime,
  ): void {
    // The producer's own form is checked by one expression, and its line is the value's text as
    // it is; anything else is parsed and checked field by field.
    const canonical = format === "json" && key !== null && value !== null &&
      notUtf8 === undefined && isCanonicalPrice(value, key, read);
    const decoded = canonical ? null : decodePrice(key, value, record.headers, read, notUtf8);
    if (decoded !== null && !decoded.ok) {
      report.reportBad(record, decoded.reason);
      return;
    }
    const symbol = decoded === null ? key! : decoded.message.symbol;
    if (filter !== null && !filter.has(symbol.toUpperCase())) {
      report.filtered++;
      return;
    }
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
