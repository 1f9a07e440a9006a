/**
 * End-to-end latency through the broker at a fixed rate: the product's producer and consumer
 * topologies in one process (as `start --transport kafka`), from the moment a price is handed
 * to the Encoder's channel to the moment the Printer writes it; and the same for plain
 * `@platformatic/kafka` and plain kafkajs producer → consumer.
 *
 * @module
 */
import {
  Consumer,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { consumerChildren } from "../actors/consumer_topology.ts";
import { logSupervisorEvent, producerChildren } from "../actors/producer_topology.ts";
import { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { flushBeforeCommit } from "../actors/printing_consumer.ts";
import { bufferedOutput } from "../runtime/buffered_output.ts";
import {
  type BenchOptions,
  consumerConfig,
  freshTopic,
  percentile,
  plainKafka,
  producerConfig,
  sleep,
  unique,
} from "./common.ts";
import { priceLine } from "./data.ts";

/** Latency figures, ms. */
export interface LatencyRun {
  /** Rate asked for, messages/s. */
  rate: number;
  /** Messages measured. */
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** Messages sent but never seen. */
  lost: number;
}

function summarize(rate: number, latencies: number[], sent: number): LatencyRun {
  latencies.sort((a, b) => a - b);
  return {
    rate,
    samples: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    lost: sent - latencies.length,
  };
}

/** Calls `tick(i)` `count` times at `rate` per second, on an absolute schedule. */
async function paced(rate: number, count: number, tick: (i: number) => void | Promise<void>) {
  const interval = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + i * interval - performance.now();
    if (wait >= 1) await sleep(wait);
    await tick(i);
  }
}

/**
 * The pipeline: a paced replay source (the product's replay actor reading lines as they come)
 * → Encoder → Publisher → Kafka → Subscriber → Printer (`--format json`), one supervisor.
 *
 * @param opts Bench options.
 * @param rate Messages per second.
 * @returns The figures.
 */
export async function latencyPipeline(opts: BenchOptions, rate: number): Promise<LatencyRun> {
  const topic = await freshTopic(opts, "bench-latency-pipeline");
  const count = Math.round(rate * opts.latencySeconds);
  const t0 = new Map<string, number>();
  const latencies: number[] = [];
  let warm = false;
  const devNull = Deno.openSync("/dev/null", { write: true });
  const decoder = new TextDecoder();
  // The output of `consume`: the time a message is written is its arrival.
  const output = bufferedOutput((bytes) => {
    devNull.writeSync(bytes);
    const now = performance.now();
    for (const [, id] of decoder.decode(bytes).matchAll(/"message_id":"([^"]+)"/g)) {
      if (id!.startsWith("WARM")) warm = true;
      const at = t0.get(id!);
      if (at !== undefined) latencies.push(now - at);
    }
  });
  // Warm-up lines (symbol WARM) until the consumer prints one, then the measured lines.
  const base = Date.now();
  async function* lines(): AsyncIterable<string> {
    for (let i = 0; !warm && i < 600; i++) {
      yield JSON.stringify({
        symbol: "WARM",
        coin_id: "warm",
        price_usd: 1,
        timestamp: new Date(base - 100_000 + i).toISOString(),
      });
      await sleep(50);
    }
    await sleep(200);
    const queue: string[] = [];
    let wake: (() => void) | null = null;
    let ended = false;
    void paced(rate, count, (i) => {
      queue.push(priceLine(i, base));
      wake?.();
    }).then(() => {
      ended = true;
      wake?.();
    });
    while (true) {
      while (queue.length > 0) {
        const line = queue.shift()!;
        t0.set(/"message_id":"([^"]+)"/.exec(line)![1]!, performance.now());
        yield line;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  }
  const pConfig = producerConfig(opts, topic, [
    "--source",
    "replay:/dev/null",
    "--iterations",
    "1",
  ]);
  const cConfig = consumerConfig(opts, topic, [
    "--format",
    "json",
    "--from-beginning",
    "--group",
    unique("bench-latency"),
  ]);
  const producerTransport = new PlatformaticProducerTransport(pConfig.kafka, { gzip: true });
  const consumerTransport = new PlatformaticConsumerTransport(cConfig.kafka, cConfig.group);
  await producerTransport.connect();
  await consumerTransport.connect();
  const producing = producerChildren({
    config: pConfig,
    replayLines: lines,
    client: { fetchPrices: () => Promise.reject(new Error("not used")) },
    transport: producerTransport,
    partitions: 3,
    print: () => {},
  });
  const consuming = consumerChildren({
    config: cConfig,
    transport: flushBeforeCommit(consumerTransport, output.flush),
    print: output.print,
    clock: systemClock,
  });
  const supervisor = new Supervisor([...consuming.children, ...producing.children], {
    onEvent: logSupervisorEvent,
  });
  const running = supervisor.run();
  await producing.delivered;
  const deadline = performance.now() + 5_000;
  while (latencies.length < count && performance.now() < deadline) await sleep(20);
  await supervisor.stop();
  await running;
  await producerTransport.disconnect();
  await consumerTransport.disconnect();
  devNull.close();
  return summarize(rate, latencies, count);
}

/**
 * Plain `@platformatic/kafka`: an idempotent producer sending each message as it comes (`acks=all`,
 * gzip, as the product), a consumer's messages stream taking the time.
 *
 * @param opts Bench options.
 * @param rate Messages per second.
 * @returns The figures.
 */
export async function latencyPlatformatic(opts: BenchOptions, rate: number): Promise<LatencyRun> {
  const topic = await freshTopic(opts, "bench-latency-platformatic");
  const count = Math.round(rate * opts.latencySeconds);
  const brokers = opts.brokers.split(",");
  const producer = new Producer<string, string, string, string>({
    clientId: "bench",
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    compression: "gzip",
    serializers: stringSerializers,
  });
  const consumer = new Consumer<string, string, string, string>({
    clientId: "bench",
    bootstrapBrokers: brokers,
    groupId: unique("bench-latency-platformatic"),
    autocommit: false,
    deserializers: stringDeserializers,
  });
  const t0 = new Map<string, number>();
  const latencies: number[] = [];
  let warm = false;
  await producer.initIdempotentProducer({});
  const stream = await consumer.consume({ topics: [topic], mode: "earliest" });
  stream.on("data", (message) => {
    const now = performance.now();
    const id = message.key ?? "";
    if (id === "WARM") warm = true;
    const at = t0.get(id);
    if (at !== undefined) latencies.push(now - at);
  });
  for (let i = 0; !warm && i < 600; i++) {
    await producer.send({ messages: [{ topic, key: "WARM", value: "{}" }] });
    await sleep(50);
  }
  await sleep(200);
  const base = Date.now();
  const pending: Promise<unknown>[] = [];
  await paced(rate, count, (i) => {
    const value = priceLine(i, base);
    const id = /"message_id":"([^"]+)"/.exec(value)![1]!;
    t0.set(id, performance.now());
    pending.push(producer.send({ messages: [{ topic, key: id, value }] }));
  });
  await Promise.all(pending);
  const deadline = performance.now() + 5_000;
  while (latencies.length < count && performance.now() < deadline) await sleep(20);
  await consumer.close(true);
  await producer.close();
  return summarize(rate, latencies, count);
}

