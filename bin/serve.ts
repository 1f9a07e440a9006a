/**
 * `deno task serve`: the HTTP API, live stream, probes, metrics and dashboard over the candle
 * store (SPEC §9). Live events come from Redis pub/sub when `REDIS_URL` is set, else from the
 * Kafka topics `crypto-candles` and `crypto-prices`.
 *
 * @module
 */
import { loadServeConfig, serveCommand } from "../config/serve.ts";
import { setupLogging } from "../config/logging.ts";
import { LiveHub } from "../http/live_hub.ts";
import { openStore } from "../store/open_store.ts";
import { startHttpServer } from "./http_server.ts";
import { checkBroker, kafkaFeed, lagPoller, redisFeed, serveSnapshot } from "./live_feeds.ts";
import { describeFatal, fail, loadCommand, onStopSignals, print } from "./shell.ts";

const config = loadCommand(serveCommand, loadServeConfig);
await setupLogging(config.log);

const store = await openStore(config.store).catch((error) =>
  fail(`Cannot open the candle store: ${describeFatal(error)}`, 1)
);
const hub = new LiveHub();
const feed = config.redis !== null
  ? redisFeed(config.redis, hub)
  : kafkaFeed(config.kafka, { candles: config.candlesTopic, prices: config.kafka.topic }, hub);
const lag = lagPoller(config.kafka, { group: config.group, topic: config.kafka.topic });

let server;
try {
  server = await startHttpServer({
    config: config.http,
    store,
    hub,
    pipeline: () => serveSnapshot(lag),
    readiness: {
      source: () => feed.ready(),
      broker: () => checkBroker(config.kafka.brokers),
      store: () => store.ping(),
    },
  });
} catch (error) {
  const where = `${config.http.hostname}:${config.http.port}`;
  fail(
    error instanceof Deno.errors.AddrInUse
      ? `Cannot listen on ${where}: the address is in use (choose another with --http or HTTP_ADDR)`
      : `Cannot listen on ${where}: ${describeFatal(error)}`,
    1,
  );
}

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
      : `Kafka topics ${config.candlesTopic}, ${config.kafka.topic}`
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
