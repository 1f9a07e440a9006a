/**
 * `deno task serve`: the HTTP API, live stream, probes, metrics and dashboard over the candle
 * store (`docs/api.md`). Live events come from Redis pub/sub when `REDIS_URL` is set, else from
 * the Kafka topics `crypto-candles` and `crypto-prices`.
 *
 * @module
 */
import { setupLogging } from "../config/logging.ts";
import { loadServeConfig, serveCommand } from "../config/serve.ts";
import { kafkaFeed, lagPoller, redisFeed } from "../http/live_feeds.ts";
import { LiveHub } from "../http/live_hub.ts";
import { serveSnapshot } from "../http/pipeline_counters.ts";
import { checkBroker } from "../kafka/broker_probe.ts";
import { openStore } from "../store/open_store.ts";
import { loadCommand } from "./shell/command.ts";
import { print } from "./shell/console.ts";
import { describeFatal, fail } from "./shell/exit.ts";
import { listenOrExit } from "./shell/http.ts";
import { onStopSignals } from "./shell/signals.ts";

const config = loadCommand(serveCommand, loadServeConfig);
await setupLogging(config.log);

const store = await openStore(config.store).catch((error) =>
  fail(`Cannot open the candle store: ${describeFatal(error)}`, 1)
);
const hub = new LiveHub();
const feed = config.redis !== null
  ? redisFeed(config.redis, hub)
  : kafkaFeed(config.kafka, { candles: config.candlesTopic, prices: config.kafka.topic }, hub, {
    ...config.membership,
    onFenced: (error) => fail(error.message, 2),
  });
const lag = lagPoller(config.kafka, {
  group: config.group,
  topic: config.kafka.topic,
  consumer: "candles",
});

const server = await listenOrExit({
  config: config.http,
  store,
  hub,
  pipeline: () => serveSnapshot(lag.lag()),
  readiness: {
    source: () => feed.ready(),
    broker: () => checkBroker(config.kafka.brokers),
    store: () => store.ping(),
  },
}, "--http or HTTP_ADDR");

const { hostname, port } = server.addr;
const base = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
print("==========================================");
print("Starting Cryptocurrency Market Analyzer API");
print("==========================================");
print(`Store: ${store.description}`);
print(
  `Live events: ${
    config.redis !== null
      ? "Redis pub/sub"
      : `Kafka topics ${config.candlesTopic}, ${config.kafka.topic}${
        config.membership.instanceId === null
          ? ""
          : ` (instance id ${JSON.stringify(config.membership.instanceId)})`
      }`
  }`,
);
if (config.http.token !== null) print("API token: required on /api routes");
print(`Dashboard: ${base}/`);
print(`Listening on ${base} (Ctrl+C to stop)`);

const { promise: stopped, resolve: stop } = Promise.withResolvers<string>();
const removeHandlers = onStopSignals(stop);
const signal = await stopped;
print(`Received ${signal}: stopping...`);
removeHandlers();
await server.shutdown();
lag.close();
await feed.close();
await store.close();
const counts = feed.counts();
print(`Live events published: ${counts.events}, refused: ${counts.refused}`);
Deno.exit(0);
