/**
 * Scenario 8: shutdown: SIGINT and SIGTERM during a fetch, during a send (the broker frozen)
 * and during a rebalance; a second signal exits 130.
 *
 * @module
 */
import { CoinGeckoStub } from "../tests/support/coingecko_stub.ts";
import { type Ended, type RunningCommand, sleep, spawn } from "./command.ts";
import {
  type Check,
  check,
  COMMIT_INTERVAL_MS,
  INTERVAL,
  producedLines,
  producerSummary,
  restartsOf,
  Sampler,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  startConsumer,
} from "./scenario.ts";
import { consumedIds, coverage, readAll, summarize, unique } from "./topic.ts";

/** The Publisher's `shutdownMs` (actors/producer_topology.ts), and a margin for the rest. */
const SEND_DEADLINE_MS = 30_000 + 15_000;
/** How long a stop may take when nothing holds it up. */
const PROMPT_MS = 15_000;
/** Time between the first and the second signal: far past the 100 ms debounce. */
const SECOND_SIGNAL_AFTER_MS = 600;

type StopSignal = "SIGINT" | "SIGTERM";

/** What one producing case measured. */
interface ProduceCase {
  fetched: number;
  onTopic: number;
  notDelivered: number;
  duplicates: number;
  dropped: number;
  restarts: number;
  code: number;
}

/** Everything the scenario gathers. */
class Tally {
  checks: Check[] = [];
  notes: string[] = [];
  produce: ProduceCase[] = [];
  codes: number[] = [];
  consumerMissed = 0;
  consumerDuplicates = 0;
  restarts = 0;
}

/** The shutdown scenario. */
export const shutdown: Scenario = { id: "8", run };

function startProduce(
  ctx: ScenarioContext,
  stub: CoinGeckoStub,
  topic: string,
  env: Record<string, string> = {},
): RunningCommand {
  return spawn("produce", {
    args: ["--interval", INTERVAL, "--topic", topic, "--brokers", ctx.broker.brokers],
    env: { COINGECKO_BASE_URL: stub.url, API_RATE_LIMIT_DELAY: "0", API_TIMEOUT: "300", ...env },
  });
}

