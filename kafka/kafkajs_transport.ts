/**
 * The {@linkcode ProducerTransport} over kafkajs: idempotent producer, `acks=all`, gzip.
 *
 * @module
 */
import "./kafkajs_warnings.ts";
import { Buffer } from "node:buffer";
import { getLogger } from "@logtape/logtape";
import {
  type Admin,
  CompressionTypes,
  Kafka,
  type KafkaConfig as KafkajsConfig,
  logLevel,
  type Producer,
  type SASLOptions,
} from "kafkajs";
import type { KafkaConfig } from "../config/config.ts";
import { delay } from "../runtime/delay.ts";
import {
  BrokerAuthenticationError,
  BrokerUnreachableError,
  type Delivery,
  DeliveryError,
  type OutRecord,
  type ProducerTransport,
  type TopicInfo,
  type TopicSpec,
} from "./transport.ts";

const logger = getLogger(["crypto", "kafka"]);

/** Options for {@linkcode KafkajsProducerTransport}. */
export interface KafkajsTransportOptions {
  /** Compress batches with gzip. @default {true} */
  gzip?: boolean;
}

/**
 * Builds the kafkajs client options from our configuration; kafkajs logs go to LogTape.
 *
 * @param config Brokers, client id, TLS and SASL.
 * @returns The kafkajs options.
 *
 * @example
 * ```ts
 * import { kafkajsOptions } from "./kafkajs_transport.ts";
 * const options = kafkajsOptions({ brokers: ["localhost:9092"], clientId: "x", ssl: false, sasl: null,
 *   topic: "t", partitions: 3, replicationFactor: 1, connectTimeoutMs: 30_000 });
 * console.log(options.brokers); // ["localhost:9092"]
 * ```
 */
export function kafkajsOptions(
  config: KafkaConfig,
  onError: (message: string) => void = () => {},
): KafkajsConfig {
  const options: KafkajsConfig = {
    brokers: config.brokers,
    clientId: config.clientId,
    ssl: config.ssl,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 5 },
    logLevel: logLevel.INFO,
    logCreator: () => ({ level, log }) => {
      const text = `kafkajs ${log.logger ?? ""}: ${log.message}`;
      if (level === logLevel.ERROR) onError(log.message.replace(/^Failed to connect.*?: /, ""));
      if (level === logLevel.ERROR) logger.debug(text, { ...log });
      else if (level === logLevel.WARN) logger.debug(text, { ...log });
      else logger.trace(text, { ...log });
    },
  };
  if (config.sasl) {
    options.sasl = {
      mechanism: config.sasl.mechanism,
      username: config.sasl.username,
      password: config.sasl.password,
    } as SASLOptions;
  }
  return options;
}

/**
 * Whether a kafkajs error may go away by itself (broker away, leader moving, timeouts).
 *
 * @param error What kafkajs threw.
 * @returns True unless the broker refused the records for good.
 *
 * @example
 * ```ts
 * import { isRetriable } from "./kafkajs_transport.ts";
 * console.log(isRetriable(new Error("Connection error"))); // true
 * ```
 */
export function isRetriable(error: unknown): boolean {
  const e = error as { name?: string; retriable?: boolean; originalError?: unknown };
  const inner = e?.originalError as { name?: string; retriable?: boolean } | undefined;
  const protocol = [e?.name, inner?.name].includes("KafkaJSProtocolError");
  if (!protocol) return true;
  const refused = e?.name === "KafkaJSProtocolError" ? e.retriable : inner?.retriable;
  return refused !== false;
}

class DeadlineError extends Error {}

