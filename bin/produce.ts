/**
 * `deno task produce`: CoinGecko → Fetcher → Encoder → Publisher → Kafka.
 *
 * @module
 */
import { CoinGeckoClient } from "../sources/coingecko.ts";
import { producerTopology } from "../actors/producer_topology.ts";
import { loadProducerConfig, produceCommand } from "../config/config.ts";
import { setupLogging } from "../config/logging.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import {
  checkReplayFileOrExit,
  connectOrExit,
  ensureTopicOrExit,
  loadCommand,
  print,
  runSupervised,
} from "./shell.ts";

const config = loadCommand(produceCommand, loadProducerConfig);
checkReplayFileOrExit(config.source);
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

const transport = new PlatformaticProducerTransport(config.kafka);
await connectOrExit(transport);
const partitions = await ensureTopicOrExit(transport, config.kafka, print);

print(`Connected to Kafka at ${config.kafka.brokers.join(",")}`);

const client = new CoinGeckoClient(config.coingecko);
const { supervisor, report } = producerTopology({
  config,
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
