/**
 * Consume throughput: the product's Subscriber → Printer (`--format json` to /dev/null,
 * in-process, the real `consumerChildren` under a `Supervisor`, over
 * `PlatformaticConsumerTransport`), plain `@platformatic/kafka` (its messages stream) and plain
 * kafkajs (`eachBatch`) writing the raw values, kcat, and Kafka's own ConsumerPerformance. Each
 * reads the same prefilled topic with a fresh consumer group.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { Consumer } from "@platformatic/kafka";
import type { Batch } from "kafkajs";
import { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import { printingConsumer } from "../actors/printing_consumer.ts";
import { type BenchOptions, consumerConfig, plainKafka, unique } from "./common.ts";

/** One consume measurement. */
export interface ConsumeRun {
  /** Messages read. */
  messages: number;
  /** Seconds from the first message to the last. */
  seconds: number;
  /** Messages per second. */
  rate: number;
  /** Seconds from start to the first message (connect, group join, first fetch). */
  startSeconds: number;
  /** Writes to the output, when counted. */
  writes?: number;
}

/**
 * The pipeline: Kafka → Subscriber → Printer, composed as `bin/consume.ts` composes it (same
 * buffered output, flushed before each commit), as
 * `consume --format json --from-beginning --max-messages N > /dev/null`.
 *
 * @param opts Bench options.
 * @param options The topic and how many messages it holds.
 * @returns The measurement.
 */
export async function consumePipeline(
  opts: BenchOptions,
  options: { topic: string; messages: number },
): Promise<ConsumeRun> {
  const group = unique("bench-pipeline");
  const config = consumerConfig(opts, options.topic, [
    "--format",
    "json",
    "--from-beginning",
    "--max-messages",
    String(options.messages),
    "--group",
    group,
  ]);
  const devNull = Deno.openSync("/dev/null", { write: true });
  let first = 0;
  let last = 0;
  let count = 0;
  let writes = 0;
  const transport = new PlatformaticConsumerTransport(config.kafka, config.group);
  const started = performance.now();
  await transport.connect();
  // Exactly what `consume` runs, its output written to /dev/null.
  const { supervisor, report, output } = printingConsumer(config, {
    transport,
    write: (bytes) => {
      devNull.writeSync(bytes);
      writes++;
      last = performance.now();
      if (first === 0) first = last;
    },
  });
  await supervisor.run();
  output.flush();
  await transport.disconnect();
  devNull.close();
  count = report.printed;
  if (report.printed !== options.messages) {
    throw new Error(`pipeline printed ${report.printed} of ${options.messages}`);
  }
  const seconds = (last - first) / 1000;
  return {
    messages: count,
    seconds,
    rate: count / seconds,
    startSeconds: (first - started) / 1000,
    writes,
  };
}

/**
 * Plain kafkajs `eachBatch`: each batch's values written to /dev/null, one a line, in one write
 * (what kcat does); offsets auto-resolved and committed.
 *
 * @param opts Bench options.
 * @param options The topic and how many messages it holds.
 * @returns The measurement.
 */
export function consumeKafkajs(
  opts: BenchOptions,
  options: { topic: string; messages: number },
): Promise<ConsumeRun> {
  return consumeKafkajsBatches(opts, options, "bench-kafkajs", ({ messages }) => {
    // The values, one a line, in one write (as kcat prints them).
    let size = 0;
    for (const message of messages) size += (message.value?.length ?? 0) + 1;
    const out = new Uint8Array(size);
    let at = 0;
    for (const message of messages) {
      if (message.value) {
        out.set(message.value, at);
        at += message.value.length;
      }
      out[at++] = 10;
    }
    return out;
  });
}

/**
 * The plain kafkajs consumers' harness: a fresh group from the beginning of the topic,
 * `eachBatch` with offsets auto-resolved and committed, each batch turned into bytes by `render`
 * and written to /dev/null in one write; the clock runs from the first batch to the last.
 *
 * @param opts Bench options.
 * @param options The topic and how many messages it holds.
 * @param group The consumer group's prefix.
 * @param render What a batch becomes on the output.
 * @returns The measurement.
 */
async function consumeKafkajsBatches(
  opts: BenchOptions,
  options: { topic: string; messages: number },
  group: string,
  render: (batch: Batch) => Uint8Array,
): Promise<ConsumeRun> {
  const consumer = plainKafka(opts).consumer({ groupId: unique(group) });
  const devNull = Deno.openSync("/dev/null", { write: true });
  let first = 0;
  let last = 0;
  let count = 0;
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (count === 0) first = performance.now();
      const out = render(batch);
      devNull.writeSync(out);
      bytes += out.length;
      count += batch.messages.length;
      last = performance.now();
      if (count >= options.messages) done();
      await Promise.resolve();
    },
  });
  await finished;
  await consumer.disconnect();
  devNull.close();
  if (bytes === 0) throw new Error("kafkajs read nothing");
  const seconds = (last - first) / 1000;
  return {
    messages: count,
    seconds,
    rate: count / seconds,
    startSeconds: (first - started) / 1000,
  };
}

