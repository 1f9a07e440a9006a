/**
 * Produce throughput: the product's replay worker → Publisher (in-process, the real
 * `producerChildren` under a `Supervisor`, over `PlatformaticProducerTransport`), plain
 * `@platformatic/kafka` and plain kafkajs with batched `send`, kcat, and Kafka's own
 * ProducerPerformance.
 *
 * @module
 */
import {
  compatibilityPartitioner,
  type MessageToProduce,
  ProduceAcks,
  Producer,
  stringSerializers,
} from "@platformatic/kafka";
import { CompressionTypes } from "kafkajs";
import { logSupervisorEvent, producerChildren } from "../actors/producer_topology.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { type BenchOptions, freshTopic, plainKafka, producerConfig } from "./common.ts";
import type { PlainRecord } from "./data.ts";

/** One produce measurement. */
export interface ProduceRun {
  /** Messages acknowledged. */
  messages: number;
  /** Seconds from the first send to the last acknowledgement. */
  seconds: number;
  /** Messages per second. */
  rate: number;
  /** The topic written (for clean-up and for consumers). */
  topic: string;
}

/**
 * The pipeline: replay source → Encoder → Publisher → Kafka, as `produce --source replay:FILE`.
 *
 * @param opts Bench options.
 * @param options The recording, its lines, passes and compression.
 * @returns The measurement.
 */
export async function producePipeline(
  opts: BenchOptions,
  options: { file: string; lines: number; passes: number; gzip: boolean },
): Promise<ProduceRun> {
  const topic = await freshTopic(opts, "bench-produce-pipeline");
  const config = producerConfig(opts, topic, [
    "--source",
    `replay:${options.file}`,
    "--iterations",
    String(options.passes),
  ]);
  const transport = new PlatformaticProducerTransport(config.kafka, { gzip: options.gzip });
  await transport.connect();
  const { partitions } = await transport.ensureTopic({
    topic,
    partitions: 3,
    replicationFactor: 1,
  });
  const { children, report } = producerChildren({
    config,
    client: { fetchPrices: () => Promise.reject(new Error("not used")) },
    transport,
    partitions,
    print: () => {},
  });
  const supervisor = new Supervisor(children, { onEvent: logSupervisorEvent });
  const started = performance.now();
  await supervisor.run();
  const seconds = (performance.now() - started) / 1000;
  await transport.disconnect();
  const messages = report.totals.produced;
  const expected = options.lines * options.passes;
  if (messages !== expected) throw new Error(`pipeline produced ${messages} of ${expected}`);
  return { messages, seconds, rate: messages / seconds, topic };
}

/**
 * Plain `@platformatic/kafka` used its best way: an idempotent producer, `acks=all`, one awaited
 * `send` of `batch` messages after another (it allows one request in flight when idempotent),
 * string keys, values and headers through its own string serializers, the partition chosen by its
 * Java-compatible partitioner. The messages are built before the clock starts.
 *
 * @param opts Bench options.
 * @param options The records, batch size and compression.
 * @returns The measurement.
 */
