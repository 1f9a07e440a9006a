/**
 * `deno task produce`: CoinGecko → Fetcher → Encoder → Publisher → Kafka.
 *
 * @module
 */
import { CoinGeckoClient } from "../actors/coingecko.ts";
import { producerTopology } from "../actors/producer_topology.ts";
import { loadProducerConfig, produceCommand } from "../config/config.ts";
import { helpText } from "../config/cli.ts";
import { setupLogging } from "../config/logging.ts";
import { KafkajsProducerTransport } from "../kafka/kafkajs_transport.ts";
import { BrokerUnreachableError } from "../kafka/transport.ts";
import { SupervisorError } from "../runtime/supervisor.ts";
import { env, fail, loadOrExit, onStopSignals, print } from "./shell.ts";

const config = loadOrExit(() => loadProducerConfig(Deno.args, env));
if (config === null) {
  print(helpText(produceCommand));
  Deno.exit(0);
}
await setupLogging(config.log);

const rule = "==========================================";
print(rule);
print("Starting Cryptocurrency Price Producer");
print(rule);
print(`Fetch interval: ${config.intervalMs / 1000} seconds`);
print(`Target cryptocurrencies: ${config.coins.map((c) => c.symbol).join(", ")}`);
print(`Kafka topic: ${config.kafka.topic}`);
print(
  config.iterations === null
    ? "Will run indefinitely (Ctrl+C to stop)"
    : `Will run ${config.iterations} iteration${config.iterations === 1 ? "" : "s"}`,
);

const transport = new KafkajsProducerTransport(config.kafka);
const connecting = new AbortController();
const removeEarlyHandlers = onStopSignals(() => connecting.abort());
let partitions: number;
try {
  await transport.connect({ signal: connecting.signal });
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
  if (connecting.signal.aborted) Deno.exit(0);
  if (error instanceof BrokerUnreachableError) {
    fail(
      `${error.message}. Start a local broker with \`deno task kafka:up\` (or \`docker compose up -d kafka\`), or set KAFKA_BOOTSTRAP_SERVERS`,
      1,
    );
  }
  fail(`Kafka: ${error instanceof Error ? error.message : String(error)}`, 1);
}
removeEarlyHandlers();
print(`Connected to Kafka at ${config.kafka.brokers.join(",")}`);

const client = new CoinGeckoClient(config.coingecko);
const { supervisor, report, buffer } = producerTopology({
  config,
  client,
  transport,
  partitions,
  print,
});
const removeHandlers = onStopSignals((signal) => {
  print(`\nReceived ${signal}: stopping (press Ctrl+C again to exit at once)...`);
  void supervisor.stop();
});

let code = 0;
try {
  await supervisor.run();
} catch (error) {
  code = 1;
  const cause = error instanceof SupervisorError && error.cause instanceof Error
    ? `: ${error.cause.message}`
    : "";
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `error: ${error instanceof Error ? error.message : String(error)}${cause ? "" : ""}\n`,
    ),
  );
}
removeHandlers();
if (buffer.size > 0) print(`${buffer.size} message(s) still buffered were not delivered`);
await transport.disconnect();
for (const line of report.summary()) print(line);
Deno.exit(code);
