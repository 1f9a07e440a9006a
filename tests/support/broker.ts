/**
 * The real Kafka broker the integration tests run against (`deno task kafka:up`), and a
 * reference for partitions from Kafka's own Java client.
 *
 * @module
 */
import "./kafkajs_warnings.ts";
import { Kafka, logLevel } from "kafkajs";
import { reachable } from "./tcp.ts";
import { inCi } from "./ci.ts";

/** Bootstrap servers of the test broker: `KAFKA_TEST_BROKERS`, else 127.0.0.1:9092. */
export const TEST_BROKERS = Deno.env.get("KAFKA_TEST_BROKERS") ?? "127.0.0.1:9092";

const available = await reachable(TEST_BROKERS);

/**
 * Registers a test that needs the broker. Without one it is skipped on a developer's machine,
 * and fails under `CI=true`.
 *
 * @param name The test name.
 * @param fn The test.
 */
export function kafkaTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: !available && !inCi,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: available ? fn : () => {
      throw new Error(
        `No Kafka broker at ${TEST_BROKERS} (CI=true): start one with \`deno task kafka:up\``,
      );
    },
  });
}

/**
 * A kafkajs client for the test broker, quiet.
 *
 * @param clientId The client id.
 * @returns The client.
 */
export function testKafka(clientId = "crypto-tests"): Kafka {
  return new Kafka({ clientId, brokers: TEST_BROKERS.split(","), logLevel: logLevel.NOTHING });
}

/**
 * A topic name no other test run uses.
 *
 * @param prefix What the test is about.
 * @returns The name.
 */
export function freshTopic(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
}

/** A record read back from the topic. */
export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** The record's Kafka timestamp, ms since the epoch. */
  timestamp: number;
}

/**
 * Reads `count` records from the beginning of a topic with a plain kafkajs consumer.
 *
 * @param topic The topic.
 * @param count How many to wait for.
 * @param timeoutMs How long to wait for them.
 * @returns The records, in the order they arrived.
 */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const consumer = testKafka().consumer({ groupId: freshTopic("reader") });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Read ${records.length} of ${count} records from ${topic}`)),
        timeoutMs,
      );
      consumer.run({
        eachMessage: ({ partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            headers[name] = String(value);
          }
          records.push({
            partition,
            offset: Number(message.offset),
            key: message.key?.toString("utf8") ?? null,
            value: message.value?.toString("utf8") ?? null,
            headers,
            timestamp: Number(message.timestamp),
          });
          if (records.length >= count) {
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
  return records;
}

/**
 * How many records a topic holds, all partitions (end offset less start offset).
 *
 * @param topic The topic.
 * @returns The count.
 */
export async function topicSize(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The partition Kafka's own Java client picks for each key (runs `Utils.murmur2` from the
 * broker's jars in `.kafka/libs`).
 *
 * @param keys The keys.
 * @param partitions The partition count.
 * @returns Partition by key.
 */
export async function javaPartitions(
  keys: readonly string[],
  partitions: number,
): Promise<Map<string, number>> {
  const libs = Deno.env.get("KAFKA_HOME_DIR") ?? ".kafka";
  const output = await new Deno.Command("java", {
    args: [
      "-cp",
      `${libs}/libs/*`,
      "tests/support/Partition.java",
      String(partitions),
      ...keys,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`Java partitioner failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const result = new Map<string, number>();
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  lines.forEach((line, i) => result.set(keys[i]!, Number(line.slice(line.lastIndexOf(" ") + 1))));
  return result;
}
