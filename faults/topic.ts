/**
 * Reads a topic back with a plain kafkajs consumer, independent of the program, and sums up
 * what is on it: message ids, duplicates and per-key order.
 *
 * @module
 */
import "../tests/support/kafkajs_warnings.ts";
import { Kafka, logLevel } from "kafkajs";

/** One message as read back. */
export interface TopicMessage {
  /** The partition. */
  partition: number;
  /** Its offset. */
  offset: number;
  /** The key. */
  key: string;
  /** `message_id` from the value. */
  messageId: string;
  /** `last_updated` from the value. */
  lastUpdated: number | null;
}

/**
 * A quiet kafkajs client.
 *
 * @param brokers Bootstrap servers, `host:port,...`.
 * @returns The client.
 */
export function plainKafka(brokers: string): Kafka {
  return new Kafka({ clientId: "faults", brokers: brokers.split(","), logLevel: logLevel.NOTHING });
}

/**
 * A topic name no other run uses.
 *
 * @param prefix What it is for.
 * @returns The name.
 */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * Reads every message on a topic, up to the end offsets of the moment it starts.
 *
 * @param brokers Bootstrap servers.
 * @param topic The topic.
 * @param timeoutMs How long the reading may take.
 * @returns The messages, by partition and offset.
 */
export async function readAll(
  brokers: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<TopicMessage[]> {
  const kafka = plainKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(
      offsets.filter((o) => Number(o.high) > Number(o.low)).map((
        o,
      ) => [o.partition, Number(o.high)]),
    );
  } finally {
    await admin.disconnect();
  }
  const messages: TopicMessage[] = [];
  if (ends.size === 0) return messages;
  const consumer = kafka.consumer({ groupId: unique("faults-reader") });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const remaining = new Set(ends.keys());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Read ${messages.length} messages of ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer.run({
        eachMessage: ({ partition, message }) => {
          const offset = Number(message.offset);
          const end = ends.get(partition);
          if (end !== undefined && offset < end) {
            const value = JSON.parse(message.value?.toString("utf8") ?? "{}");
            messages.push({
              partition,
              offset,
              key: message.key?.toString("utf8") ?? "",
              messageId: String(value.message_id),
              lastUpdated: typeof value.last_updated === "number" ? value.last_updated : null,
            });
          }
          if (end === undefined || offset >= end - 1) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** What is on a topic, summed up. */
export interface TopicSummary {
  /** Messages on the topic. */
  messages: number;
  /** Distinct message ids. */
  ids: Set<string>;
  /** Messages whose id was already seen. */
  duplicates: number;
  /** Messages whose `last_updated` is not greater than the one before it with the same key. */
  outOfOrder: number;
}

/**
 * Sums up messages read back: distinct ids, duplicates, and per-key order (in each partition,
 * by offset, `last_updated` must grow: the stand-in moves it on every request).
 *
 * @param messages The messages, by partition and offset.
 * @returns The summary.
 */
export function summarize(messages: readonly TopicMessage[]): TopicSummary {
  const ids = new Set<string>();
  let duplicates = 0;
  let outOfOrder = 0;
  const last = new Map<string, number>();
  for (const m of messages) {
    if (ids.has(m.messageId)) duplicates++;
    ids.add(m.messageId);
    if (m.lastUpdated === null) continue;
    const slot = `${m.partition}/${m.key}`;
    const before = last.get(slot);
    if (before !== undefined && m.lastUpdated <= before) outOfOrder++;
    last.set(slot, m.lastUpdated);
  }
  return { messages: messages.length, ids, duplicates, outOfOrder };
}

/**
 * The message ids in the JSON lines a `consume --format json` printed.
 *
 * @param stdout Its standard output.
 * @returns The ids, one per line, in order.
 */
export function consumedIds(stdout: string): string[] {
  const ids: string[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      ids.push(String(JSON.parse(line).message_id));
    } catch {
      // a line cut short by a SIGKILL
    }
  }
  return ids;
}

/** How the ids that consumers printed cover the ids on a topic. */
export interface Coverage {
  /** Distinct ids printed. */
  distinct: number;
  /** Ids on the topic that were printed. */
  covered: number;
  /** Ids on the topic never printed. */
  missed: number;
  /** Lines printed again for an id already printed. */
  duplicated: number;
}

/**
 * How `printed` covers the topic's ids.
 *
 * @param onTopic The ids on the topic.
 * @param printed The ids printed, by one or more consumers, repeats included.
 * @returns The counts.
 */
export function coverage(onTopic: ReadonlySet<string>, printed: readonly string[]): Coverage {
  const seen = new Set(printed);
  let covered = 0;
  for (const id of onTopic) if (seen.has(id)) covered++;
  return {
    distinct: seen.size,
    covered,
    missed: onTopic.size - covered,
    duplicated: printed.length - seen.size,
  };
}

/**
 * The partition and offset of the JSON lines a `consume --format json` printed.
 *
 * @param stdout Its standard output.
 * @returns The next offset to read on each partition, after the last one printed.
 */
export function printedPositions(stdout: string): Map<number, number> {
  const next = new Map<number, number>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const { partition, offset } = JSON.parse(line);
      next.set(partition, Math.max(next.get(partition) ?? 0, Number(offset) + 1));
    } catch {
      // a line cut short by a SIGKILL
    }
  }
  return next;
}

/**
 * A consumer group's committed offsets on a topic.
 *
 * @param brokers Bootstrap servers.
 * @param options The group and topic.
 * @returns The committed offset by partition (partitions with none left out).
 */
export async function committedOffsets(
  brokers: string,
  options: { group: string; topic: string },
): Promise<Map<number, number>> {
  const admin = plainKafka(brokers).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({
      groupId: options.group,
      topics: [options.topic],
    });
    return new Map(
      (committed?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((
        p,
      ) => [p.partition, Number(p.offset)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Whether a consumer group has committed the end of every partition of a topic (an empty
 * partition counts as done).
 *
 * @param brokers Bootstrap servers.
 * @param group The group.
 * @param topic The topic.
 * @returns True once the group has read and committed everything.
 */
export async function committedAll(
  brokers: string,
  group: string,
  topic: string,
): Promise<boolean> {
  const admin = plainKafka(brokers).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return ends.every((end) =>
      Number(end.offset) === 0 ||
      committed!.partitions.some((p) => p.partition === end.partition && p.offset === end.offset)
    );
  } finally {
    await admin.disconnect();
  }
}
