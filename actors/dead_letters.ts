/**
 * The dead-letter queue (docs/messages.md#dead-letters): writes refused records to the
 * dead-letter topic, as Kafka Connect's `errors.deadletterqueue` does, and resolves only once the
 * log has acknowledged them, so that a refused record's offset is committed only after its dead
 * letter is safe. While the log is away it retries with backoff (the pipeline waits, as it does
 * for the store). Each batch is counted, and logged at most once a second with the count since
 * the last line.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { partitionFor } from "../kafka/partitioner.ts";
import { DeliveryError, type OutRecord, type ProducerTransport } from "../kafka/transport.ts";
import { type DeadLetter, encodeDeadLetter } from "../market/messages/dead_letter_message.ts";
import type { DeadLetterReport } from "../report/dead_letter_report.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { delay } from "../runtime/delay.ts";

const logger = getLogger(["crypto", "dead-letters"]);

/** What the dead-letter queue needs. */
export interface DeadLetterQueueOptions {
  /** The producer (Kafka, or the embedded log in `start`). */
  transport: ProducerTransport;
  /** The dead-letter topic, and its partitions. */
  topic: string;
  partitions: number;
  /** Counts. */
  report: DeadLetterReport;
  /** The wall clock, ms. */
  now: () => number;
  /** The first retry delay, ms. @default {200} */
  retryMinMs?: number;
  /** The longest retry delay, ms. @default {5_000} */
  retryMaxMs?: number;
}

/** Writes dead letters. */
export class DeadLetterQueue {
  readonly #options: DeadLetterQueueOptions;
  /** Dead letters written since the last log line. */
  #unlogged = 0;
  #lastLogAt = -Infinity;
  #latest: DeadLetter | null = null;

  /** @param options The producer, the topic, the counts and the clock. */
  constructor(options: DeadLetterQueueOptions) {
    this.#options = options;
  }

  /** The dead-letter topic. */
  get topic(): string {
    return this.#options.topic;
  }

  /**
   * Writes dead letters and waits for the log to acknowledge every one, retrying while it is away.
   * A letter the log refuses for good (too large for the topic) is written once more without its
   * value, with a header `dlq.value-dropped` saying why; refused again, it is logged and counted
   * as lost.
   *
   * @param letters The refused records, with their reasons.
   * @param source `door` (a decoder refused them when read) or `store` (the store refused them).
   * @param signal Aborting gives up (the promise rejects with its reason): the caller must then
   *   not commit the letters' offsets.
   * @returns Resolves once all are acknowledged.
   */
  async send(
    letters: readonly DeadLetter[],
    source: "door" | "store",
    signal: AbortSignal,
  ): Promise<void> {
    if (letters.length === 0) return;
    const records = letters.map((letter) => this.#record(letter));
    await this.#deliver(records, signal, letters.length > 1 ? "batch" : "one");
    this.#options.report.wrote(letters, source);
    this.#unlogged += letters.length;
    this.#latest = letters[letters.length - 1]!;
    const now = this.#options.now();
    if (now - this.#lastLogAt >= 1_000) this.flushLog(now);
  }

  /**
   * Logs the dead letters written since the last line, if any (at stop, so that none goes
   * unmentioned).
   *
   * @param now The time, ms. @default {the clock's now}
   */
  flushLog(now = this.#options.now()): void {
    const latest = this.#latest;
    if (this.#unlogged === 0 || latest === null) return;
    logger.warn(
      "Dead-lettered {count} record(s) to {topic} since the last line; the latest, {where}: {reason}",
      {
        count: this.#unlogged,
        topic: this.#options.topic,
        where: latest.partition === null
          ? latest.topic
          : `${latest.topic} partition ${latest.partition} offset ${latest.offset}`,
        reason: latest.reason,
      },
    );
    this.#unlogged = 0;
    this.#lastLogAt = now;
  }

  #record(letter: DeadLetter): OutRecord {
    const encoded = encodeDeadLetter(letter);
    // Keyed as the refused record was, so that one market's dead letters keep their order.
    const routing = letter.key ?? `${letter.topic}/${letter.partition ?? ""}`;
    return {
      key: encoded.key,
      value: encoded.value,
      headers: encoded.headers,
      partition: partitionFor(routing, this.#options.partitions),
    };
  }

  /**
   * Sends records, retrying transient failures. Refused for good, a batch is sent again one by
   * one, a single record without its value, and a record without its value is let go.
   */
  async #deliver(
    records: OutRecord[],
    signal: AbortSignal,
    step: "batch" | "one" | "bare",
  ): Promise<void> {
    const { transport, topic, report } = this.#options;
    for (let attempt = 0;; attempt++) {
      signal.throwIfAborted();
      try {
        await transport.send(topic, records);
        if (attempt > 0) {
          logger.info("The dead-letter topic {topic} takes records again", { topic });
        }
        return;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        report.sendErrors++;
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof DeliveryError && !error.retriable) {
          if (step === "batch") {
            for (const record of records) await this.#deliver([record], signal, "one");
          } else if (step === "one") {
            await this.#deliver([withoutValue(records[0]!, message)], signal, "bare");
          } else {
            report.lost++;
            logger.error(
              "The dead-letter topic {topic} refused a dead letter ({where}), even without its value: {error}",
              { topic, where: whereOf(records[0]!), error: message },
            );
          }
          return;
        }
        if (attempt === 0) {
          logger.warn("Cannot write to the dead-letter topic {topic}: {error}; retrying", {
            topic,
            error: message,
          });
        }
        await delay(
          backoffDelay(attempt, {
            minMs: this.#options.retryMinMs ?? 200,
            maxMs: this.#options.retryMaxMs ?? 5_000,
          }),
          { signal },
        );
      }
    }
  }
}

/** A dead letter whose value the log would not take: the same without it, saying why. */
function withoutValue(record: OutRecord, why: string): OutRecord {
  const bytes = record.value === null
    ? 0
    : typeof record.value === "string"
    ? new TextEncoder().encode(record.value).length
    : record.value.length;
  return {
    ...record,
    value: "",
    headers: { ...record.headers, "dlq.value-dropped": `${bytes} bytes: ${why}`.slice(0, 500) },
  };
}

/** Where a dead letter's record was read, for a log line. */
function whereOf(record: OutRecord): string {
  const h = record.headers;
  return `${h["dlq.topic"]} partition ${h["dlq.partition"]} offset ${h["dlq.offset"]}`;
}
