/**
 * `deno task start`: producer and consumer in one process under one supervisor, over the
 * embedded log (default) or through Kafka. With `--source coinbase` the producer is the trade
 * source, and the candles read its topic (`crypto-trades`) in place of the consumer's printer.
 * With the HTTP server, `/api/v1/pipeline` shows the counters of all of it (`docs/api.md`).
 *
 * @module
 */
import { CoinGeckoClient } from "../sources/coingecko.ts";
import { alertOutputs, candleOutputs } from "../actors/candle_outputs.ts";
import { candleChildren } from "../actors/candle_topology.ts";
import { consumerChildren } from "../actors/consumer_topology.ts";
import { logSupervisorEvent, producerChildren } from "../actors/producer_topology.ts";
import { tradeChildren } from "../actors/trade_topology.ts";
import { setupLogging } from "../config/logging.ts";
import { loadStartConfig, startCommand } from "../config/start.ts";
import { redactUrl } from "../config/values.ts";
import { lagPoller } from "../http/live_feeds.ts";
import { LiveHub } from "../http/live_hub.ts";
import { memoryLogLag, sourceReadiness, startSnapshot } from "../http/pipeline_counters.ts";
import { checkBroker } from "../kafka/broker_probe.ts";
import type { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { MemoryLog } from "../kafka/memory_log.ts";
import type { ConsumerTransport, ProducerTransport } from "../kafka/transport.ts";
import { backfillBanner } from "../report/backfill_report.ts";
import { describeAlerts, redisSummary } from "../report/outputs.ts";
import { delay, systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { RedisPublisher } from "../store/redis.ts";
import { checkReplayFileOrExit, loadCommand } from "./shell/command.ts";
import { print } from "./shell/console.ts";
import { describeFatal, fail } from "./shell/exit.ts";
import { listenOrExit } from "./shell/http.ts";
import { connectOrExit, describeGroup, ensureTopicOrExit, groupMember } from "./shell/kafka.ts";
import { openStoreOrExit } from "./shell/store.ts";
import { runSupervised } from "./shell/supervised.ts";

const config = loadCommand(startCommand, loadStartConfig);
const {
  producer: producerConfig,
  consumer: consumerConfig,
  candles: candleConfig,
  alerts: alertConfig,
} = config;
// Trades are aggregated, not printed one by one: the trade source prints a line a second.
const trades = producerConfig.source.kind === "coinbase";
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
if (producerConfig.source.kind === "coinbase") {
  print(`Source: Coinbase Exchange feed at ${redactUrl(producerConfig.coinbase.url)}`);
  print(`Products: ${producerConfig.coinbase.products.join(", ")}`);
  print(`Gaps repaired from ${redactUrl(producerConfig.coinbase.restUrl)}`);
} else if (producerConfig.source.kind === "replay") {
  print(`Source: replay of ${producerConfig.source.path}, at full speed`);
} else {
  print(`Fetch interval: ${producerConfig.intervalMs / 1000} seconds`);
  print(`Target cryptocurrencies: ${producerConfig.coins.map((c) => c.symbol).join(", ")}`);
}
print(`Topic: ${producerConfig.kafka.topic}`);
const backfill = backfillBanner(producerConfig);
if (backfill !== null) print(backfill);
// The store holds the candles, and the HTTP API reads it: open unless neither runs.
const store = candleConfig || config.http
  ? await openStoreOrExit(config.store.url, config.store.timeoutMs)
  : null;
if (candleConfig && store) {
  print(`Candles: ${candleConfig.intervals.join(", ")} into ${store.description}`);
  print(describeAlerts(alertConfig));
}
if (consumerConfig.filter && !trades) print(`Filter: ${[...consumerConfig.filter].join(", ")}`);
print(
  producerConfig.iterations === null
    ? "Will run indefinitely (Ctrl+C to stop)"
    : `Will run ${producerConfig.iterations} iteration${
      producerConfig.iterations === 1 ? "" : "s"
    }, then stop once every price is printed`,
);

let producerTransport: ProducerTransport;
let consumerTransport: ConsumerTransport | null = null;
let candleTransport: ConsumerTransport | null = null;
let kafkaConsumer: PlatformaticConsumerTransport | null = null;
let memoryLog: MemoryLog | null = null;
if (config.transport === "memory") {
  const log = memoryLog = new MemoryLog();
  producerTransport = log.producer();
  if (!trades) consumerTransport = log.consumer(consumerConfig.group);
  if (candleConfig) candleTransport = log.consumer("crypto-candles");
} else {
  producerTransport = new PlatformaticProducerTransport(producerConfig.kafka);
  await connectOrExit(producerTransport);
  if (!trades) {
    consumerTransport = kafkaConsumer = groupMember(
      consumerConfig.kafka,
      consumerConfig.group,
      consumerConfig.membership,
    );
    await connectOrExit(consumerTransport);
  }
  if (candleConfig) {
    candleTransport = groupMember(consumerConfig.kafka, "crypto-candles", config.candleMembership);
    await connectOrExit(candleTransport);
  }
  if (consumerConfig.membership.instanceId !== null) {
    const groups = [
      ...(trades ? [] : [describeGroup(consumerConfig.group, consumerConfig.membership)]),
      ...(candleConfig ? [describeGroup("crypto-candles", config.candleMembership)] : []),
    ];
    if (groups.length > 0) print(`Consumer groups: ${groups.join(", ")}`);
  }
}
const partitions = await ensureTopicOrExit(producerTransport, producerConfig.kafka, print);
const candlePartitions = candleConfig
  ? await ensureTopicOrExit(producerTransport, {
    ...producerConfig.kafka,
    topic: candleConfig.topic,
  })
  : 0;
const alertPartitions = candleConfig && alertConfig
  ? await ensureTopicOrExit(producerTransport, {
    ...producerConfig.kafka,
    topic: alertConfig.topic,
  })
  : 0;
// Refused records go to the dead-letter topic: on the embedded log, a topic of that log.
const deadLetterPartitions = candleConfig
  ? await ensureTopicOrExit(producerTransport, {
    ...producerConfig.kafka,
    topic: candleConfig.dlqTopic,
  })
  : 0;
// A new group starts where this run's producer starts, so it prints what this run fetches.
if (kafkaConsumer && !consumerConfig.fromBeginning) {
  await kafkaConsumer.startAtEndIfNew(consumerConfig.kafka.topic).catch((error) =>
    fail(`Kafka: cannot use topic ${producerConfig.kafka.topic}: ${describeFatal(error)}`, 1)
  );
}

const producing = trades ? null : producerChildren({
  config: producerConfig,
  client: new CoinGeckoClient(producerConfig.coingecko),
  transport: producerTransport,
  partitions,
  print,
});
const trading = trades
  ? tradeChildren({ config: producerConfig, transport: producerTransport, partitions, print })
  : null;
const consuming = consumerTransport
  ? consumerChildren({
    config: {
      ...consumerConfig,
      fromBeginning: consumerConfig.fromBeginning || config.transport === "memory",
    },
    transport: consumerTransport,
    print,
    clock: systemClock,
  })
  : null;
const hub = config.http ? new LiveHub() : null;
const redis = candleConfig?.redis ? new RedisPublisher(candleConfig.redis) : null;
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
    deadLetterTopic: {
      transport: producerTransport,
      topic: candleConfig.dlqTopic,
      partitions: deadLetterPartitions,
    },
    print,
    format: "line",
    clock: systemClock,
    onWritten: candleOutputs({ hub, redis }),
    alerts: alertConfig && {
      rules: alertConfig.rules,
      topic: {
        transport: producerTransport,
        topic: alertConfig.topic,
        partitions: alertPartitions,
      },
      onAlert: alertOutputs({ hub, redis, print, format: "line" }),
    },
  })
  : null;
