/**
 * The alert topic's publisher: puts the new alerts queued in the store's alert outbox on the topic
 * `crypto-alerts` (key = `{source}:{product}`, schema `crypto-alert/v1`, value = the alert's JSON), then takes
 * them off the outbox. An alert is queued in the same transaction that stores it, so it is
 * published even after a crash between the two (at least once; its key tells a reader a repeat).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { partitionFor } from "../kafka/partitioner.ts";
import type { OutRecord, ProducerTransport } from "../kafka/transport.ts";
import { encodeAlert } from "../market/messages/alert_message.ts";
import type { AlertReport } from "../report/alert_report.ts";
import type { Actor } from "../runtime/actor.ts";
import type { CandleStore } from "../store/candle_store.ts";
import { type Nudge, outboxPublisher } from "./outbox_publisher.ts";

const logger = getLogger(["crypto", "alert-publisher"]);

/** What the alert publisher needs. */
export interface AlertPublisherOptions {
  /** The alert outbox. */
  store: Pick<CandleStore, "peekAlertOutbox" | "ackAlertOutbox">;
  /** The producer. */
  transport: ProducerTransport;
  /** The topic. */
  topic: string;
  /** Its partition count. */
  partitions: number;
  /** Counts. */
  report: AlertReport;
  /** Poked by the Alerter when it queued alerts. */
  nudge: Nudge;
  /** Longest wait between two looks at the outbox, ms. @default {1_000} */
  pollMs?: number;
}

/**
 * Makes the alert topic's publisher actor.
 *
 * @param options Outbox, producer and topic.
 * @returns The actor; when stopped it empties the outbox once more, then ends.
 */
export function alertPublisher(options: AlertPublisherOptions): Actor<unknown, never> {
  const { store, transport, topic, partitions, report, nudge } = options;
  const pollMs = options.pollMs ?? 1_000;

  /** Publishes what is queued; returns whether the outbox is empty now. */
  const drain = async (): Promise<boolean> => {
    const alerts = await store.peekAlertOutbox(500);
    if (alerts.length === 0) return true;
    const records: OutRecord[] = alerts.map((alert) => {
      const encoded = encodeAlert(alert);
      return { ...encoded, partition: partitionFor(encoded.key, partitions) };
    });
    await transport.send(topic, records);
    await store.ackAlertOutbox(alerts);
    report.published += alerts.length;
    return alerts.length < 500;
  };

  return outboxPublisher({
    drain,
    nudge,
    what: "alerts",
    topic,
    logger,
    onError: () => report.publishErrors++,
    pollMs,
  });
}
