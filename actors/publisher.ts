/**
 * The Publisher: sends encoded prices in batches and reports each acknowledgement; while the
 * broker is away it keeps the batch and retries with backoff, the channel before it buffering
 * what comes meanwhile.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { partitionFor } from "../kafka/partitioner.ts";
import {
  type Delivery,
  DeliveryError,
  type OutRecord,
  type ProducerTransport,
} from "../kafka/transport.ts";
import type { Actor } from "../runtime/actor.ts";
import { backoffDelay } from "../runtime/backoff.ts";
import { untilClosed } from "../runtime/channel.ts";
import type { Clock } from "../runtime/delay.ts";
import type { EncodedPrice } from "../market/messages/price_message.ts";

const logger = getLogger(["crypto", "publisher"]);

/** What the Publisher sends: a record but for its partition, which it chooses by key. */
export interface PublishedMessage {
  /** The key. */
  key: string;
  /** The value. */
  value: string | Uint8Array;
  /** The headers. */
  headers: Record<string, string>;
}

/** What the Publisher tells of each message (a price's `ProduceReport`, a trade's `TradeReport`). */
export interface PublishReport<M> {
  /** How many messages are handed to the broker without an answer yet; 0 once answered. */
  sending(count: number): void;
  /** The broker acknowledged a message. */
  delivered(message: M, delivery: Delivery): void;
  /** The broker refused a message for good. */
  failed(message: M, error: unknown): void;
}

/** What the Publisher needs. */
export interface PublisherOptions<M extends PublishedMessage = EncodedPrice> {
  /** The message log. */
  transport: ProducerTransport;
  /** The topic. */
  topic: string;
  /** The topic's partition count. */
  partitions: number;
  /** Progress output. */
  report: PublishReport<M>;
  /** Waits between retries. */
  clock: Clock;
  /** Most messages per send. @default {500} */
  batchSize?: number;
  /** First retry delay while the broker is away, ms. @default {500} */
  retryMinMs?: number;
  /** Largest retry delay, ms. @default {10_000} */
  retryMaxMs?: number;
  /** How many messages wait behind the current batch. */
  waiting?: () => number;
}

/**
 * Makes the Publisher actor.
 *
 * @param options Transport, topic and report.
 * @returns The actor; it ends when its inbox is closed and drained.
 */
export function publisher<M extends PublishedMessage = EncodedPrice>(
  options: PublisherOptions<M>,
): Actor<M, never> {
  const { transport, topic, partitions, report, clock } = options;
  const { batchSize = 500, retryMinMs = 500, retryMaxMs = 10_000 } = options;
  // A key's partition never changes for a given partition count: hash each key once.
  const partitionOf = new Map<string, number>();
  const partition = (key: string) => {
    let p = partitionOf.get(key);
    if (p === undefined) partitionOf.set(key, p = partitionFor(key, partitions));
    return p;
  };
  return async (inbox, _outbox, ctx) => {
    for await (const batch of untilClosed(() => inbox.receiveBatch(batchSize))) {
      const records: OutRecord[] = batch.map((m) => ({
        key: m.key,
        value: m.value,
        headers: m.headers,
        partition: partition(m.key),
      }));
      report.sending(batch.length);
      for (let attempt = 0;; attempt++) {
        try {
          const deliveries = await transport.send(topic, records);
          report.sending(0);
          batch.forEach((message, i) => report.delivered(message, deliveries[i]!));
          if (attempt > 0) logger.info("Kafka is reachable again; sending resumed");
          break;
        } catch (error) {
          if (!(error instanceof DeliveryError)) throw error;
          if (!error.retriable) {
            report.sending(0);
            for (const message of batch) report.failed(message, error);
            break;
          }
          const wait = backoffDelay(attempt, { minMs: retryMinMs, maxMs: retryMaxMs });
          logger.warn(
            "{error}; {waiting} message(s) waiting, retrying in {seconds}s",
            {
              error: error.message,
              waiting: batch.length + (options.waiting?.() ?? 0),
              seconds: (wait / 1000).toFixed(1),
            },
          );
          await clock.sleep(wait, { signal: ctx.signal });
        }
      }
    }
  };
}
