/**
 * The {@linkcode ConsumerTransport} over a kafkajs consumer, with manual commits, and the
 * consumer-group lag from kafkajs's admin client.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Admin, type Consumer, Kafka } from "kafkajs";
import type { KafkaConfig } from "../config/config.ts";
import {
  connectWithin,
  disconnectWithin,
  ensureTopicWith,
  kafkajsOptions,
} from "./kafkajs_transport.ts";
import type {
  CommitOffset,
  ConsumeOptions,
  ConsumerTransport,
  InRecord,
  PartitionLag,
  TopicInfo,
  TopicSpec,
} from "./transport.ts";

const logger = getLogger(["crypto", "kafka"]);
const decoder = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 to text; short ASCII (keys, header values) without a call into the runtime. */
function utf8(bytes: Uint8Array): string {
  if (bytes.length <= 24) {
    let ascii = "";
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return decoder.decode(bytes);
      ascii += String.fromCharCode(byte);
    }
    return ascii;
  }
  return decoder.decode(bytes);
}

function text(value: unknown): string {
  if (value instanceof Uint8Array) return utf8(value);
  if (Array.isArray(value)) return value.map(text).join(",");
  return String(value);
}

/** One member of a consumer group, over kafkajs. */
export class KafkajsConsumerTransport implements ConsumerTransport {
  #config: KafkaConfig;
  #consumer: Consumer;
  #admin: Admin;
  #lastClientError: string | null = null;
  #topic: string | null = null;
  #groupId: string;
  #handle: (record: InRecord) => Promise<void> = () => Promise.resolve();
  #handleBatch: (records: InRecord[]) => Promise<number> = () => Promise.resolve(0);

