/**
 * `deno task consume`: Kafka → Subscriber → Printer → console.
 *
 * @module
 */
import { printingConsumer } from "../actors/printing_consumer.ts";
import { consumeCommand, loadConsumerConfig } from "../config/consume.ts";
import { setupLogging } from "../config/logging.ts";
import { loadCommand } from "./shell/command.ts";
import { print, printErr, writeStdout } from "./shell/console.ts";
import { connectOrExit, describeGroup, ensureTopicOrExit, groupMember } from "./shell/kafka.ts";
import { runSupervised } from "./shell/supervised.ts";

const config = loadCommand(consumeCommand, loadConsumerConfig);
await setupLogging(config.log);
// With --format json, stdout carries only the messages; everything else goes to stderr.
const say = config.format === "json" ? printErr : print;

const rule = "=".repeat(72);
say(rule);
say("Starting Cryptocurrency Price Consumer");
say(rule);
say(`Topic: ${config.kafka.topic}`);
say(`Consumer group: ${describeGroup(config.group, config.membership)}`);
if (config.filter) say(`Filter: ${[...config.filter].join(", ")}`);
if (config.maxMessages !== null) say(`Will stop after ${config.maxMessages} messages`);
say("Press Ctrl+C to stop");
say(rule);

const transport = groupMember(config.kafka, config.group, config.membership);
await connectOrExit(transport);
await ensureTopicOrExit(transport, config.kafka);
say(`Connected to Kafka topic: ${config.kafka.topic}`);

// Messages go out in few large writes; no offset is committed before its line is written.
const { supervisor, report, output } = printingConsumer(config, { transport, write: writeStdout });
await runSupervised(supervisor, {
  cleanup: () => (output.flush(), transport.disconnect()),
  summary: () => report.summary().forEach((line) => say(line)),
});
