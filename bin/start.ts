/**
 * `deno task start`: producer and consumer in one process under one supervisor, over the
 * embedded log (default) or through Kafka.
 *
 * @module
 */
import { CoinGeckoClient } from "../sources/coingecko.ts";
import { consumerChildren } from "../actors/consumer_topology.ts";
import { logSupervisorEvent, producerChildren } from "../actors/producer_topology.ts";
import { loadStartConfig, startCommand } from "../config/config.ts";
import { setupLogging } from "../config/logging.ts";
import { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
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
  print,
  runSupervised,
} from "./shell.ts";

const config = loadCommand(startCommand, loadStartConfig);
const { producer: producerConfig, consumer: consumerConfig } = config;
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
let kafkaConsumer: PlatformaticConsumerTransport | null = null;
if (config.transport === "memory") {
  const log = new MemoryLog();
  producerTransport = log.producer();
  consumerTransport = log.consumer(consumerConfig.group);
} else {
  producerTransport = new PlatformaticProducerTransport(producerConfig.kafka);
  consumerTransport = kafkaConsumer = new PlatformaticConsumerTransport(
    consumerConfig.kafka,
    consumerConfig.group,
  );
  await connectOrExit(producerTransport);
  await connectOrExit(consumerTransport);
}
const partitions = await ensureTopicOrExit(producerTransport, producerConfig.kafka, print);
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
const supervisor = new Supervisor([...consuming.children, ...producing.children], {
  onEvent: logSupervisorEvent,
});

// With --iterations: stop once everything delivered has been handled by the consumer side.
void producing.delivered.then(async () => {
  const handledAll = () =>
    [...producing.report.lastOffsets].every(([partition, offset]) => {
      const position = consuming.tracker.position(partition);
      return position !== null && position > offset;
    });
  while (!handledAll()) await delay(20);
  await supervisor.stop();
});

await runSupervised(supervisor, {
  cleanup: async () => {
    await producerTransport.disconnect();
    await consumerTransport.disconnect();
  },
  summary: () =>
    [...producing.report.summary(), ...consuming.report.summary().slice(4)].forEach((line) =>
      print(line)
    ),
});