/**
 * Plain kafkajs: an idempotent producer sending each message as it comes (`acks=-1`, gzip, as
 * the product), a consumer's `eachMessage` taking the time.
 *
 * @param opts Bench options.
 * @param rate Messages per second.
 * @returns The figures.
 */
export async function latencyKafkajs(opts: BenchOptions, rate: number): Promise<LatencyRun> {
  const topic = await freshTopic(opts, "bench-latency-kafkajs");
  const count = Math.round(rate * opts.latencySeconds);
  const kafka = plainKafka(opts);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: unique("bench-latency-kafkajs") });
  const t0 = new Map<string, number>();
  const latencies: number[] = [];
  let warm = false;
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const now = performance.now();
      const id = message.key?.toString() ?? "";
      if (id === "WARM") warm = true;
      const at = t0.get(id);
      if (at !== undefined) latencies.push(now - at);
      await Promise.resolve();
    },
  });
  const { CompressionTypes } = await import("kafkajs");
  for (let i = 0; !warm && i < 600; i++) {
    await producer.send({ topic, acks: -1, messages: [{ key: "WARM", value: "{}" }] });
    await sleep(50);
  }
  await sleep(200);
  const base = Date.now();
  const pending: Promise<unknown>[] = [];
  await paced(rate, count, (i) => {
    const value = priceLine(i, base);
    const id = /"message_id":"([^"]+)"/.exec(value)![1]!;
    t0.set(id, performance.now());
    pending.push(producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: [{ key: id, value }],
    }));
  });
  await Promise.all(pending);
  const deadline = performance.now() + 5_000;
  while (latencies.length < count && performance.now() < deadline) await sleep(20);
  await consumer.disconnect();
  await producer.disconnect();
  return summarize(rate, latencies, count);
}
