/**
 * `deno task start`: producer and consumer in one process under one supervisor, over the
 * embedded log (default) or through Kafka.
 *
 * @module
 */
import { CoinGeckoClient } from "../sources/coingecko.ts";
import { candleChildren } from "../actors/candle_topology.ts";
import { consumerChildren } from "../actors/consumer_topology.ts";
import { logSupervisorEvent, producerChildren } from "../actors/producer_topology.ts";
import { loadStartConfig, startCommand } from "../config/config.ts";
import { setupLogging } from "../config/logging.ts";
import { KafkajsConsumerTransport } from "../kafka/kafkajs_consumer.ts";
import { KafkajsProducerTransport } from "../kafka/kafkajs_transport.ts";
import { MemoryLog } from "../kafka/memory_log.ts";
import type { ConsumerTransport, ProducerTransport } from "../kafka/transport.ts";
import { delay, systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import {
  checkReplayFileOrExit,
  connectOrExit,
  describeFatal,
  ensureTopicOrExit,
  fail,
  loadCommand,
  openStoreOrExit,
  print,
  runSupervised,
} from "./shell.ts";

const config = loadCommand(startCommand, loadStartConfig);
const { producer: producerConfig, consumer: consumerConfig, candles: candleConfig } = config;
checkReplayFileOrExit(producerConfig.source);
await setupLogging(producerConfig.log);

const rule = "==========================================";
print(rule);
print("Starting Cryptocurrency Market Analyzer");
print(rule);
print(
  config.transport === "memory"
    ? "Transport: embedded in-process log (no broker needed)"
    : `Transport: Kafka at ${producerConfig.kafka.brokers.join(",")}`,
);
if (producerConfig.source.kind === "replay") {
  print(`Source: replay of ${producerConfig.source.path}, at full speed`);
} else {
  print(`Fetch interval: ${producerConfig.intervalMs / 1000} seconds`);
  print(`Target cryptocurrencies: ${producerConfig.coins.map((c) => c.symbol).join(", ")}`);
}
print(`Topic: ${producerConfig.kafka.topic}`);
const store = candleConfig
  ? await openStoreOrExit(candleConfig.store, candleConfig.storeTimeoutMs)
  : null;
if (candleConfig && store) {
  print(`Candles: ${candleConfig.intervals.join(", ")} into ${store.description}`);
}
if (consumerConfig.filter) print(`Filter: ${[...consumerConfig.filter].join(", ")}`);
print(
  producerConfig.iterations === null
    ? "Will run indefinitely (Ctrl+C to stop)"
    : `Will run ${producerConfig.iterations} iteration${
      producerConfig.iterations === 1 ? "" : "s"
    }, then stop once every price is printed`,
);

let producerTransport: ProducerTransport;
let consumerTransport: ConsumerTransport;
let candleTransport: ConsumerTransport | null = null;
let kafkaConsumer: KafkajsConsumerTransport | null = null;
if (config.transport === "memory") {
  const log = new MemoryLog();
  producerTransport = log.producer();
  consumerTransport = log.consumer(consumerConfig.group);
  if (candleConfig) candleTransport = log.consumer("crypto-candles");
} else {
  producerTransport = new KafkajsProducerTransport(producerConfig.kafka);
  consumerTransport = kafkaConsumer = new KafkajsConsumerTransport(
    consumerConfig.kafka,
    consumerConfig.group,
  );
  await connectOrExit(producerTransport);
  await connectOrExit(consumerTransport);
  if (candleConfig) {
    candleTransport = new KafkajsConsumerTransport(consumerConfig.kafka, "crypto-candles");
    await connectOrExit(candleTransport);
  }
}
const partitions = await ensureTopicOrExit(producerTransport, producerConfig.kafka, print);
const candlePartitions = candleConfig
  ? await ensureTopicOrExit(producerTransport, {
    ...producerConfig.kafka,
    topic: candleConfig.topic,
  })
  : 0;
// A new group starts where this run's producer starts, so it prints what this run fetches.
if (kafkaConsumer && !consumerConfig.fromBeginning) {
  await kafkaConsumer.startAtEndIfNew(consumerConfig.kafka.topic).catch((error) =>
    fail(`Kafka: cannot use topic ${producerConfig.kafka.topic}: ${describeFatal(error)}`, 1)
  );
}

const producing = producerChildren({
  config: producerConfig,
  client: new CoinGeckoClient(producerConfig.coingecko),
  transport: producerTransport,
  partitions,
  print,
});
const consuming = consumerChildren({
  config: {
    ...consumerConfig,
    fromBeginning: consumerConfig.fromBeginning || config.transport === "memory",
  },
  transport: consumerTransport,
  print,
  clock: systemClock,
});
const candles = candleConfig && store && candleTransport
  ? candleChildren({
    config: candleConfig,
    sources: [{ topic: producerConfig.kafka.topic, transport: candleTransport }],
    // The embedded log is new with every run: all of it is this run's.
    fromBeginning: consumerConfig.fromBeginning || config.transport === "memory",
    store,
    candleTopic: {
      transport: producerTransport,
      topic: candleConfig.topic,
      partitions: candlePartitions,
    },
    print,
    format: "line",
    clock: systemClock,
  })
  : null;
const supervisor = new Supervisor(
  [...(candles?.children ?? []), ...consuming.children, ...producing.children],
  { onEvent: logSupervisorEvent },
);

// With --iterations: stop once everything delivered has been handled by the consumer side.
void producing.delivered.then(async () => {
  const topic = producerConfig.kafka.topic;
  const handledAll = () =>
    [...producing.report.lastOffsets].every(([partition, offset]) => {
      const position = consuming.tracker.position(partition);
      const aggregated = candles?.offsets.position(topic, partition) ?? offset;
      return position !== null && position > offset && aggregated >= offset;
    });
  while (!handledAll()) await delay(20);
  await supervisor.stop();
});

await runSupervised(supervisor, {
  cleanup: async () => {
    await producerTransport.disconnect();
    await consumerTransport.disconnect();
    await candleTransport?.disconnect();
    await store?.close();
  },
  summary: () =>
    [
      ...producing.report.summary(),
      ...consuming.report.summary().slice(4),
      ...(candles ? candles.report.summary(candles.book.counts) : []),
    ].forEach((line) => print(line)),
});
