/**
 * Reaching the broker and the topics at start-up, or ending the program with one line and exit 1
 * (exit 0 when a stop signal came first) (`docs/operations.md`).
 *
 * @module
 */
import type { KafkaConfig } from "../../config/types.ts";
import {
  BrokerAuthenticationError,
  BrokerUnreachableError,
  type TopicInfo,
  type TopicSpec,
} from "../../kafka/transport.ts";
import { describeFatal, fail } from "./exit.ts";
import { onStopSignals } from "./signals.ts";

/**
 * Connects, or ends the program: exit 1 with how to start a broker when none answers in time,
 * exit 0 when a stop signal came first.
 *
 * @param transport Anything with `connect` and `disconnect`.
 * @returns Resolves once connected.
 */
export async function connectOrExit(
  transport: {
    connect(options?: { signal?: AbortSignal }): Promise<void>;
    disconnect(): Promise<void>;
  },
): Promise<void> {
  const connecting = new AbortController();
  const removeHandlers = onStopSignals(() => connecting.abort());
  try {
    await transport.connect({ signal: connecting.signal });
  } catch (error) {
    await transport.disconnect();
    if (connecting.signal.aborted) Deno.exit(0);
    if (error instanceof BrokerUnreachableError) {
      fail(
        `${error.message}. Start a local broker with \`deno task kafka:up\` (or \`docker compose up -d kafka\`), or set KAFKA_BOOTSTRAP_SERVERS`,
        1,
      );
    }
    if (error instanceof BrokerAuthenticationError) fail(error.message, 1);
    fail(`Kafka: ${error instanceof Error ? error.message : String(error)}`, 1);
  } finally {
    removeHandlers();
  }
}

/**
 * Makes sure the configured topic exists (created with the configured partitions when missing),
 * or ends the program with exit 1. An existing topic with another partition count is used as
 * it is, with a warning through `warn` when one is given.
 *
 * @param transport Anything that can ensure a topic and disconnect.
 * @param kafka The topic, partitions and replication factor.
 * @param warn Where the partition-count warning goes.
 * @returns The topic's partition count.
 */
export async function ensureTopicOrExit(
  transport: { ensureTopic(spec: TopicSpec): Promise<TopicInfo>; disconnect(): Promise<void> },
  kafka: KafkaConfig,
  warn?: (line: string) => void,
): Promise<number> {
  try {
    const topic = await transport.ensureTopic({
      topic: kafka.topic,
      partitions: kafka.partitions,
      replicationFactor: kafka.replicationFactor,
    });
    if (warn && !topic.created && topic.partitions !== kafka.partitions) {
      warn(
        `Warning: topic ${kafka.topic} has ${topic.partitions} partitions (expected ${kafka.partitions}); using it as it is`,
      );
    }
    return topic.partitions;
  } catch (error) {
    await transport.disconnect();
    fail(`Kafka: cannot use topic ${kafka.topic}: ${describeFatal(error)}`, 1);
  }
}