/** Waits for the command to end; SIGKILL past `ms`. Returns how it ended and how long it took. */
async function endWithin(
  command: RunningCommand,
  ms: number,
): Promise<{ ended: Ended; ms: number }> {
  const started = Date.now();
  const timer = setTimeout(() => command.kill("SIGKILL"), ms);
  try {
    return { ended: await command.done, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** Reads back the producer's topic and checks the summary's accounts against it. */
async function accountFor(
  ctx: ScenarioContext,
  tally: Tally,
  label: string,
  producer: RunningCommand,
  topic: string,
  stop: { ended: Ended; ms: number },
  deadlineMs: number,
): Promise<ProduceCase> {
  const summary = producerSummary(producer.stdout);
  const onTopic = summarize(await readAll(ctx.broker.brokers, topic));
  const result: ProduceCase = {
    fetched: summary.fetched,
    onTopic: onTopic.ids.size,
    notDelivered: summary.notDelivered,
    duplicates: onTopic.duplicates,
    dropped: summary.dropped,
    restarts: restartsOf(producer),
    code: stop.ended.code,
  };
  tally.produce.push(result);
  tally.codes.push(stop.ended.code);
  tally.restarts += result.restarts;
  const accounted = result.onTopic + result.notDelivered + result.dropped;
  const stack = /^\s+at /m.test(producer.stderr);
  tally.checks.push(
    check(
      `${label}: exit 0 with a summary within ${deadlineMs / 1000} s, no stack trace`,
      stop.ended.code === 0 && summary.printed && !stack && stop.ms <= deadlineMs,
      `exit ${stop.ended.code}${stop.ended.signal ? ` (${stop.ended.signal})` : ""} after ${
        (stop.ms / 1000).toFixed(1)
      } s, summary ${summary.printed ? "printed" : "missing"}${stack ? ", stack trace" : ""}`,
    ),
    check(
      `${label}: every fetched price on the topic or reported not delivered`,
      summary.fetched > 0 && accounted >= summary.fetched &&
        accounted - summary.unanswered <= summary.fetched && result.onTopic <= summary.fetched &&
        onTopic.duplicates === 0,
      `${summary.fetched} fetched, ${result.onTopic} on the topic, ${result.notDelivered} not delivered (${summary.unanswered} of them sent without an answer), ${result.dropped} dropped, ${onTopic.duplicates} duplicates`,
    ),
  );
  if (accounted > summary.fetched) {
    tally.notes.push(
      `${label}: ${
        accounted - summary.fetched
      } price(s) reported not delivered were written after all once the broker ran again: the summary had counted ${summary.unanswered} as sent without an answer`,
    );
  }
  ctx.log(
    `  ${label}: exit ${stop.ended.code} after ${
      (stop.ms / 1000).toFixed(1)
    } s; ${summary.fetched} fetched, ${result.onTopic} on the topic, ${result.notDelivered} not delivered`,
  );
  return result;
}

/** A signal while the stand-in holds a fetch open. */
async function duringFetch(
  ctx: ScenarioContext,
  tally: Tally,
  stub: CoinGeckoStub,
  signal: StopSignal,
): Promise<void> {
  const topic = unique("faults-stop-fetch");
  const before = stub.requests.length;
  stub.enqueue({}, {}, {}, { delayMs: 600_000 });
  const producer = startProduce(ctx, stub, topic);
  try {
    await producer.waitFor(() => stub.requests.length >= before + 4, 60_000);
    await producer.waitFor(() => producedLines(producer) >= 6, 30_000);
    await sleep(300);
    producer.kill(signal);
    const stop = await endWithin(producer, PROMPT_MS);
    await accountFor(ctx, tally, `${signal} during a fetch`, producer, topic, stop, PROMPT_MS);
  } finally {
    if (producer.ended === null) await producer.stop();
  }
}

/** A signal while the broker is frozen with prices waiting to be sent. */
async function duringSend(
  ctx: ScenarioContext,
  tally: Tally,
  stub: CoinGeckoStub,
  signal: StopSignal,
) {
  const topic = unique("faults-stop-send");
  const producer = startProduce(ctx, stub, topic);
  let frozen = false;
  try {
    await producer.waitFor(() => producedLines(producer) >= 6, 60_000);
    await ctx.broker.freeze();
    frozen = true;
    await sleep(2_000);
    producer.kill(signal);
    const stop = await endWithin(producer, SEND_DEADLINE_MS + 30_000);
    await ctx.broker.thaw();
    frozen = false;
    await accountFor(
      ctx,
      tally,
      `${signal} during a send (broker frozen)`,
      producer,
      topic,
      stop,
      SEND_DEADLINE_MS,
    );
    const last = tally.produce.at(-1)!;
    tally.checks.push(check(
      `${signal} during a send: prices were pending when the signal came`,
      last.notDelivered > 0 || last.onTopic > producedLines(producer),
      `${last.notDelivered} not delivered, ${producedLines(producer)} acknowledged before the stop`,
    ));
  } finally {
    if (frozen) await ctx.broker.thaw();
    if (producer.ended === null) await producer.stop();
  }
}

/** A second signal, 0.6 s after the first, while something holds the stop up. */
async function secondSignal(
  ctx: ScenarioContext,
  tally: Tally,
  stub: CoinGeckoStub,
  signal: StopSignal,
): Promise<void> {
  const topic = unique("faults-stop-twice");
  const producer = startProduce(ctx, stub, topic);
  let frozen = false;
  try {
    await producer.waitFor(() => producedLines(producer) >= 4, 60_000);
    await ctx.broker.freeze();
    frozen = true;
    await sleep(1_000);
    producer.kill(signal);
    await sleep(SECOND_SIGNAL_AFTER_MS);
    const stillStopping = producer.ended === null;
    const sentAt = Date.now();
    producer.kill(signal);
    const { ended } = await endWithin(producer, PROMPT_MS);
    const ms = Date.now() - sentAt;
    await ctx.broker.thaw();
    frozen = false;
    tally.restarts += restartsOf(producer);
    const line = /Second (SIGINT|SIGTERM): exiting now/.test(producer.stderr);
    tally.checks.push(check(
      `a second ${signal} ${
        SECOND_SIGNAL_AFTER_MS / 1000
      } s after the first (broker frozen): exit 130 at once`,
      stillStopping && ended.code === 130 && ms < 3_000 && line,
      `${
        stillStopping ? "still stopping" : "already ended"
      } at the second signal; exit ${ended.code} after ${ms} ms${line ? ", said so" : ""}`,
    ));
    ctx.log(`  second ${signal}: exit ${ended.code} after ${ms} ms`);
  } finally {
    if (frozen) await ctx.broker.thaw();
    if (producer.ended === null) await producer.stop();
  }
}

/** A signal to one of two consumers of a group while the group rebalances. */
async function duringRebalance(
  ctx: ScenarioContext,
  tally: Tally,
  stub: CoinGeckoStub,
  signal: StopSignal,
): Promise<void> {
  const topic = unique("faults-stop-rebalance");
  const group = unique("faults-stop-group");
  const producer = startProduce(ctx, stub, topic);
  const first = startConsumer(ctx, topic, group);
  const sampler = new Sampler(() => consumedIds(first.stdout).length);
  let second: RunningCommand | null = null;
  try {
    await first.waitFor((out) => consumedIds(out).length >= 8, 90_000);
    second = startConsumer(ctx, topic, group);
    // The second member connects and joins: the group rebalances while the first is stopped.
    await second.waitFor((_out, err) => err.includes("Connected to Kafka topic"), 60_000);
    await sleep(500);
    const signalledAt = Date.now();
    first.kill(signal);
    const firstStop = await endWithin(first, 60_000);
    sampler.stop();
    const firstEndedAt = Date.now();
    // The second consumer takes over every partition and goes on.
    const printedByFirst = consumedIds(first.stdout).length;
    await second.waitFor((out) => consumedIds(out).length > 0, 90_000);
    await sleep(2_000);
    const producerStop = await (async () => {
      producer.kill(signal);
      return await endWithin(producer, PROMPT_MS);
    })();
    const onTopic = summarize(await readAll(ctx.broker.brokers, topic));
    const deadline = Date.now() + 90_000;
    const union = () => new Set([...consumedIds(first.stdout), ...consumedIds(second!.stdout)]);
    while ([...onTopic.ids].some((id) => !union().has(id)) && Date.now() < deadline) {
      await sleep(250);
    }
    second.kill(signal);
    const secondStop = await endWithin(second, PROMPT_MS);
    const fromFirst = consumedIds(first.stdout);
    const fromSecond = consumedIds(second.stdout);
    const both = coverage(onTopic.ids, [...fromFirst, ...fromSecond]);
    const { missed, duplicated: duplicates } = both;
    const selfRepeats = coverage(onTopic.ids, fromFirst).duplicated +
      coverage(onTopic.ids, fromSecond).duplicated;
    // What the first printed but may not have committed: since its last commit before the signal.
    const bound = sampler.grewWithin(
      firstEndedAt,
      firstEndedAt - signalledAt + 2 * COMMIT_INTERVAL_MS,
    );
    tally.consumerMissed += missed;
    tally.consumerDuplicates += duplicates;
    tally.restarts += restartsOf(first) + restartsOf(second) + restartsOf(producer);
    tally.codes.push(firstStop.ended.code, secondStop.ended.code);
    const label = `${signal} during a rebalance`;
    tally.checks.push(
      check(
        `${label}: the signalled consumer exits 0`,
        firstStop.ended.code === 0 && firstStop.ms < 45_000,
        `exit ${firstStop.ended.code} after ${
          (firstStop.ms / 1000).toFixed(1)
        } s, ${printedByFirst} printed`,
      ),
      check(
        `${label}: the other consumer and the producer exit 0 on ${signal}`,
        secondStop.ended.code === 0 && producerStop.ended.code === 0,
        `consumer exit ${secondStop.ended.code}, producer exit ${producerStop.ended.code}`,
      ),
      check(
        `${label}: what both printed covers the topic`,
        missed === 0 && onTopic.ids.size > 0,
        `${both.distinct} distinct printed of ${onTopic.ids.size} on the topic, ${missed} missed`,
      ),
      check(
        `${label}: duplicates only across the hand-over, at most what was uncommitted`,
        selfRepeats === 0 && duplicates <= bound,
        `${duplicates} printed by both (bound ${bound}), ${selfRepeats} repeated by one consumer`,
      ),
    );
    ctx.log(
      `  ${label}: first exit ${firstStop.ended.code} after ${
        (firstStop.ms / 1000).toFixed(1)
      } s; ${both.distinct}/${onTopic.ids.size} printed, ${duplicates} duplicates (bound ${bound})`,
    );
  } finally {
    sampler.stop();
    for (const command of [first, second, producer]) {
      if (command && command.ended === null) await command.stop();
    }
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const stub = await CoinGeckoStub.start();
  const tally = new Tally();
  const signals: StopSignal[] = ["SIGINT", "SIGTERM"];
  try {
    for (const signal of signals) await duringFetch(ctx, tally, stub, signal);
    if (!ctx.quick) {
      for (const signal of signals) await duringSend(ctx, tally, stub, signal);
      for (const signal of signals) await secondSignal(ctx, tally, stub, signal);
    }
    for (const signal of signals) await duringRebalance(ctx, tally, stub, signal);
  } finally {
    await stub.close();
  }
  const sum = (f: (c: ProduceCase) => number) => tally.produce.reduce((n, c) => n + f(c), 0);
  const fetched = sum((c) => c.fetched);
  const lost = sum((c) => Math.max(0, c.fetched - c.onTopic - c.notDelivered - c.dropped)) +
    tally.consumerMissed;
  const exitCode = tally.codes.find((code) => code !== 0) ?? 0;
  return {
    id: "8",
    title: "Shutdown",
    injected: ctx.quick
      ? "SIGINT and SIGTERM during a fetch held open by the stand-in and during a consumer-group rebalance"
      : "SIGINT and SIGTERM during a fetch held open, during a send (broker frozen with SIGSTOP), during a rebalance; a second signal 0.6 s after the first",
    expected:
      "exit 0 with a summary; every fetched price on the topic or reported not delivered; both consumers together print the whole topic; a second signal exits 130 at once",
    measured: {
      fetched,
      delivered: sum((c) => c.onTopic),
      lost,
      duplicated: sum((c) => c.duplicates) + tally.consumerDuplicates,
      dropped: sum((c) => c.dropped),
      restarts: tally.restarts,
      exitCode,
    },
    checks: tally.checks,
    notes: tally.notes,
    explanation:
      `shutdown: each stop is done once with SIGINT and once with SIGTERM, sent to \`deno run\` itself (\`deno task\` does not forward SIGTERM). *During a fetch*: the stand-in holds \`produce\`'s fourth request open and the signal comes meanwhile. ${
        ctx.quick
          ? ""
          : "*During a send*: the broker is frozen with SIGSTOP 2 s before the signal, so prices wait in the buffer and a send hangs; the Publisher has 30 s to deliver, then the rest is reported as `Not delivered`; the broker is let go (SIGCONT) before the topic is read back. *A second signal*, 0.6 s after the first (the first debounced only within 100 ms), with the broker frozen, must exit 130 at once. "
      }*During a rebalance*: a second \`consume\` joins the group of a running one while \`produce\` publishes, and the first is signalled as the group rebalances; what both printed must cover the topic. *fetched*, *delivered*, *dropped* add the fetch and send cases' producer runs (delivered = distinct \`message_id\`s on their topics); *lost* = prices neither on the topic nor reported (\`Not delivered\`, dropped), plus messages no consumer printed; *duplicated* counts repeats on the topics and messages printed by both consumers (allowed: at most what the first printed since its last commit); *exit code* is 0 when every single-signal stop exited 0 (the second-signal runs are checked for 130 apart).`,
  };
}
