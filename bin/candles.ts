/**
 * `deno task candles`: Kafka → Subscriber → Aggregator → CandleSink → candle store, with closed
 * candles and revisions published to the topic `crypto-candles`, and the Alerter on them, its
 * new alerts printed and published to `crypto-alerts` and Redis (`docs/configuration.md`).
 *
 * @module
 */
import { alertOutputs, candleOutputs } from "../actors/candle_outputs.ts";
import { candleChildren, type CandleSource } from "../actors/candle_topology.ts";
import { logSupervisorEvent } from "../actors/producer_topology.ts";
import { candlesCommand, loadCandlesConfig } from "../config/candles.ts";
import { setupLogging } from "../config/logging.ts";
import { redactUrl } from "../config/values.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { describeAlerts, redisSummary } from "../report/outputs.ts";
import { bufferedOutput } from "../runtime/buffered_output.ts";
import { systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { RedisPublisher } from "../store/redis.ts";
import { loadCommand } from "./shell/command.ts";
import { print, printErr, writeStdout } from "./shell/console.ts";
import { connectOrExit, describeGroup, ensureTopicOrExit, groupMember } from "./shell/kafka.ts";
import { openStoreOrExit } from "./shell/store.ts";
import { runSupervised } from "./shell/supervised.ts";

const config = loadCommand(candlesCommand, loadCandlesConfig);
await setupLogging(config.log);
// With --format json, stdout carries only the candles; everything else goes to stderr.
const say = config.format === "json" ? printErr : print;
const { candles, alerts } = config;

const rule = "=".repeat(72);
say(rule);
say("Starting Cryptocurrency Candle Aggregator");
say(rule);
say(`Topics: ${config.topics.join(", ")}`);
say(`Consumer group: ${describeGroup(config.group, config.membership)}`);
say(`Intervals: ${candles.intervals.join(", ")}`);
say(
  `Out-of-orderness: ${candles.outOfOrdernessMs / 1000} s, allowed lateness: ${
    candles.allowedLatenessMs / 1000
  } s, idle timeout: ${candles.idleTimeoutMs / 1000} s`,
);

const store = await openStoreOrExit(candles.store, candles.storeTimeoutMs);
say(`Store: ${store.description}`);
const redis = candles.redis ? new RedisPublisher(candles.redis) : null;
say(`Redis: ${candles.redis ? redactUrl(candles.redis) : "off"}`);
say(`Candle topic: ${candles.topic}, dead-letter topic: ${candles.dlqTopic}`);
say(describeAlerts(alerts));
say("Press Ctrl+C to stop");
say(rule);

const producer = new PlatformaticProducerTransport({ ...config.kafka, clientId: "crypto-candles" });
await connectOrExit(producer);
// The topics read are made when missing, so that the group can wait on an empty one.
for (const topic of config.topics) await ensureTopicOrExit(producer, { ...config.kafka, topic });
const candlePartitions = await ensureTopicOrExit(
  producer,
  { ...config.kafka, topic: candles.topic },
  say,
);
const alertPartitions = alerts
  ? await ensureTopicOrExit(producer, { ...config.kafka, topic: alerts.topic }, say)
  : 0;
const deadLetterPartitions = await ensureTopicOrExit(
  producer,
  { ...config.kafka, topic: candles.dlqTopic },
  say,
);

// One consumer a topic; each topic after the first is read by its own group, `<group>.<topic>`,
// so that no member of a group is assigned partitions of a topic it does not read. The instance
// id, if any, is this process's in each of them.
const sources: CandleSource[] = [];
for (const [index, topic] of config.topics.entries()) {
  const group = index === 0 ? config.group : `${config.group}.${topic}`;
  const transport = groupMember({ ...config.kafka, topic }, group, config.membership);
  await connectOrExit(transport);
  sources.push({ topic, transport });
}
say(`Connected to Kafka at ${config.kafka.brokers.join(",")}`);

const output = bufferedOutput(writeStdout);
const topology = candleChildren({
  config: candles,
  sources,
  fromBeginning: config.fromBeginning,
  store,
  candleTopic: { transport: producer, topic: candles.topic, partitions: candlePartitions },
  deadLetterTopic: {
    transport: producer,
    topic: candles.dlqTopic,
    partitions: deadLetterPartitions,
  },
  print: output.print,
  format: config.format,
  clock: systemClock,
  onWritten: candleOutputs({ hub: null, redis }),
  alerts: alerts && {
    rules: alerts.rules,
    topic: { transport: producer, topic: alerts.topic, partitions: alertPartitions },
    // With --format json, stdout carries JSON only: an alert's has `kind`, a candle's has not.
    onAlert: alertOutputs({
      hub: null,
      redis,
      print: output.print,
      format: config.format === "json" ? "json" : "line",
    }),
  },
});
const supervisor = new Supervisor(topology.children, { onEvent: logSupervisorEvent });

await runSupervised(supervisor, {
  cleanup: async () => {
    output.flush();
    for (const { transport } of sources) await transport.disconnect();
    await producer.disconnect();
    await redis?.close();
    await store.close();
  },
  summary: () =>
    [
      ...topology.report.summary(topology.book.counts),
      topology.deadLetterReport.summary(candles.dlqTopic),
      ...(topology.alertReport?.summary() ?? []),
      ...redisSummary(redis),
    ].forEach((line) => say(line)),
});
