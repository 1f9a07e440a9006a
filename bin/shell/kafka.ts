/**
 * Reaching the broker and the topics at start-up, or ending the program with one line and exit 1
 * (exit 0 when a stop signal came first); a member of a consumer group that ends the program with
 * exit 2 when the broker fences it (`docs/operations.md`, `docs/operating.md`).
 *
 * @module
 */
import type { KafkaConfig, Membership } from "../../config/types.ts";
import { PlatformaticConsumerTransport } from "../../kafka/platformatic_consumer.ts";
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

/**
 * A member of a consumer group as the configuration says: static under its instance id, if any.
 * When the broker fences it (another process joined with the same id) the program ends with one
 * line and exit 2: the other process holds the partitions.
 *
 * @param kafka Where the broker is.
 * @param group The consumer group.
 * @param membership The instance id and the session timeout.
 * @returns The transport, not connected.
 */
export function groupMember(
  kafka: KafkaConfig,
  group: string,
  membership: Membership,
): PlatformaticConsumerTransport {
  return new PlatformaticConsumerTransport(kafka, group, {
    instanceId: membership.instanceId,
    sessionTimeoutMs: membership.sessionTimeoutMs,
    onFenced: (error) => fail(error.message, 2),
  });
}

/**
 * How a start-up line names a group and the member this process is in it.
 *
 * @param group The consumer group.
 * @param membership The instance id, if any.
 * @returns `crypto-candles`, or `crypto-candles (instance id "a")`.
 */
export function describeGroup(group: string, membership: Membership): string {
  return membership.instanceId === null
    ? group
    : `${group} (instance id ${JSON.stringify(membership.instanceId)})`;
}
