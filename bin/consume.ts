/**
 * `deno task consume`: Kafka → Subscriber → Printer → console.
 *
 * @module
 */
import { consumerChildren } from "../actors/consumer_topology.ts";
import { logSupervisorEvent } from "../actors/producer_topology.ts";
import { consumeCommand, loadConsumerConfig } from "../config/config.ts";
import { setupLogging } from "../config/logging.ts";
import { KafkajsConsumerTransport } from "../kafka/kafkajs_consumer.ts";
import { systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import {
  connectOrExit,
  describeFatal,
  fail,
  loadCommand,
  print,
  printErr,
  runSupervised,
} from "./shell.ts";
import { bufferedOutput, flushBeforeCommit } from "./output.ts";

const config = loadCommand(consumeCommand, loadConsumerConfig);
await setupLogging(config.log);
// With --format json, stdout carries only the messages; everything else goes to stderr.
const say = config.format === "json" ? printErr : print;

const rule = "=".repeat(72);
say(rule);
say("Starting Cryptocurrency Price Consumer");
say(rule);
say(`Topic: ${config.kafka.topic}`);
say(`Consumer group: ${config.group}`);
if (config.filter) say(`Filter: ${[...config.filter].join(", ")}`);
if (config.maxMessages !== null) say(`Will stop after ${config.maxMessages} messages`);
say("Press Ctrl+C to stop");
say(rule);

const transport = new KafkajsConsumerTransport(config.kafka, config.group);
await connectOrExit(transport);
try {
  await transport.ensureTopic({
    topic: config.kafka.topic,
    partitions: config.kafka.partitions,
    replicationFactor: config.kafka.replicationFactor,
  });
} catch (error) {
  await transport.disconnect();
  fail(`Kafka: cannot use topic ${config.kafka.topic}: ${describeFatal(error)}`, 1);
}
say(`Connected to Kafka topic: ${config.kafka.topic}`);

// Messages go out in few large writes; no offset is committed before its line is written.
const output = bufferedOutput();
let supervisor: Supervisor | null = null;
const { children, report } = consumerChildren({
  config,
  transport: flushBeforeCommit(transport, output.flush),
  print: output.print,
  clock: systemClock,
  onLimit: () => void supervisor?.stop(),
});
supervisor = new Supervisor(children, { onEvent: logSupervisorEvent });
await runSupervised(supervisor, {
  cleanup: () => (output.flush(), transport.disconnect()),
  summary: () => report.summary().forEach((line) => say(line)),
});