  /**
   * @param config Where and how to connect.
   * @param groupId The consumer group.
   */
  constructor(config: KafkaConfig, groupId: string) {
    this.#config = config;
    this.#groupId = groupId;
    const kafka = new Kafka(kafkajsOptions(config, (message) => (this.#lastClientError = message)));
    this.#consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10 },
    });
    this.#admin = kafka.admin({ retry: { initialRetryTime: 300, retries: 8 } });
  }

  /** Connects, retrying until `connectTimeoutMs`. */
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    return connectWithin(this.#config, {
      attempt: async () => {
        await this.#admin.connect();
        await this.#admin.describeCluster();
        await this.#consumer.connect();
      },
      reset: () => this.#admin.disconnect(),
      lastClientError: () => this.#lastClientError,
      ...options,
    });
  }

  /**
   * Creates the topic when missing, so a consumer may start before any producer.
   *
   * @param spec The topic, partitions and replication factor.
   * @returns Its partition count and whether it was created.
   */
  ensureTopic(spec: TopicSpec): Promise<TopicInfo> {
    return ensureTopicWith(this.#admin, spec);
  }

  /**
   * For a group with no committed offset yet, commits the topic's current end offsets, so the
   * group starts exactly here rather than wherever "latest" is when it has joined.
   *
   * @param topic The topic.
   * @returns Whether offsets were set.
   */
  async startAtEndIfNew(topic: string): Promise<boolean> {
    await this.#admin.connect();
    const [committed] = await this.#admin.fetchOffsets({ groupId: this.#groupId, topics: [topic] });
    if ((committed?.partitions ?? []).some((p) => BigInt(p.offset) >= 0n)) return false;
    const ends = await this.#admin.fetchTopicOffsets(topic);
    await this.#admin.setOffsets({
      groupId: this.#groupId,
      topic,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
    });
    return true;
  }

  /** Subscribes and starts handing records over, one partition's records in order. */
  async consume(options: ConsumeOptions): Promise<void> {
    const { topic, fromBeginning, handle, onAssign } = options;
    if (this.#topic !== null) {
      // A restarted Subscriber: the consumer is still in the group, paused; go on where it was.
      this.#handle = handle;
      if (options.handleBatch) this.#handleBatch = options.handleBatch;
      this.#consumer.resume([{ topic }]);
      return;
    }
    this.#topic = topic;
    this.#handle = handle;
    const events = this.#consumer.events;
    this.#consumer.on(events.GROUP_JOIN, (event) => {
      const assigned = (event.payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b);
      onAssign?.(assigned);
    });
    this.#consumer.on(events.CRASH, (event) => {
      logger.warn("Kafka consumer failed ({error}); restarting: {restart}", {
        error: String(event.payload.error),
        restart: event.payload.restart,
      });
    });
    await this.#consumer.subscribe({ topic, fromBeginning });
    if (options.handleBatch) {
      // A fetched batch at once: kafkajs's per-message loop (a resolve, a heartbeat check and
      // two promises a message) is skipped, and the records cross the channel together.
      this.#handleBatch = options.handleBatch;
      await this.#consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const { topic, partition, messages } = batch;
          if (messages.length === 0) return;
          const records = messages.map((message) => toInRecord(topic, partition, message));
          const taken = await this.#handleBatch(records);
          // Only what was taken: the rest is fetched again once consumption resumes.
          if (taken > 0) resolveOffset(records[taken - 1]!.offset);
          await heartbeat();
        },
      });
      return;
    }
    await this.#consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        await this.#handle(toInRecord(topic, partition, message));
      },
    });
  }

  /** Stops fetching but stays in the group, so handled offsets can still be committed. */
  stop(): Promise<void> {
    if (this.#topic !== null) this.#consumer.pause([{ topic: this.#topic }]);
    return Promise.resolve();
  }

  /** Commits the next offsets to read. */
  async commit(topic: string, offsets: readonly CommitOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.#consumer.commitOffsets(
      offsets.map((o) => ({ topic, partition: o.partition, offset: o.offset })),
    );
  }

  /** Leaves the group and disconnects, each client within `DISCONNECT_TIMEOUT_MS`. */
  async disconnect(): Promise<void> {
    await disconnectWithin([this.#consumer, this.#admin]);
  }
}

/** The parts of a record kafkajs hands over. */
export interface KafkajsMessage {
  /** The offset. */
  offset: string;
  /** The key bytes, or null. */
  key: Uint8Array | null;
  /** The value bytes, or null. */
  value: Uint8Array | null;
  /** The headers. */
  headers?: Record<string, unknown>;
}

/**
 * Whether bytes whose lenient decoding is `text` were UTF-8: the lenient decoder puts U+FFFD for
 * bytes that are not, so only then (or for a U+FFFD sent as such) must the strict decoder tell.
 */
function wasUtf8(bytes: Uint8Array, text: string): boolean {
  if (!text.includes("\uFFFD")) return true;
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * A record as kafkajs handed it over: key and value as text, the headers decoded when first read
 * (nothing on the way to the console reads them).
 */
class KafkajsRecord implements InRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null = null;
  readonly value: string | null = null;
  declare readonly notUtf8?: readonly ("key" | "value")[];
  #raw: Record<string, unknown> | undefined;
  #headers: Record<string, string> | null = null;

  constructor(topic: string, partition: number, message: KafkajsMessage) {
    this.topic = topic;
    this.partition = partition;
    this.offset = message.offset;
    this.#raw = message.headers;
    let bad: ("key" | "value")[] | undefined;
    if (message.key !== null) {
      this.key = utf8(message.key);
      if (!wasUtf8(message.key, this.key)) (bad ??= []).push("key");
    }
    if (message.value !== null) {
      this.value = utf8(message.value);
      if (!wasUtf8(message.value, this.value)) (bad ??= []).push("value");
    }
    if (bad) (this as { notUtf8?: readonly ("key" | "value")[] }).notUtf8 = bad;
  }

  get headers(): Record<string, string> {
    if (this.#headers === null) {
      const headers: Record<string, string> = {};
      for (const name in this.#raw) {
        const value = this.#raw[name];
        if (value !== undefined) headers[name] = text(value);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }
}

/**
 * A record as kafkajs consumed it, as the actors see it: key and value as text, with the parts
 * that were not UTF-8 named, so that such a record is reported rather than printed with
 * replacement characters.
 *
 * @param topic The topic.
 * @param partition The partition.
 * @param message The record.
 * @returns The record.
 *
 * @example
 * ```ts
 * import { toInRecord } from "./kafkajs_consumer.ts";
 * const record = toInRecord("t", 0, { offset: "7", key: new Uint8Array([0xff]), value: null });
 * console.log(record.notUtf8); // ["key"]
 * ```
 */
export function toInRecord(topic: string, partition: number, message: KafkajsMessage): InRecord {
  return new KafkajsRecord(topic, partition, message);
}

/**
 * A consumer group's committed offsets, end offsets and lag on a topic.
 *
 * @param config Where and how to connect.
 * @param options The group and topic.
 * @returns One entry per partition, by partition.
 */
export async function fetchLag(
  config: KafkaConfig,
  options: { group: string; topic: string },
): Promise<PartitionLag[]> {
  let lastClientError: string | null = null;
  const kafka = new Kafka(kafkajsOptions(config, (message) => (lastClientError = message)));
  // Retries ride out a group coordinator that is still loading (a fresh broker).
  const admin = kafka.admin({ retry: { initialRetryTime: 300, retries: 8 } });
  try {
    await connectWithin(config, {
      attempt: async () => {
        await admin.connect();
        await admin.describeCluster();
      },
      reset: () => admin.disconnect(),
      lastClientError: () => lastClientError,
    });
    const topics = await admin.listTopics();
    if (!topics.includes(options.topic)) {
      throw new Error(`Topic ${options.topic} does not exist`);
    }
    const ends = await admin.fetchTopicOffsets(options.topic);
    const [committed] = await admin.fetchOffsets({
      groupId: options.group,
      topics: [options.topic],
    });
    const byPartition = new Map(
      (committed?.partitions ?? []).map((p) => [p.partition, p.offset]),
    );
    return ends.map((end) => {
      const raw = byPartition.get(end.partition);
      const has = raw !== undefined && BigInt(raw) >= 0n;
      const from = has ? BigInt(raw) : BigInt(end.low);
      const lag = BigInt(end.high) - from;
      return {
        partition: end.partition,
        committed: has ? raw : null,
        end: end.high,
        start: end.low,
        lag: Number(lag < 0n ? 0n : lag),
      };
    }).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
