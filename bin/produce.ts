/**
 * `deno task produce`: CoinGecko → Fetcher → Encoder → Publisher → Kafka.
 *
 * @module
 */
import { CoinGeckoClient } from "../actors/coingecko.ts";
import { producerTopology } from "../actors/producer_topology.ts";
import { loadProducerConfig, produceCommand } from "../config/config.ts";
import { setupLogging } from "../config/logging.ts";
import { KafkajsProducerTransport } from "../kafka/kafkajs_transport.ts";
import {
  connectOrExit,
  describeFatal,
  fail,
  loadCommand,
  print,
  replayLinesOrExit,
  runSupervised,
} from "./shell.ts";

const config = loadCommand(produceCommand, loadProducerConfig);
const replayLines = replayLinesOrExit(config.source);
await setupLogging(config.log);

const rule = "==========================================";
print(rule);
print("Starting Cryptocurrency Price Producer");
print(rule);
if (config.source.kind === "replay") {
  print(`Source: replay of ${config.source.path}, at full speed`);
} else {
  print(`Fetch interval: ${config.intervalMs / 1000} seconds`);
  print(`Target cryptocurrencies: ${config.coins.map((c) => c.symbol).join(", ")}`);
}
print(`Kafka topic: ${config.kafka.topic}`);
print(
  config.iterations === null
    ? "Will run indefinitely (Ctrl+C to stop)"
    : `Will run ${config.iterations} iteration${config.iterations === 1 ? "" : "s"}`,
);

const transport = new KafkajsProducerTransport(config.kafka);
await connectOrExit(transport);
let partitions: number;
try {
  const topic = await transport.ensureTopic({
    topic: config.kafka.topic,
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
  });
  partitions = topic.partitions;
  if (!topic.created && topic.partitions !== config.kafka.partitions) {
    print(
      `Warning: topic ${config.kafka.topic} has ${topic.partitions} partitions (expected ${config.kafka.partitions}); using it as it is`,
    );
  }
} catch (error) {
  await transport.disconnect();
  fail(`Kafka: cannot create topic ${config.kafka.topic}: ${describeFatal(error)}`, 1);
}

print(`Connected to Kafka at ${config.kafka.brokers.join(",")}`);

const client = new CoinGeckoClient(config.coingecko);
const { supervisor, report } = producerTopology({
  config,
  ...(replayLines ? { replayLines } : {}),
  client,
  transport,
  partitions,
  print,
});
await runSupervised(supervisor, {
  notice: print,
  cleanup: () => transport.disconnect(),
  summary: () => report.summary().forEach((line) => print(line)),
});