const supervisor = new Supervisor(
  [
    ...(candles?.children ?? []),
    ...(consuming?.children ?? []),
    ...(producing ?? trading)!.children,
  ],
  { onEvent: logSupervisorEvent },
);

// The groups whose lag is shown; through Kafka it is read from the broker every few seconds
// while serving.
const lagGroups = [
  ...(consuming ? [{ group: consumerConfig.group, consumer: "printer" }] : []),
  ...(candles ? [{ group: "crypto-candles", consumer: "candles" }] : []),
];
const kafkaLag = config.transport === "kafka" && config.http
  ? lagGroups.map((reader) =>
    lagPoller(consumerConfig.kafka, { ...reader, topic: producerConfig.kafka.topic })
  )
  : null;
const source = trading
  ? { kind: "trades" as const, ...trading }
  : { kind: "prices" as const, ...producing! };

const server = config.http && store && hub
  ? await listenOrExit({
    config: config.http,
    store,
    hub,
    pipeline: () =>
      startSnapshot({
        transport: config.transport,
        restarts: supervisor.restarts,
        bufferCapacity: producerConfig.bufferSize,
        source,
        printer: consuming,
        candles,
        lag: kafkaLag?.flatMap((poller) => poller.lag()) ??
          (memoryLog ? memoryLogLag(memoryLog, lagGroups, producerConfig.kafka.topic) : []),
        deadLetters: candles && candleConfig
          ? { topic: candleConfig.dlqTopic, report: candles.deadLetterReport }
          : null,
      }),
    readiness: {
      source: () => sourceReadiness(source),
      log: () =>
        config.transport === "memory"
          ? Promise.resolve()
          : checkBroker(producerConfig.kafka.brokers),
      store: () => store.ping(),
      // Not ready while the candle writes have failed for over 30 s (docs/operations.md).
      ...(candles
        ? {
          writes: () => candles.report.storeHealth.check(Date.now()),
        }
        : {}),
    },
  }, "--http or HTTP_ADDR, or --no-http")
  : null;
if (server) {
  const { hostname, port } = server.addr;
  print(`Dashboard: http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}/`);
}

// With --iterations: stop once everything delivered has been handled by the consumer side.
void producing?.delivered.then(async () => {
  const topic = producerConfig.kafka.topic;
  const handledAll = () =>
    [...producing.report.lastOffsets].every(([partition, offset]) => {
      const position = consuming!.tracker.position(partition);
      const aggregated = candles?.offsets.position(topic, partition) ?? offset;
      return position !== null && position > offset && aggregated >= offset;
    });
  while (!handledAll()) await delay(20);
  await supervisor.stop();
});

await runSupervised(supervisor, {
  cleanup: async () => {
    kafkaLag?.forEach((poller) => poller.close());
    await server?.shutdown();
    await producerTransport.disconnect();
    await consumerTransport?.disconnect();
    await candleTransport?.disconnect();
    await redis?.close();
    await store?.close();
  },
  summary: () =>
    [
      ...(producing ?? trading)!.report.summary(),
      ...(consuming?.report.summary().slice(4) ?? []),
      ...(candles ? candles.report.summary(candles.book.counts) : []),
      ...(candles && candleConfig ? [candles.deadLetterReport.summary(candleConfig.dlqTopic)] : []),
      ...(candles?.alertReport?.summary() ?? []),
      ...redisSummary(redis),
    ].forEach((line) => print(line)),
});