/** Runs `work`, rejecting once the deadline passes (the work itself is left to fail). */
async function beforeDeadline(deadline: number, work: () => Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineError("no answer before the deadline")),
      Math.max(0, deadline - Date.now()),
    );
  });
  const attempt = work();
  attempt.catch(() => {});
  try {
    await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long disconnecting may take before the program goes on without it, ms. */
export const DISCONNECT_TIMEOUT_MS = 5_000;

/**
 * Disconnects kafkajs clients one after the other, giving up on one that has not finished
 * within `timeoutMs` (a broker that stopped answering keeps a request open for its whole
 * request timeout, which would hold up the exit).
 *
 * @param clients What to disconnect, in order.
 * @param timeoutMs The time allowed each.
 * @returns The clients that did not finish in time, by index.
 *
 * @example
 * ```ts
 * import { disconnectWithin } from "./kafkajs_transport.ts";
 * const late = await disconnectWithin([{ disconnect: () => new Promise<void>(() => {}) }], 10);
 * console.log(late); // [0]
 * ```
 */
export async function disconnectWithin(
  clients: readonly { disconnect(): Promise<void> }[],
  timeoutMs: number = DISCONNECT_TIMEOUT_MS,
): Promise<number[]> {
  const late: number[] = [];
  for (const [i, client] of clients.entries()) {
    try {
      await beforeDeadline(Date.now() + timeoutMs, () => client.disconnect());
    } catch (error) {
      if (error instanceof DeadlineError) {
        late.push(i);
        logger.warn("Kafka did not confirm the disconnect within {seconds} s; going on", {
          seconds: timeoutMs / 1000,
        });
      }
    }
  }
  return late;
}

/**
 * Creates a topic when missing (another client creating it at the same time is fine) and
 * returns its partition count.
 *
 * @param admin A kafkajs admin client.
 * @param spec The topic, partitions and replication factor.
 * @returns Its partition count and whether this call created it.
 */
export async function ensureTopicWith(admin: Admin, spec: TopicSpec): Promise<TopicInfo> {
  await admin.connect();
  const partitionsOf = async (): Promise<number | null> => {
    if (!(await admin.listTopics()).includes(spec.topic)) return null;
    const metadata = await admin.fetchTopicMetadata({ topics: [spec.topic] });
    return metadata.topics[0]?.partitions.length ?? null;
  };
  const existing = await partitionsOf();
  if (existing !== null) return { partitions: existing, created: false };
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
      }],
    });
  } catch (error) {
    const again = await partitionsOf();
    if (again === null) throw error;
    return { partitions: again, created: false };
  }
  return { partitions: (await partitionsOf()) ?? spec.partitions, created: true };
}

/** What {@linkcode connectWithin} retries. */
export interface ConnectAttempt {
  /** One try at connecting. */
  attempt: () => Promise<void>;
  /** Undoes a failed try. */
  reset: () => Promise<void>;
  /** The last error the client logged, a better cause than a timeout. */
  lastClientError: () => string | null;
  /** Aborting gives up at once. */
  signal?: AbortSignal;
}

/**
 * Retries `attempt` until it succeeds or `connectTimeoutMs` has passed.
 *
 * @param config Brokers and the deadline.
 * @param connect The attempt, its reset and the last client error.
 * @returns Resolves once connected.
 * @throws {BrokerUnreachableError} Past the deadline.
 */
export async function connectWithin(config: KafkaConfig, connect: ConnectAttempt): Promise<void> {
  const deadline = Date.now() + config.connectTimeoutMs;
  let last: unknown = null;
  let attempt = 0;
  while (Date.now() < deadline) {
    connect.signal?.throwIfAborted();
    try {
      await beforeDeadline(deadline, connect.attempt);
      return;
    } catch (error) {
      last = error;
      attempt++;
      const text = `${error instanceof Error ? error.name : ""} ${
        connect.lastClientError() ?? ""
      } ${error instanceof Error ? error.message : ""}`;
      if (/SASLAuthentication|authentication failed/i.test(text)) {
        await connect.reset().catch(() => {});
        const who = config.sasl
          ? `user ${JSON.stringify(config.sasl.username)} (${config.sasl.mechanism.toUpperCase()})`
          : "this client";
        throw new BrokerAuthenticationError(
          `Kafka at ${
            config.brokers.join(",")
          } refused the credentials of ${who}: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM`,
          { cause: error },
        );
      }
      logger.debug("Kafka not reachable yet (attempt {attempt}): {error}", {
        attempt,
        error: String(error),
      });
      await connect.reset().catch(() => {});
      const wait = Math.min(1_000, Math.max(0, deadline - Date.now()));
      await delay(wait, connect.signal ? { signal: connect.signal } : {});
    }
  }
  const seconds = Math.round(config.connectTimeoutMs / 1000);
  throw new BrokerUnreachableError(
    `Cannot reach Kafka at ${config.brokers.join(",")} within ${seconds}s: ${
      connect.lastClientError() ?? (last instanceof Error ? last.message : String(last))
    }`,
    { cause: last },
  );
}