export async function producePlatformatic(
  opts: BenchOptions,
  options: { records: readonly PlainRecord[]; batch: number; gzip: boolean },
): Promise<ProduceRun> {
  const topic = await freshTopic(opts, "bench-produce-platformatic");
  const producer = new Producer<string, string, string, string>({
    clientId: "bench",
    bootstrapBrokers: opts.brokers.split(","),
    idempotent: true,
    acks: ProduceAcks.ALL,
    compression: options.gzip ? "gzip" : "none",
    serializers: stringSerializers,
    partitioner: compatibilityPartitioner,
  });
  await producer.initIdempotentProducer({});
  const messages: MessageToProduce<string, string, string, string>[] = options.records.map((r) => ({
    topic,
    key: r.key,
    value: r.value,
    headers: r.headers,
  }));
  const { batch } = options;
  const started = performance.now();
  for (let i = 0; i < messages.length; i += batch) {
    await producer.send({ messages: messages.slice(i, i + batch) });
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  return { messages: messages.length, seconds, rate: messages.length / seconds, topic };
}

/**
 * Plain kafkajs used its best way: an idempotent producer, `acks=-1`, one awaited `send` of
 * `batch` messages after another (kafkajs allows one request in flight when idempotent). The
 * records are built before the clock starts.
 *
 * @param opts Bench options.
 * @param options The records, batch size and compression; the topic (a fresh one by default).
 * @returns The measurement.
 */
export async function produceKafkajs(
  opts: BenchOptions,
  options: {
    records: readonly PlainRecord[];
    batch: number;
    gzip: boolean;
    topic?: string;
  },
): Promise<ProduceRun> {
  const topic = options.topic ?? await freshTopic(opts, "bench-produce-kafkajs");
  const producer = plainKafka(opts).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const compression = options.gzip ? CompressionTypes.GZIP : CompressionTypes.None;
  const { records, batch } = options;
  const started = performance.now();
  for (let i = 0; i < records.length; i += batch) {
    await producer.send({
      topic,
      acks: -1,
      compression,
      messages: records.slice(i, i + batch) as PlainRecord[],
    });
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return { messages: records.length, seconds, rate: records.length / seconds, topic };
}

/**
 * kcat (librdkafka) producing the same records from a file (`KEY<TAB>VALUE` a line, the two
 * headers on every record): idempotent, `acks=all`, Kafka's murmur2 partitioner, librdkafka's
 * default batching. Wall time of the whole process, connecting included.
 *
 * @param opts Bench options.
 * @param options The records file, how many it holds, and compression.
 * @returns The measurement.
 */
export async function produceKcat(
  opts: BenchOptions,
  options: { recordsFile: string; messages: number; gzip: boolean },
): Promise<ProduceRun> {
  const topic = await freshTopic(opts, "bench-produce-kcat");
  const started = performance.now();
  const out = await new Deno.Command("kcat", {
    args: [
      "-P",
      "-b",
      opts.brokers,
      "-t",
      topic,
      "-K",
      "\t",
      "-H",
      "content-type=application/json",
      "-H",
      "schema=crypto-price/v1",
      "-z",
      options.gzip ? "gzip" : "none",
      "-X",
      "enable.idempotence=true",
      "-X",
      "acks=all",
      "-X",
      "partitioner=murmur2_random",
      "-l",
      options.recordsFile,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success) throw new Error(`kcat failed: ${new TextDecoder().decode(out.stderr)}`);
  return { messages: options.messages, seconds, rate: options.messages / seconds, topic };
}

/**
 * Kafka's own ProducerPerformance (Java client, default batching), with the same values as
 * payloads (`--payload-file`, one value a line; it sends them without keys).
 *
 * @param opts Bench options.
 * @param options The payload file, count and compression.
 * @returns The measurement, or null without Java or the jars.
 */
export async function produceJava(
  opts: BenchOptions,
  options: { payloadFile: string; messages: number; gzip: boolean },
): Promise<ProduceRun | null> {
  const topic = await freshTopic(opts, "bench-produce-java");
  let out;
  try {
    out = await new Deno.Command("java", {
      args: [
        "-Xmx512m",
        "-cp",
        `${opts.kafkaLibs}/*`,
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        String(options.messages),
        "--payload-file",
        options.payloadFile,
        "--throughput",
        "-1",
        "--producer-props",
        `bootstrap.servers=${opts.brokers}`,
        "acks=all",
        "enable.idempotence=true",
        `compression.type=${options.gzip ? "gzip" : "none"}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(`cannot run java: ${error instanceof Error ? error.message : error}`);
  }
  const text = new TextDecoder().decode(out.stdout);
  // "200000 records sent, 123456.7 records/sec (35.32 MB/sec), 12.3 ms avg latency, ..."
  const last = text.trim().split("\n").filter((l) => l.includes("records sent")).pop() ?? "";
  const m = /^(\d+) records sent, ([\d.]+) records\/sec/.exec(last);
  if (!out.success || !m) {
    throw new Error(
      `ProducerPerformance failed: ${text.slice(-500)}${
        new TextDecoder().decode(out.stderr).slice(-1000)
      }`,
    );
  }
  const messages = Number(m[1]);
  const rate = Number(m[2]);
  return { messages, seconds: messages / rate, rate, topic };
}
