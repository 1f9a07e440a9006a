/**
 * Scenario 1: the broker is SIGKILLed while `produce` runs, and started again on its data.
 * 1a: the buffer holds everything fetched meanwhile; 1b: a buffer of 5 overflows.
 *
 * @module
 */
import { occurrences, sleep } from "./command.ts";
import {
  brokerOutage,
  check,
  COINS,
  noDuplicates,
  producedLines,
  producerSummary,
  restartsOf,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  startProducer,
  stoppedCleanly,
} from "./scenario.ts";
import { readAll, summarize, unique } from "./topic.ts";

/** The variant: the default buffer, or a small one. */
export interface ProducerOutageOptions {
  /** Scenario id. */
  id: string;
  /** `PRODUCER_BUFFER_SIZE`, or null for the default (10,000). */
  bufferSize: number | null;
}

/**
 * Makes the producer-outage scenario.
 *
 * @param options The variant.
 * @returns The scenario.
 */
export function producerOutage(options: ProducerOutageOptions): Scenario {
  return { id: options.id, run: (ctx) => run(ctx, options) };
}

async function run(ctx: ScenarioContext, options: ProducerOutageOptions): Promise<ScenarioResult> {
  const small = options.bufferSize !== null;
  const topic = unique(`faults-produce-${options.id}`);
  const env: Record<string, string> = small
    ? { PRODUCER_BUFFER_SIZE: String(options.bufferSize) }
    : {};
  const producer = await startProducer(ctx, topic, env);
  try {
    await producer.waitFor(() => producedLines(producer) >= 6, 60_000);
    const producedAtKill = producedLines(producer);
    const outage = await brokerOutage(ctx);
    const aliveThroughOutage = producer.ended === null;
    const resumedAt = Date.now();
    await producer.waitFor(() => producedLines(producer) > producedAtKill, 120_000);
    const resumeMs = Date.now() - resumedAt;
    ctx.log(
      `  producer delivering again ${(resumeMs / 1000).toFixed(1)} s after the broker came back`,
    );
    await sleep(3_000);
    const aliveBeforeStop = producer.ended === null;
    const ended = await producer.stop();
    const summary = producerSummary(producer.stdout);
    const onTopic = summarize(await readAll(ctx.broker.brokers, topic));
    const dropsLogged = occurrences(producer.stderr, "Buffer full");
    const delivered = onTopic.ids.size;
    const lost = summary.fetched - delivered - summary.dropped;
    const fetchedDuringOutage = outage.requests * COINS;
    const checks = [
      check(
        "producer kept running through the outage",
        aliveThroughOutage && aliveBeforeStop,
        aliveBeforeStop ? "still running when stopped" : `exited early: ${producer.ended?.code}`,
      ),
      check(
        "prices were fetched while the broker was down",
        fetchedDuringOutage > 0,
        `${outage.requests} stand-in requests (${fetchedDuringOutage} prices) during the outage`,
      ),
      stoppedCleanly(ended, summary.printed),
      check(
        "nothing lost: fetched = delivered + dropped",
        lost === 0,
        `${summary.fetched} fetched, ${delivered} on the topic, ${summary.dropped} dropped`,
      ),
      noDuplicates("no duplicate message_id", onTopic),
      check(
        "per-key order (last_updated grows)",
        onTopic.outOfOrder === 0,
        `${onTopic.outOfOrder} out of order`,
      ),
      check(
        "summary's Messages produced = messages on the topic",
        summary.produced === onTopic.messages,
        `${summary.produced} vs ${onTopic.messages}`,
      ),
      check(
        "Not delivered: 0",
        summary.notDelivered === 0,
        `${summary.notDelivered} not delivered`,
      ),
    ];
    if (small) {
      checks.push(
        check(
          "the buffer overflowed",
          summary.dropped > 0,
          `Dropped (buffer full): ${summary.dropped}`,
        ),
        check(
          'every drop logged ("Buffer full" warnings = summary count)',
          dropsLogged === summary.dropped,
          `${dropsLogged} warnings, ${summary.dropped} counted`,
        ),
      );
    } else {
      checks.push(check("nothing dropped", summary.dropped === 0, `${summary.dropped} dropped`));
    }
    return {
      id: options.id,
      title: small
        ? `Broker outage while producing, PRODUCER_BUFFER_SIZE=${options.bufferSize}`
        : "Broker outage while producing",
      injected: `broker SIGKILLed, started again ${ctx.outageMs / 1000} s later (answering after ${
        (outage.downMs / 1000).toFixed(0)
      } s), under produce --interval 0.3${small ? `, buffer ${options.bufferSize}` : ""}`,
      expected: small
        ? "producer keeps running; drops = logged drops = summary; fetched = delivered + dropped; no duplicates; per-key order; exit 0"
        : "producer keeps running; all fetched delivered after the restart, in per-key order, no duplicates; exit 0",
      measured: {
        fetched: summary.fetched,
        delivered,
        lost,
        duplicated: onTopic.duplicates,
        dropped: summary.dropped,
        restarts: restartsOf(producer),
        exitCode: ended.code,
      },
      checks,
      explanation: small
        ? `the same with \`PRODUCER_BUFFER_SIZE=${options.bufferSize}\`: the outage outlasts the buffer. *dropped* is the summary's \`Dropped (buffer full)\`; it must equal the \`Buffer full\` warnings logged, and fetched = delivered + dropped.`
        : "broker outage while producing: `produce --interval 0.3` runs on the stand-in (`API_RATE_LIMIT_DELAY=0`); the broker is SIGKILLed and started again on the same data 20–30 s later. *fetched* is the summary's `Prices fetched`, *delivered* the distinct `message_id`s read back from the topic, *lost* = fetched − delivered − dropped. Per-key order is checked on the topic: the stand-in's `last_updated` grows with every request.",
      notes: [
        `${fetchedDuringOutage} prices fetched during the outage; delivery resumed ${
          (resumeMs / 1000).toFixed(1)
        } s after the broker answered`,
      ],
    };
  } finally {
    if (producer.ended === null) await producer.stop();
  }
}
