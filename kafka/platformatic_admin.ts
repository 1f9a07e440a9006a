/**
 * What the transports and the lag query ask of `@platformatic/kafka`'s admin client: a topic
 * made sure of, a topic's partitions, their oldest and end offsets, and a group's committed
 * offsets.
 *
 * @module
 */
import { type Admin, ListOffsetTimestamps } from "@platformatic/kafka";
import { delay } from "../runtime/delay.ts";
import { protocolError } from "./client_errors.ts";
import type { TopicInfo, TopicSpec } from "./transport.ts";

/**
 * The topic's partitions, or null when there is no such topic.
 *
 * @param admin The admin client.
 * @param topic The topic.
 * @returns The partition numbers, in order, or null.
 */
export async function topicPartitions(admin: Admin, topic: string): Promise<number[] | null> {
  if (!(await admin.listTopics()).includes(topic)) return null;
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
  return Array.from({ length: count }, (_, i) => i);
}

/** Waits until every partition of the topic has a leader (a topic just created has none yet). */
async function leadersElected(admin: Admin, topic: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => null);
    const partitions = metadata?.topics.get(topic)?.partitions ?? [];
    if (partitions.length > 0 && partitions.every((p) => p !== undefined && p.leader >= 0)) return;
    await delay(100);
  }
}

/** The topic's partitions once it is listed, or null if it is not within the time. */
async function topicAppearing(
  admin: Admin,
  topic: string,
  options: { timeoutMs: number },
): Promise<number[] | null> {
  const deadline = Date.now() + options.timeoutMs;
  while (true) {
    const partitions = await topicPartitions(admin, topic).catch(() => null);
    if (partitions !== null || Date.now() >= deadline) return partitions;
    await delay(100);
  }
}

/**
 * Creates a topic when missing (another client creating it at the same time is fine), waits for
 * its partitions' leaders, and returns its partition count.
 *
 * @param admin The admin client.
 * @param spec The topic, partitions and replication factor.
 * @returns Its partition count and whether this call created it.
 */
export async function ensureTopicWith(admin: Admin, spec: TopicSpec): Promise<TopicInfo> {
  const existing = await topicPartitions(admin, spec.topic);
  if (existing !== null) return { partitions: existing.length, created: false };
  try {
    await admin.createTopics({
      topics: [spec.topic],
      partitions: spec.partitions,
      replicas: spec.replicationFactor,
    });
  } catch (error) {
    // Another client may have created it meanwhile: the broker then answers TOPIC_ALREADY_EXISTS,
    // or, while its controller is still settling, another error; either way the topic shows up.
    const again = await topicAppearing(admin, spec.topic, {
      timeoutMs: protocolError(error, "TOPIC_ALREADY_EXISTS") ? 10_000 : 2_000,
    });
    if (again === null) throw error;
    await leadersElected(admin, spec.topic);
    return { partitions: again.length, created: false };
  }
  await leadersElected(admin, spec.topic);
  return {
    partitions: (await topicPartitions(admin, spec.topic))?.length ?? spec.partitions,
    created: true,
  };
}

/**
 * Each partition's end offset (`"latest"`, the offset the next record will get) or oldest
 * retained offset (`"earliest"`).
 *
 * @param admin The admin client.
 * @param topic The topic.
 * @param options The partitions and which end.
 * @returns Offset by partition.
 */
export async function partitionOffsets(
  admin: Admin,
  topic: string,
  options: { partitions: readonly number[]; at: "earliest" | "latest" },
): Promise<Map<number, bigint>> {
  const timestamp = options.at === "earliest"
    ? ListOffsetTimestamps.EARLIEST
    : ListOffsetTimestamps.LATEST;
  const listed = await admin.listOffsets({
    topics: [{
      name: topic,
      partitions: options.partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
    }],
  });
  const offsets = new Map<number, bigint>();
  for (const t of listed) {
    if (t.name !== topic) continue;
    for (const p of t.partitions) offsets.set(p.partitionIndex, p.offset);
  }
  return offsets;
}

/**
 * A consumer group's committed offsets on a topic (the next offset it will read), by
 * partition; a partition where it has none is absent.
 *
 * @param admin The admin client.
 * @param options The group, topic and partitions.
 * @returns Committed offset by partition.
 */
export async function committedOffsets(
  admin: Admin,
  options: { group: string; topic: string; partitions: readonly number[] },
): Promise<Map<number, bigint>> {
  const groups = await admin.listConsumerGroupOffsets({
    groups: [{
      groupId: options.group,
      topics: [{ name: options.topic, partitionIndexes: [...options.partitions] }],
    }],
  });
  const committed = new Map<number, bigint>();
  for (const group of groups) {
    for (const t of group.topics) {
      if (t.name !== options.topic) continue;
      for (const p of t.partitions) {
        if (p.committedOffset >= 0n) committed.set(p.partitionIndex, p.committedOffset);
      }
    }
  }
  return committed;
}
