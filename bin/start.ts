/**
 * `deno task start`: producer and consumer in one process under one supervisor, over the
 * embedded log (default) or through Kafka. With `--source coinbase` the producer is the trade
 * source, and the candles read its topic (`crypto-trades`) in place of the consumer's printer.
 *
 * @module
 */
import { CoinGeckoClient } from "../sources/coingecko.ts";
import { candleChildren } from "../actors/candle_topology.ts";
import { consumerChildren } from "../actors/consumer_topology.ts";
import { logSupervisorEvent, producerChildren } from "../actors/producer_topology.ts";
import { tradeChildren } from "../actors/trade_topology.ts";
import { loadStartConfig, startCommand } from "../config/config.ts";
import { setupLogging } from "../config/logging.ts";
import { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { MemoryLog } from "../kafka/memory_log.ts";
import type { ConsumerTransport, ProducerTransport } from "../kafka/transport.ts";
import { delay, systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { LiveHub } from "../http/live_hub.ts";
import type { FetchSnapshot, PipelineSnapshot, StageSnapshot } from "../http/pipeline_snapshot.ts";
import { RedisPublisher } from "../store/redis.ts";
import { alertOutputs, candleOutputs, describeAlerts, redisSummary } from "./candle_outputs.ts";
import { backfillLine } from "./backfill_line.ts";
import { startHttpServer } from "./http_server.ts";
import { checkBroker, lagPoller } from "./live_feeds.ts";
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
  print(`Source: Coinbase Exchange feed at ${producerConfig.coinbase.url}`);
  print(`Products: ${producerConfig.coinbase.products.join(", ")}`);
  print(`Gaps repaired from ${producerConfig.coinbase.restUrl}`);
} else if (producerConfig.source.kind === "replay") {
  print(`Source: replay of ${producerConfig.source.path}, at full speed`);
} else {
  print(`Fetch interval: ${producerConfig.intervalMs / 1000} seconds`);
  print(`Target cryptocurrencies: ${producerConfig.coins.map((c) => c.symbol).join(", ")}`);
}
print(`Topic: ${producerConfig.kafka.topic}`);
if (producerConfig.backfillMs !== null) print(backfillLine(producerConfig));
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
    consumerTransport = kafkaConsumer = new PlatformaticConsumerTransport(
      consumerConfig.kafka,
      consumerConfig.group,
    );
    await connectOrExit(consumerTransport);
  }
  if (candleConfig) {
    candleTransport = new PlatformaticConsumerTransport(consumerConfig.kafka, "crypto-candles");
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
const alertPartitions = candleConfig && alertConfig
  ? await ensureTopicOrExit(producerTransport, {
    ...producerConfig.kafka,
    topic: alertConfig.topic,
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

// Through Kafka, the groups' lag is read from the broker every few seconds while serving.
const kafkaLag = config.transport === "kafka" && config.http
  ? [
    ...(consuming
      ? [
        lagPoller(consumerConfig.kafka, {
          group: consumerConfig.group,
          topic: producerConfig.kafka.topic,
        }),
      ]
      : []),
    ...(candles
      ? [
        lagPoller(consumerConfig.kafka, {
          group: "crypto-candles",
          topic: producerConfig.kafka.topic,
        }),
      ]
      : []),
  ]
  : null;

/** What `/api/v1/pipeline`, `/metrics` and the dashboard show of this process. */
function snapshot(): PipelineSnapshot {
  const restarts = supervisor.restarts;
  const restartsOf = (prefix: string) =>
    Object.entries(restarts).filter(([name]) => name.startsWith(prefix))
      .reduce((sum, [, n]) => sum + n, 0);
  const stage = (
    name: string,
    messages: number,
    errors: number,
    channel: { size: number; capacity?: number } | null,
  ): StageSnapshot => ({
    name,
    messages,
    errors,
    restarts: restartsOf(name),
    depth: channel?.size ?? null,
    capacity: channel?.capacity ?? null,
  });
  const topic = producerConfig.kafka.topic;
  const groups = [
    ...(consuming ? [consumerConfig.group] : []),
    ...(candles ? ["crypto-candles"] : []),
  ];
  const lag = kafkaLag
    ? kafkaLag.flatMap((poller) => poller.lag())
    : memoryLog
    ? groups.flatMap((group) =>
      memoryLog!.lag(group, topic).map((p) => ({
        topic,
        group,
        partition: p.partition,
        lag: p.lag,
      }))
    )
    : [];
  let source: {
    stages: StageSnapshot[];
    fetch: FetchSnapshot;
    produced: number;
    buffer: PipelineSnapshot["buffer"];
  };
  if (trading) {
    const t = trading.report.totals;
    const feed = trading.report.feed;
    source = {
      stages: [
        stage("trades", t.published, t.malformed + t.feedErrors, null),
        // Trades read from REST into gaps (lost: those it could not give), and gaps waiting.
        stage("repairer", t.repaired, t.lost, trading.gaps),
        stage("publisher", t.produced, t.failed + t.dropped, trading.buffer),
      ],
      fetch: {
        ok: t.connections,
        failed: t.disconnects,
        last: feed.at === null
          ? null
          : { at: feed.at, outcome: feed.connected ? "ok" : "error", detail: feed.detail },
      },
      produced: t.produced,
      buffer: {
        depth: trading.buffer.size,
        capacity: producerConfig.bufferSize,
        dropped: t.dropped,
      },
    };
  } else {
    const totals = producing!.report.totals;
    const fetchState = producing!.report.lastFetch;
    source = {
      stages: [
        stage("fetcher", totals.fetched, totals.errors - totals.failed - totals.dropped, null),
        stage("publisher", totals.produced, totals.failed + totals.dropped, producing!.buffer),
      ],
      fetch: {
        ok: Math.max(0, totals.iterations - (fetchState?.outcome === "error" ? 1 : 0)),
        failed: totals.errors - totals.skipped - totals.failed - totals.dropped,
        last: fetchState,
      },
      produced: totals.produced,
      buffer: {
        depth: producing!.buffer.size,
        capacity: producerConfig.bufferSize,
        dropped: totals.dropped,
      },
    };
  }
  return {
    transport: config.transport,
    stages: [
      ...source.stages,
      ...(consuming
        ? [stage("printer", consuming.tracker.handled, consuming.report.bad, consuming.records)]
        : []),
      ...(candles
        ? [
          stage("aggregator", candles.report.read, candles.report.bad, candles.records),
          stage("candle-sink", candles.report.writes, candles.report.storeErrors, candles.batches),
        ]
        : []),
      ...(candles?.alertReport
        ? [stage("alerter", candles.alertReport.examined, candles.alertReport.storeErrors, null)]
        : []),
    ],
    fetch: source.fetch,
    produced: source.produced,
    consumed: consuming?.tracker.handled ?? candles?.report.read ?? 0,
    bad: consuming?.report.bad ?? candles?.report.bad ?? 0,
    buffer: source.buffer,
    candles: candles
      ? {
        closed: candles.book.counts.closed,
        revisions: candles.book.counts.revisions,
        late: candles.book.counts.late,
        storeWrites: candles.report.writes,
        storeErrors: candles.report.storeErrors,
      }
      : null,
    lag,
  };
}

const server = config.http && store && hub
  ? await startHttpServer({
    config: config.http,
    store,
    hub,
    pipeline: snapshot,
    readiness: {
      source: () => {
        if (trading) {
          const feed = trading.report.feed;
          return feed.connected ? Promise.resolve() : Promise.reject(
            new Error(`the Coinbase feed is not connected${feed.detail ? `: ${feed.detail}` : ""}`),
          );
        }
        const last = producing!.report.lastFetch;
        return last?.outcome === "error"
          ? Promise.reject(new Error(`the last fetch failed: ${last.detail}`))
          : Promise.resolve();
      },
      log: () =>
        config.transport === "memory"
          ? Promise.resolve()
          : checkBroker(producerConfig.kafka.brokers),
      store: () => store.ping(),
    },
  }).catch((error) => {
    const where = `${config.http!.hostname}:${config.http!.port}`;
    fail(
      error instanceof Deno.errors.AddrInUse
        ? `Cannot listen on ${where}: the address is in use (choose another with --http or HTTP_ADDR, or --no-http)`
        : `Cannot listen on ${where}: ${describeFatal(error)}`,
      1,
    );
  })
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
      ...(candles?.alertReport?.summary() ?? []),
      ...redisSummary(redis),
    ].forEach((line) => print(line)),
});
