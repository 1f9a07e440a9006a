/**
 * `deno task produce`: CoinGecko → Fetcher → Encoder → Publisher → Kafka; or, with
 * `--source coinbase`, the Coinbase feed's trades → TradeSource → Publisher → Kafka.
 *
 * @module
 */
import { CoinGeckoClient } from "../sources/coingecko.ts";
import { logSupervisorEvent, producerTopology } from "../actors/producer_topology.ts";
import { tradeChildren } from "../actors/trade_topology.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { setupLogging } from "../config/logging.ts";
import { loadProducerConfig, produceCommand } from "../config/produce.ts";
import { redactUrl } from "../config/values.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { backfillBanner } from "../report/backfill_report.ts";
import { checkReplayFileOrExit, loadCommand } from "./shell/command.ts";
import { closableStdout, printErr } from "./shell/console.ts";
import { fail } from "./shell/exit.ts";
import { connectOrExit, ensureTopicOrExit } from "./shell/kafka.ts";
import { runSupervised } from "./shell/supervised.ts";

const config = loadCommand(produceCommand, loadProducerConfig);
checkReplayFileOrExit(config.source);
await setupLogging(config.log);

const CLOSED = "standard output was closed by its reader; stopping";
// Until prices flow there is nothing to deliver: a closed stdout ends the program at once.
let stdoutClosed: () => void = () => fail(CLOSED, 1);
const { print, say } = closableStdout(() => stdoutClosed());

const trades = config.source.kind === "coinbase";
const rule = "==========================================";
print(rule);
print(trades ? "Starting Cryptocurrency Trade Producer" : "Starting Cryptocurrency Price Producer");
print(rule);
if (config.source.kind === "coinbase") {
  print(`Source: Coinbase Exchange feed at ${redactUrl(config.coinbase.url)}`);
  print(`Products: ${config.coinbase.products.join(", ")}`);
  print(`Gaps repaired from ${redactUrl(config.coinbase.restUrl)}`);
} else if (config.source.kind === "replay") {
  print(`Source: replay of ${config.source.path}, at full speed`);
} else {
  print(`Fetch interval: ${config.intervalMs / 1000} seconds`);
  print(`Target cryptocurrencies: ${config.coins.map((c) => c.symbol).join(", ")}`);
}
print(`Kafka topic: ${config.kafka.topic}`);
const backfill = backfillBanner(config);
if (backfill !== null) print(backfill);
print(
  config.iterations === null
    ? "Will run indefinitely (Ctrl+C to stop)"
    : `Will run ${config.iterations} iteration${config.iterations === 1 ? "" : "s"}`,
);

const transport = new PlatformaticProducerTransport(config.kafka);
await connectOrExit(transport);
const partitions = await ensureTopicOrExit(transport, config.kafka, print);

print(`Connected to Kafka at ${config.kafka.brokers.join(",")}`);

const { supervisor, summary } = (() => {
  if (trades) {
    const topology = tradeChildren({ config, transport, partitions, print });
    return {
      supervisor: new Supervisor(topology.children, { onEvent: logSupervisorEvent }),
      summary: () => topology.report.summary(),
    };
  }
  const client = new CoinGeckoClient(config.coingecko);
  const topology = producerTopology({ config, client, transport, partitions, print });
  return { supervisor: topology.supervisor, summary: () => topology.report.summary() };
})();
// Once they flow, stop fetching, deliver what was fetched, and say so on stderr.
let exitCode = 0;
stdoutClosed = () => {
  exitCode = 1;
  printErr(`error: ${CLOSED}: no more fetching; delivering what was fetched, then exiting`);
  void supervisor.stop();
};
await runSupervised(supervisor, {
  notice: say,
  exitCode: () => exitCode,
  cleanup: () => transport.disconnect(),
  summary: () => summary().forEach((line) => say(line)),
});
