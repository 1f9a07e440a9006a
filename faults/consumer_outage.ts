/**
 * Scenario 2: the broker is SIGKILLed while `consume --format json` reads a topic a producer
 * is writing, and started again on its data; the consumer must resume by itself.
 *
 * @module
 */
import { occurrences, type RunningCommand, sleep } from "./command.ts";
import {
  brokerOutage,
  check,
  COMMIT_INTERVAL_MS,
  noDuplicates,
  producedLines,
  restartsOf,
  Sampler,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  startConsumer,
  startProducer,
} from "./scenario.ts";
import { consumedIds, coverage, readAll, summarize, unique } from "./topic.ts";

/**
 * Waits until the consumers together have printed every id, or the time is up.
 *
 * @param consumers Their outputs are read.
 * @param ids The ids on the topic.
 * @param timeoutMs How long to wait.
 * @returns Whether they all came.
 */
export async function waitForAll(
  consumers: () => RunningCommand[],
  ids: Set<string>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seen = new Set(consumers().flatMap((c) => consumedIds(c.stdout)));
    if ([...ids].every((id) => seen.has(id))) return true;
    await sleep(250);
  }
  return false;
}

/** The broker-outage-while-consuming scenario. */
export const consumerOutage: Scenario = {
  id: "2",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const topic = unique("faults-consume-outage");
    const group = unique("faults-group");
    const producer = await startProducer(ctx, topic);
    const consumer = startConsumer(ctx, topic, group);
    const sampler = new Sampler(() => consumedIds(consumer.stdout).length);
    try {
      await consumer.waitFor((out) => consumedIds(out).length >= 15, 90_000);
      // Past the backlog read at start-up: fault in the live stream, between two commits.
      const backlog = consumedIds(consumer.stdout).length;
      await consumer.waitFor((out) => consumedIds(out).length >= backlog + 3, 30_000);
      const killedAt = Date.now();
      const bound = sampler.grewWithin(killedAt, 2 * COMMIT_INTERVAL_MS);
      const producedAtKill = producedLines(producer);
      const outage = await brokerOutage(ctx);
      const aliveThroughOutage = consumer.ended === null;
      await producer.waitFor(() => producedLines(producer) > producedAtKill, 120_000);
      await sleep(3_000);
      const producerEnded = await producer.stop();
      const onTopic = summarize(await readAll(ctx.broker.brokers, topic));
      const caughtUp = await waitForAll(() => [consumer], onTopic.ids, 120_000);
      const aliveBeforeStop = consumer.ended === null;
      const ended = await consumer.stop();
      sampler.stop();
      const { distinct, missed, duplicated } = coverage(onTopic.ids, consumedIds(consumer.stdout));
      const clientRestarts = occurrences(consumer.stderr, "Kafka consumer failed");
      return {
        id: "2",
        title: "Broker outage while consuming",
        injected: `broker SIGKILLed under consume --format json (and a producer), started again ${
          ctx.outageMs / 1000
        } s later (answering after ${(outage.downMs / 1000).toFixed(0)} s)`,
        expected:
          `consumer resumes by itself; nothing missed; duplicates ≤ messages consumed in the ${
            2 * COMMIT_INTERVAL_MS / 1000
          } s before the kill (one uncommitted batch); exit 0`,
        measured: {
          fetched: onTopic.messages,
          delivered: distinct,
          lost: missed,
          duplicated,
          dropped: 0,
          restarts: restartsOf(consumer),
          exitCode: ended.code,
        },
        checks: [
          check(
            "consumer kept running through the outage",
            aliveThroughOutage && aliveBeforeStop,
            aliveBeforeStop
              ? "still running when stopped"
              : `exited early: ${consumer.ended?.code}`,
          ),
          check(
            "consumer caught up by itself",
            caughtUp,
            caughtUp ? "every id printed" : "timed out",
          ),
          check(
            "nothing missed",
            missed === 0,
            `${missed} of ${onTopic.ids.size} ids never printed`,
          ),
          check(
            "duplicates within one uncommitted batch",
            duplicated <= bound,
            `${duplicated} duplicates, bound ${bound}`,
          ),
          check("SIGTERM: exit 0", ended.code === 0, `exit ${ended.code}`),
          check("producer: exit 0", producerEnded.code === 0, `exit ${producerEnded.code}`),
          noDuplicates("topic: no duplicate message_id", onTopic),
        ],
        explanation:
          "broker outage while consuming: `consume --format json --group G --from-beginning` reads a topic a producer is writing; the broker is SIGKILLed and restarted. *fetched* is what is on the topic at the end, *delivered* the distinct ids the consumer printed, *lost* the ids on the topic it never printed, *duplicated* the lines printed twice. Duplicates are allowed up to one uncommitted batch: the consumer commits every 1 s, so the bound is what it printed in the 2 s before the kill.",
        notes: [
          `Kafka consumer failures logged and retried ("Kafka consumer failed"): ${clientRestarts}; duplicate bound ${bound} (messages printed in the ${
            2 * COMMIT_INTERVAL_MS / 1000
          } s before the kill)`,
        ],
      };
    } finally {
      sampler.stop();
      if (producer.ended === null) await producer.stop();
      if (consumer.ended === null) await consumer.stop();
    }
  },
};
