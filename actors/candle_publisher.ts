/**
 * The candle topic's publisher: puts the closed candles and revisions queued in the store's
 * outbox on the topic `crypto-candles` (key = `{source}:{product}`, schema `crypto-candle/v1`), then takes
 * them off the outbox. A candle queued in the same write as its row is published even after a
 * crash between the two (at least once; a revision number tells a reader which is newer).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { partitionFor } from "../kafka/partitioner.ts";
import type { OutRecord, ProducerTransport } from "../kafka/transport.ts";
import { encodeCandle } from "../market/messages/candle_message.ts";
import type { CandleReport } from "../report/candle_report.ts";
import type { Actor } from "../runtime/actor.ts";
import type { CandleStore } from "../store/candle_store.ts";
import { type Nudge, outboxPublisher } from "./outbox_publisher.ts";

export { Nudge } from "./outbox_publisher.ts";

const logger = getLogger(["crypto", "candle-publisher"]);

/** What the publisher needs. */
export interface CandlePublisherOptions {
  /** The outbox. */
  store: Pick<CandleStore, "peekCandleOutbox" | "ackCandleOutbox">;
  /** The producer. */
  transport: ProducerTransport;
  /** The topic. */
  topic: string;
  /** Its partition count. */
  partitions: number;
  /** Counts. */
  report: CandleReport;
  /** Poked by the sink. */
  nudge: Nudge;
  /** Longest wait between two looks at the outbox, ms. @default {1_000} */
  pollMs?: number;
}

/**
 * Makes the candle topic's publisher actor.
 *
 * @param options Outbox, producer and topic.
 * @returns The actor; when stopped it empties the outbox once more, then ends.
 */
export function candlePublisher(options: CandlePublisherOptions): Actor<unknown, never> {
  const { store, transport, topic, partitions, report, nudge } = options;
  const pollMs = options.pollMs ?? 1_000;

  /** Publishes what is queued; returns whether the outbox is empty now. */
  const drain = async (): Promise<boolean> => {
    const candles = await store.peekCandleOutbox(500);
    if (candles.length === 0) return true;
    const records: OutRecord[] = candles.map((candle) => {
      const encoded = encodeCandle(candle);
      return { ...encoded, partition: partitionFor(encoded.key, partitions) };
    });
    await transport.send(topic, records);
    await store.ackCandleOutbox(candles);
    report.published += candles.length;
    return candles.length < 500;
  };

  return outboxPublisher({
    drain,
    nudge,
    what: "candles",
    topic,
    logger,
    onError: () => report.publishErrors++,
    pollMs,
  });
}
