/**
 * The {@linkcode ProducerTransport} over `@platformatic/kafka`: an idempotent producer, `acks=all`,
 * gzip, records on the partition the caller chose (Kafka's Java partitioner, `partitioner.ts`),
 * each stamped with the time it is written.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  Admin,
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  type ProducerOptions,
} from "@platformatic/kafka";
import type { KafkaConfig } from "../config/types.ts";
import { describeClientError, isRetriable } from "./client_errors.ts";
import { connectWithin, disconnectWithin } from "./connect.ts";
import { Offsets } from "./offsets.ts";
import { ensureTopicWith } from "./platformatic_admin.ts";
import { clientOptions } from "./platformatic_options.ts";
import {
  type Delivery,
  DeliveryError,
  type OutRecord,
  type ProducerTransport,
  type TopicInfo,
  type TopicSpec,
} from "./transport.ts";

/** Options for {@linkcode PlatformaticProducerTransport}. */
export interface PlatformaticProducerOptions {
  /** Compress batches with gzip. @default {true} */
  gzip?: boolean;
}

/** A record as the client takes it: bytes, and the timestamp as BigInt. */
type ClientRecord = {
  topic: string;
  key: Buffer;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
  partition: number;
  timestamp: bigint;
};

/** The UTF-8 bytes of text, without a copy for bytes already. */
function bytesOf(value: string | Uint8Array): Buffer {
  return typeof value === "string"
    ? Buffer.from(value, "utf8")
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Publishes through an idempotent `@platformatic/kafka` producer. */
export class PlatformaticProducerTransport implements ProducerTransport {
  #config: KafkaConfig;
  #producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  #admin: Admin;
  // Keys are the few symbols and the headers the same two for every record: their bytes once.
  #texts = new Map<string, Buffer>();
  #headers = new WeakMap<Record<string, string>, Map<Buffer, Buffer>>();

  /**
   * @param config Where and how to connect.
   * @param options Compression.
   *
   * @example
   * ```ts
   * import { PlatformaticProducerTransport } from "./platformatic_producer.ts";
   * const transport = new PlatformaticProducerTransport({ brokers: ["localhost:9092"],
   *   clientId: "x", ssl: false, sasl: null, topic: "t", partitions: 3, replicationFactor: 1,
   *   connectTimeoutMs: 30_000 });
   * await transport.disconnect();
   * ```
   */
  constructor(config: KafkaConfig, options: PlatformaticProducerOptions = {}) {
    this.#config = config;
    const producerOptions: ProducerOptions<Buffer, Buffer, Buffer, Buffer> = {
      ...clientOptions(config),
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: options.gzip ?? true ? "gzip" : "none",
      // Every record comes with its partition; this only decides for one that would not, and
      // then as Kafka's Java client does (the default disagrees for negative hashes).
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
    };
    this.#producer = new Producer(producerOptions);
    this.#admin = new Admin(clientOptions(config));
  }

  /**
   * Reaches the broker and registers the idempotent producer, retrying until `connectTimeoutMs`.
   *
   * @param options Aborting gives up.
   * @returns Resolves once connected.
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    return connectWithin(this.#config, {
      attempt: async () => {
        await this.#producer.metadata({ topics: [], retries: 0 });
        await this.#producer.initIdempotentProducer({});
      },
      ...options,
    });
  }

  /**
   * Creates the topic when missing and returns its partition count.
   *
   * @param spec The topic, partitions and replication factor.
   * @returns Its partition count and whether it was created.
   */
  ensureTopic(spec: TopicSpec): Promise<TopicInfo> {
    return ensureTopicWith(this.#admin, spec);
  }

  /**
   * Sends the records in one request per broker, their Kafka timestamp the time of writing
   * (event times stay in the values); returns their offsets in record order.
   *
   * @param topic The topic.
   * @param records The records, each with its partition.
   * @returns One delivery per record.
   */
  async send(topic: string, records: readonly OutRecord[]): Promise<Delivery[]> {
    const timestamp = BigInt(Date.now());
    const messages: ClientRecord[] = records.map((r) => ({
      topic,
      key: this.#textBytes(r.key),
      value: bytesOf(r.value),
      headers: this.#headerBytes(r.headers),
      partition: r.partition,
      timestamp,
    }));
    let result;
    try {
      result = await this.#producer.send({ messages });
    } catch (error) {
      throw new DeliveryError(
        `Kafka did not acknowledge ${records.length} message(s): ${describeClientError(error)}`,
        { cause: error, retriable: isRetriable(error) },
      );
    }
    // Offsets count up from each partition's base offset, in record order.
    const next = new Map<number, Offsets>();
    for (const o of result.offsets ?? []) {
      if (o.topic === topic) next.set(o.partition, new Offsets(o.offset));
    }
    return records.map((r) => {
      let offsets = next.get(r.partition);
      if (!offsets) next.set(r.partition, offsets = new Offsets(0n));
      return { partition: r.partition, offset: offsets.next() };
    });
  }

  /** Disconnects the producer and the admin client, each within `DISCONNECT_TIMEOUT_MS`. */
  async disconnect(): Promise<void> {
    await disconnectWithin([
      { disconnect: () => this.#producer.close(true) },
      { disconnect: () => this.#admin.close() },
    ]);
  }

  /** The UTF-8 bytes of a key or header text; the few distinct ones are kept. */
  #textBytes(text: string): Buffer {
    let bytes = this.#texts.get(text);
    if (bytes === undefined) {
      bytes = Buffer.from(text, "utf8");
      if (this.#texts.size < 10_000) this.#texts.set(text, bytes);
    }
    return bytes;
  }

  #headerBytes(headers: Record<string, string>): Map<Buffer, Buffer> {
    let bytes = this.#headers.get(headers);
    if (bytes === undefined) {
      bytes = new Map();
      for (const name in headers) bytes.set(this.#textBytes(name), this.#textBytes(headers[name]!));
      this.#headers.set(headers, bytes);
    }
    return bytes;
  }
}
