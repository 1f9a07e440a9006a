/**
 * One pipeline measurement alone, to run under a profiler:
 * `deno run -A --deny-ffi --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.ts produce|consume [--gzip] [--kafkajs|--platformatic] [--brokers host:port] [--topic T]`,
 * or `… bench/profile.ts candles|candles-trades [--store sqlite:FILE|postgres://…] [--topic T]`: what
 * `candles --from-beginning` runs, in process, over prices of 100 symbols or trades of 10 products.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BenchOptions, freshTopic } from "./common.ts";
import { consumeKafkajs, consumePipeline, consumePlatformatic } from "./consume.ts";
import { plainRecords, writeRecording } from "./data.ts";
import { produceKafkajs, producePipeline, producePlatformatic } from "./produce.ts";
import { candlePrices, candlesPipeline, candleTrades } from "./candles.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    gzip: { type: "boolean", default: false },
    brokers: { type: "string", default: "127.0.0.1:9092" },
    messages: { type: "string", default: "100000" },
    kafkajs: { type: "boolean", default: false },
    platformatic: { type: "boolean", default: false },
    topic: { type: "string" },
    store: { type: "string" },
  },
});
const opts: BenchOptions = {
  quick: true,
  brokers: values.brokers!,
  kafkaLibs: "",
  messages: Number(values.messages),
  repetitions: 1,
  latencySeconds: 1,
  tmp: await Deno.makeTempDir({ prefix: "crypto-bench-" }),
};
const lines = 10_000;
const passes = Math.ceil(opts.messages / lines);
const file = `${opts.tmp}/prices.jsonl`;
await writeRecording(file, lines);
if (positionals[0] === "candles" || positionals[0] === "candles-trades") {
  const messages = opts.messages;
  let topic = values.topic;
  if (!topic) {
    const data = positionals[0] === "candles" ? candlePrices(messages) : candleTrades(messages);
    topic = (await produceKafkajs(opts, { records: data.records, batch: 500, gzip: false })).topic;
  }
  console.log(`topic ${topic}`);
  const store = values.store ?? `sqlite:${opts.tmp}/profile.db`;
  const run = await candlesPipeline(opts, { topic, messages, store });
  console.log(`${run.rate.toFixed(0)} messages/s`, run);
} else if (positionals[0] === "produce") {
  const records = values.kafkajs || values.platformatic ? plainRecords(lines * passes) : [];
  const run = values.kafkajs
    ? await produceKafkajs(opts, { records, batch: 500, gzip: values.gzip! })
    : values.platformatic
    ? await producePlatformatic(opts, { records, batch: 500, gzip: values.gzip! })
    : await producePipeline(opts, { file, lines, passes, gzip: values.gzip! });
  console.log(`${run.rate.toFixed(0)} messages/s`);
} else {
  const messages = lines * passes;
  const topic = values.topic ?? await freshTopic(opts, "bench-profile");
  if (!values.topic) {
    await produceKafkajs(opts, {
      records: plainRecords(messages),
      batch: 1000,
      gzip: false,
      topic,
    });
  }
  console.log(`topic ${topic}`);
  const run = values.kafkajs
    ? await consumeKafkajs(opts, { topic, messages })
    : values.platformatic
    ? await consumePlatformatic(opts, { topic, messages })
    : await consumePipeline(opts, { topic, messages });
  console.log(`${run.rate.toFixed(0)} messages/s`, run);
}
Deno.exit(0);