/**
 * Hands out a partition's offsets from a base offset: as numbers while they are exact (every
 * offset a broker gives out for years), as BigInt beyond.
 */
export class Offsets {
  #number: number;
  #big: bigint | null;

  /** @param base The first offset, decimal. */
  constructor(base: string) {
    this.#number = Number(base);
    this.#big = Number.isSafeInteger(this.#number + 1e6) ? null : BigInt(base);
  }

  /** @returns The next offset, decimal. */
  next(): string {
    if (this.#big !== null) return (this.#big++).toString();
    const offset = this.#number++;
    if (!Number.isSafeInteger(this.#number + 1e6)) this.#big = BigInt(this.#number);
    return String(offset);
  }
}

/** Publishes through a kafkajs producer. */
export class KafkajsProducerTransport implements ProducerTransport {
  #config: KafkaConfig;
  #kafka: Kafka;
  #producer: Producer;
  #admin: Admin;
  #gzip: boolean;
  #lastClientError: string | null = null;

  /**
   * @param config Where and how to connect.
   * @param options Compression.
   */
  constructor(config: KafkaConfig, options: KafkajsTransportOptions = {}) {
    this.#config = config;
    this.#gzip = options.gzip ?? true;
    this.#kafka = new Kafka(kafkajsOptions(config, (message) => (this.#lastClientError = message)));
    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 5 },
    });
    this.#admin = this.#kafka.admin({ retry: { initialRetryTime: 300, retries: 8 } });
  }

  /** Connects the admin client and the producer, retrying until `connectTimeoutMs`. */
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    return connectWithin(this.#config, {
      attempt: async () => {
        await this.#admin.connect();
        await this.#admin.describeCluster();
        await this.#producer.connect();
      },
      reset: () => this.#admin.disconnect(),
      lastClientError: () => this.#lastClientError,
      ...options,
    });
  }

  /** Creates the topic when missing and returns its partition count. */
  ensureTopic(spec: TopicSpec): Promise<TopicInfo> {
    return ensureTopicWith(this.#admin, spec);
  }

  /** Sends the records in one request per broker; returns their offsets in record order. */
  async send(topic: string, records: readonly OutRecord[]): Promise<Delivery[]> {
    let metadata;
    try {
      metadata = await this.#producer.send({
        topic,
        acks: -1,
        compression: this.#gzip ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: records.map((r) => ({
          key: r.key,
          // kafkajs copies a Buffer as it is and writes anything else as text.
          value: typeof r.value === "string"
            ? r.value
            : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          headers: r.headers,
          partition: r.partition,
          timestamp: String(r.timestamp),
        })),
      });
    } catch (error) {
      throw new DeliveryError(
        `Kafka did not acknowledge ${records.length} message(s): ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error, retriable: isRetriable(error) },
      );
    }
    // Offsets count up from each partition's base offset, in record order.
    const next = new Map<number, Offsets>();
    for (const m of metadata) next.set(m.partition, new Offsets(m.baseOffset ?? "0"));
    return records.map((r) => {
      let offsets = next.get(r.partition);
      if (!offsets) next.set(r.partition, offsets = new Offsets("0"));
      return { partition: r.partition, offset: offsets.next() };
    });
  }

  /** Disconnects the producer and the admin client, each within `DISCONNECT_TIMEOUT_MS`. */
  async disconnect(): Promise<void> {
    await disconnectWithin([this.#producer, this.#admin]);
  }
}