/**
 * Plain `@platformatic/kafka` as its documentation has it: a consumer's messages stream from the
 * earliest offset, each message's value written to /dev/null with a newline, gathered into one
 * write per turn of the event loop (what kcat prints); no offsets committed.
 *
 * @param opts Bench options.
 * @param options The topic and how many messages it holds.
 * @returns The measurement.
 */
export async function consumePlatformatic(
  opts: BenchOptions,
  options: { topic: string; messages: number },
): Promise<ConsumeRun> {
  const consumer = new Consumer({
    clientId: "bench",
    bootstrapBrokers: opts.brokers.split(","),
    groupId: unique("bench-platformatic"),
    autocommit: false,
    maxBytesPerPartition: 1_048_576,
    maxBytes: 4 * 1_048_576,
  });
  const devNull = Deno.openSync("/dev/null", { write: true });
  let first = 0;
  let last = 0;
  let count = 0;
  let values: Buffer[] = [];
  let size = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const out = new Uint8Array(size);
    let at = 0;
    for (const value of values) {
      out.set(value, at);
      at += value.length;
      out[at++] = 10;
    }
    devNull.writeSync(out);
    values = [];
    size = 0;
    last = performance.now();
  };
  const started = performance.now();
  const stream = await consumer.consume({ topics: [options.topic], mode: "earliest" });
  await new Promise<void>((resolve) => {
    stream.on("data", (message) => {
      if (count >= options.messages) return;
      if (count++ === 0) first = performance.now();
      values.push(message.value);
      size += message.value.length + 1;
      if (count >= options.messages) {
        flush();
        resolve();
      } else if (!scheduled) {
        scheduled = true;
        setTimeout(flush, 0);
      }
    });
  });
  await consumer.close(true);
  devNull.close();
  const seconds = (last - first) / 1000;
  return {
    messages: count,
    seconds,
    rate: count / seconds,
    startSeconds: (first - started) / 1000,
  };
}

/**
 * Kafka's own ConsumerPerformance (Java client, default fetch settings) reading the topic with a
 * fresh group; its fetch rate (`fetch.nMsg.sec`: from the first fetch to the last, without the
 * group join).
 *
 * @param opts Bench options.
 * @param options The topic and how many messages it holds.
 * @returns The measurement.
 */
export async function consumeJava(
  opts: BenchOptions,
  options: { topic: string; messages: number },
): Promise<ConsumeRun> {
  const out = await new Deno.Command("java", {
    args: [
      "-Xmx512m",
      "-cp",
      `${opts.kafkaLibs}/*`,
      "org.apache.kafka.tools.ConsumerPerformance",
      "--bootstrap-server",
      opts.brokers,
      "--topic",
      options.topic,
      "--num-records",
      String(options.messages),
      "--group",
      unique("bench-java"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  // "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  //  rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" and one line of figures.
  const lines = text.split("\n");
  const header = lines.findIndex((l) => l.startsWith("start.time"));
  const fields = (lines[header + 1] ?? "").split(",").map((f) => f.trim());
  const names = (lines[header] ?? "").split(",").map((f) => f.trim());
  const rate = Number(fields[names.indexOf("fetch.nMsg.sec")]);
  const messages = Number(fields[names.indexOf("data.consumed.in.nMsg")]);
  if (!out.success || header < 0 || !(rate > 0)) {
    throw new Error(
      `ConsumerPerformance failed: ${text.slice(-500)}${
        new TextDecoder().decode(out.stderr).slice(-1000)
      }`,
    );
  }
  const rebalanceMs = Number(fields[names.indexOf("rebalance.time.ms")]);
  return { messages, seconds: messages / rate, rate, startSeconds: rebalanceMs / 1000 };
}

/**
 * `kcat -C -e -o beginning` to /dev/null; wall time of the whole process (connecting included).
 *
 * @param opts Bench options.
 * @param options The topic and how many messages it holds.
 * @returns The measurement, or null without kcat.
 */
export async function consumeKcat(
  opts: BenchOptions,
  options: { topic: string; messages: number },
): Promise<ConsumeRun> {
  const started = performance.now();
  const out = await new Deno.Command("kcat", {
    args: ["-C", "-b", opts.brokers, "-t", options.topic, "-e", "-o", "beginning", "-q"],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success) throw new Error(`kcat failed: ${new TextDecoder().decode(out.stderr)}`);
  return { messages: options.messages, seconds, rate: options.messages / seconds, startSeconds: 0 };
}
