/**
 * Scenario 3: `consume` is SIGKILLed mid-stream and started again with the same group.
 *
 * @module
 */
import { sleep } from "./command.ts";
import { waitForAll } from "./consumer_outage.ts";
import {
  check,
  COMMIT_INTERVAL_MS,
  restartsOf,
  Sampler,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  startConsumer,
  startProducer,
} from "./scenario.ts";
import {
  committedOffsets,
  consumedIds,
  coverage,
  printedPositions,
  readAll,
  summarize,
  unique,
} from "./topic.ts";

/** The consumer-crash scenario. */
export const consumerCrash: Scenario = {
  id: "3",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const topic = unique("faults-consume-crash");
    const group = unique("faults-group");
    const producer = await startProducer(ctx, topic);
    const first = startConsumer(ctx, topic, group);
    const sampler = new Sampler(() => consumedIds(first.stdout).length);
    let second: ReturnType<typeof startConsumer> | null = null;
    try {
      await first.waitFor((out) => consumedIds(out).length >= 15, 90_000);
      // Past the backlog read at start-up: fault in the live stream, between two commits.
      const backlog = consumedIds(first.stdout).length;
      await first.waitFor((out) => consumedIds(out).length >= backlog + 3, 30_000);
      const killedAt = Date.now();
      const bound = sampler.grewWithin(killedAt, 2 * COMMIT_INTERVAL_MS);
      first.kill("SIGKILL");
      const firstEnded = await first.done;
      sampler.stop();
      // Printed but not committed when it died: exactly what the next run should print again.
      const committed = await committedOffsets(ctx.broker.brokers, { group, topic });
      let uncommitted = 0;
      for (const [partition, next] of printedPositions(first.stdout)) {
        uncommitted += Math.max(0, next - (committed.get(partition) ?? 0));
      }
      ctx.log(
        `  consumer SIGKILLed after ${
          consumedIds(first.stdout).length
        } messages, ${uncommitted} of them not committed`,
      );
      await sleep(1_000);
      const restartedAt = Date.now();
      const again = startConsumer(ctx, topic, group);
      second = again;
      await again.waitFor((out) => consumedIds(out).length > 0, 120_000);
      const resumeMs = Date.now() - restartedAt;
      ctx.log(
        `  second consumer printed its first message after ${(resumeMs / 1000).toFixed(1)} s`,
      );
      await sleep(3_000);
      const producerEnded = await producer.stop();
      const onTopic = summarize(await readAll(ctx.broker.brokers, topic));
      const caughtUp = await waitForAll(() => [first, again], onTopic.ids, 120_000);
      const aliveBeforeStop = again.ended === null;
      const ended = await again.stop();
      const { distinct, missed, duplicated } = coverage(onTopic.ids, [
        ...consumedIds(first.stdout),
        ...consumedIds(again.stdout),
      ]);
      return {
        id: "3",
        title: "Consumer crash",
        injected: "consume --format json SIGKILLed mid-stream, started again with the same group",
        expected:
          `union of both runs = everything on the topic; duplicates ≤ messages consumed in the ${
            2 * COMMIT_INTERVAL_MS / 1000
          } s before the kill; second run exits 0`,
        measured: {
          fetched: onTopic.messages,
          delivered: distinct,
          lost: missed,
          duplicated,
          dropped: 0,
          restarts: restartsOf(first) + restartsOf(again),
          exitCode: ended.code,
        },
        checks: [
          check(
            "first run was killed",
            firstEnded.signal === "SIGKILL",
            `exit ${firstEnded.code} (${firstEnded.signal})`,
          ),
          check(
            "second run caught up",
            caughtUp && aliveBeforeStop,
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
          check(
            "duplicates = what was printed but not committed at the kill",
            duplicated === uncommitted,
            `${duplicated} duplicates, ${uncommitted} printed but not committed (committed ${
              [...committed].map(([p, o]) => `${p}:${o}`).join(" ") || "none"
            })`,
          ),
          check("second run: SIGTERM exits 0", ended.code === 0, `exit ${ended.code}`),
          check("producer: exit 0", producerEnded.code === 0, `exit ${producerEnded.code}`),
        ],
        explanation:
          "consumer crash: the consumer is SIGKILLed mid-stream and started again with the same group; *delivered* is the union of both runs' ids, with the same duplicate bound as row 2.",
        notes: [
          `first run printed ${consumedIds(first.stdout).length}, second ${
            consumedIds(again.stdout).length
          }; the second printed its first message ${
            (resumeMs / 1000).toFixed(1)
          } s after it started (the killed member keeps its partitions until its 30 s session times out); duplicate bound ${bound}`,
        ],
      };
    } finally {
      sampler.stop();
      if (producer.ended === null) await producer.stop();
      if (first.ended === null) first.kill("SIGKILL");
      if (second && second.ended === null) await second.stop();
    }
  },
};
