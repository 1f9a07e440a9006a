/**
 * Scenario 7: actor crashes: actors made to throw (`FAULT_INJECT`) in running `produce` and
 * `consume` processes; under the intensity limit nothing is lost and the backoff grows and
 * resets, past it the program stops cleanly with exit 1.
 *
 * @module
 */
import { CoinGeckoStub } from "../tests/support/coingecko_stub.ts";
import { occurrences, type RunningCommand, sleep, spawn } from "./command.ts";
import {
  check,
  noDuplicates,
  producedLines,
  producerSummary,
  restartsOf,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  startConsumer,
} from "./scenario.ts";
import { consumedIds, coverage, readAll, summarize, unique } from "./topic.ts";

const COINS = "bitcoin:BTC,ethereum:ETH,solana:SOL,cardano:ADA";
const PER_CYCLE = 4;
/** Held fetch that lets the Encoder run more than `resetAfterMs` (30 s) without a crash. */
const QUIET_MS = 32_000;

/** The actor crashes scenario. */
export const actorCrash: Scenario = { id: "7", run };

/** One `... failed: ...; restarting in N ms` line, and the restart that followed. */
interface Restart {
  child: string;
  delayMs: number;
}

/** The delays the supervisor logged, in order. */
function restartDelays(stderr: string): Restart[] {
  return [...stderr.matchAll(/ (\w+) failed: .*; restarting in (\d+) ms/g)].map((m) => ({
    child: m[1]!,
    delayMs: Number(m[2]),
  }));
}

/** The `restarted (attempt n)` numbers logged for one child. */
function attempts(stderr: string, child: string): number[] {
  return [...stderr.matchAll(new RegExp(` ${child} restarted \\(attempt (\\d+)\\)`, "g"))].map((
    m,
  ) => Number(m[1]));
}

function startProduce(
  stub: CoinGeckoStub,
  ctx: ScenarioContext,
  topic: string,
  inject: string,
): RunningCommand {
  return spawn("produce", {
    args: ["--interval", "1", "--coins", COINS, "--topic", topic, "--brokers", ctx.broker.brokers],
    env: {
      COINGECKO_BASE_URL: stub.url,
      API_RATE_LIMIT_DELAY: "0",
      API_TIMEOUT: "120",
      FAULT_INJECT: inject,
    },
  });
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const stub = await CoinGeckoStub.start();
  const running: RunningCommand[] = [];
  try {
    // Part 1, under the limit: the Encoder throws on every 5th message it receives (the one
    // handed back counts too), the Publisher on every 13th. Four cycles at 1 s give three quick
    // Encoder crashes (growing delays) and one of the Publisher; in the full run the 5th fetch is
    // held 32 s, so the Encoder runs longer than resetAfterMs before its next crash (the delay
    // starts over). 5 crashes in all: the limit is more than 5 within 60 s.
    const cycles = ctx.quick ? 4 : 5;
    const answers: { delayMs?: number }[] = Array.from({ length: 4 }, () => ({}));
    if (!ctx.quick) answers.push({ delayMs: QUIET_MS });
    stub.enqueue(...answers, { delayMs: 600_000 });
    const topic = unique("faults-crash");
    const inject = "encoder:every=5,publisher:every=13";
    const producer = startProduce(stub, ctx, topic, inject);
    running.push(producer);
    const expected = cycles * PER_CYCLE;
    await producer.waitFor(() => producedLines(producer) >= expected, 120_000);
    // The next fetch is held by the stand-in: stop while it hangs.
    await sleep(1_000);
    const producerEnded = await producer.stop();
    const summary = producerSummary(producer.stdout);
    const onTopic = summarize(await readAll(ctx.broker.brokers, topic));
    const delays = restartDelays(producer.stderr);
    const encoder = delays.filter((d) => d.child === "encoder").map((d) => d.delayMs);
    const encoderAttempts = attempts(producer.stderr, "encoder");
    const publisherCrashes = delays.filter((d) => d.child === "publisher").length;
    ctx.log(
      `  under the limit: ${summary.fetched} fetched, ${onTopic.ids.size} on the topic; encoder delays ${
        encoder.join(", ")
      } ms (attempts ${encoderAttempts.join(", ")}), ${publisherCrashes} publisher crash(es)`,
    );

    // The consumer: the Printer throws on every 6th message; all must be printed once.
    const group = unique("faults-crash-group");
    const consumer = startConsumer(ctx, topic, group, {
      args: ["--max-messages", String(onTopic.messages)],
      env: { FAULT_INJECT: "printer:every=6" },
    });
    running.push(consumer);
    const timer = setTimeout(() => consumer.kill("SIGKILL"), 120_000);
    const consumerEnded = await consumer.done;
    clearTimeout(timer);
    const printed = coverage(onTopic.ids, consumedIds(consumer.stdout));
    const printerCrashes = occurrences(consumer.stderr, "printer failed: Injected fault");

    // Part 2, past the limit: the Encoder throws on every message (each is let through the
    // second time), so the sixth crash comes within seconds.
    const giveUpTopic = unique("faults-crash-limit");
    const limited = startProduce(stub, ctx, giveUpTopic, "encoder:every=1");
    running.push(limited);
    const limitTimer = setTimeout(() => limited.kill("SIGKILL"), 120_000);
    const limitedEnded = await limited.done;
    clearTimeout(limitTimer);
    const limitedSummary = producerSummary(limited.stdout);
    const limitedTopic = summarize(await readAll(ctx.broker.brokers, giveUpTopic));
    const errorLines = limited.stderr.split("\n").filter((l) => l.startsWith("error: "));
    const stackTrace = /^\s+at /m.test(limited.stderr + producer.stderr + consumer.stderr);
    const limitedAccounted = limitedTopic.ids.size + limitedSummary.notDelivered +
      limitedSummary.dropped;
    ctx.log(
      `  past the limit: exit ${limitedEnded.code}, ${limitedSummary.fetched} fetched, ${limitedTopic.ids.size} on the topic, ${limitedSummary.notDelivered} reported not delivered`,
    );

    const grows = encoder.length >= 3 && encoder[1]! > encoder[0]! && encoder[2]! > encoder[1]!;
    const checks = [
      check(
        "produce with crashing Encoder and Publisher: SIGTERM exits 0 with a summary",
        producerEnded.code === 0 && summary.printed,
        `exit ${producerEnded.code}, summary ${summary.printed ? "printed" : "missing"}`,
      ),
      check(
        "the Encoder crashed and was restarted at least 3 times, the Publisher at least once",
        encoder.length >= 3 && publisherCrashes >= 1 && restartsOf(producer) >= 4,
        `${encoder.length} encoder and ${publisherCrashes} publisher crashes, ${
          restartsOf(producer)
        } restarts logged`,
      ),
      check(
        "restart delays grow (exponential with jitter: ~100, ~200, ~400 ms)",
        grows && encoder[0]! <= 100 && encoder[2]! >= 250,
        `encoder delays ${encoder.join(", ")} ms`,
      ),
      check(
        "nothing lost: fetched = on the topic, Not delivered 0",
        summary.fetched === onTopic.ids.size && summary.notDelivered === 0 &&
          summary.fetched === expected,
        `${summary.fetched} fetched (${expected} expected), ${onTopic.ids.size} on the topic, ${summary.notDelivered} not delivered`,
      ),
      noDuplicates("no duplicates on the topic", onTopic),
      check(
        "consume with a crashing Printer prints every message on the topic once, exit 0",
        consumerEnded.code === 0 && printed.missed === 0 && printed.duplicated === 0 &&
          printerCrashes >= 1,
        `exit ${consumerEnded.code}, ${printed.distinct} of ${onTopic.ids.size} printed, ${printed.duplicated} twice, ${printerCrashes} printer crashes`,
      ),
      check(
        "past the limit: exit 1 with one line naming the actor, a summary, no stack trace",
        limitedEnded.code === 1 && errorLines.length === 1 &&
          /encoder failed more than 5 times within 60000 ms/.test(errorLines[0] ?? "") &&
          limitedSummary.printed && !stackTrace,
        `exit ${limitedEnded.code}; ${JSON.stringify(errorLines)}; summary ${
          limitedSummary.printed ? "printed" : "missing"
        }`,
      ),
      check(
        "past the limit: fetched = on the topic + reported Not delivered",
        limitedSummary.fetched === limitedAccounted && limitedSummary.notDelivered > 0 &&
          limitedTopic.duplicates === 0,
        `${limitedSummary.fetched} fetched, ${limitedTopic.ids.size} on the topic, ${limitedSummary.notDelivered} not delivered, ${limitedTopic.duplicates} duplicates`,
      ),
    ];
    if (!ctx.quick) {
      checks.push(check(
        `after ${QUIET_MS / 1000} s without a crash the delay starts over (attempt 1, ~100 ms)`,
        encoder.length >= 4 && encoder[3]! <= 100 && encoderAttempts[3] === 1,
        `4th encoder delay ${encoder[3]} ms, attempt ${encoderAttempts[3]}`,
      ));
    }
    const fetched = summary.fetched + limitedSummary.fetched;
    const delivered = onTopic.ids.size + limitedTopic.ids.size;
    const dropped = summary.dropped + limitedSummary.dropped;
    const reported = summary.notDelivered + limitedSummary.notDelivered;
    return {
      id: "7",
      title: "Actor crashes",
      injected: ctx.quick
        ? "FAULT_INJECT=encoder:every=5,publisher:every=13 (produce), printer:every=6 (consume); then encoder:every=1"
        : `FAULT_INJECT=encoder:every=5,publisher:every=13 (produce, one fetch held ${
          QUIET_MS / 1000
        } s), printer:every=6 (consume); then encoder:every=1`,
      expected:
        "restarts with growing backoff that resets; nothing lost, no duplicates; past the limit exit 1, one line, summary, the rest reported not delivered",
      measured: {
        fetched,
        delivered,
        lost: fetched - delivered - dropped - reported + printed.missed,
        duplicated: onTopic.duplicates + limitedTopic.duplicates + printed.duplicated,
        dropped,
        restarts: restartsOf(producer) + restartsOf(consumer) + restartsOf(limited),
        exitCode: limitedEnded.code,
      },
      checks,
      notes: [
        `encoder restart delays ${encoder.join(", ")} ms (attempts ${
          encoderAttempts.join(", ")
        }); ${publisherCrashes} publisher and ${printerCrashes} printer crashes`,
        `past the limit: ${limitedSummary.fetched} fetched, ${limitedTopic.ids.size} delivered, ${limitedSummary.notDelivered} reported not delivered; ${
          JSON.stringify(errorLines[0] ?? "")
        }`,
      ],
      explanation:
        `actor crashes: \`FAULT_INJECT\` (README, "Fault injection") makes actors of the real commands throw while holding a message. First \`produce --interval 1\` on 4 coins with \`encoder:every=5,publisher:every=13\`: four cycles give three quick Encoder crashes that show the delays growing (~100, ~200, ~400 ms, less up to 20 % jitter), ${
          ctx.quick
            ? ""
            : `then the fifth fetch is held ${
              QUIET_MS / 1000
            } s by the stand-in keeps the Encoder quiet past the supervisor's 30 s reset, and its next delay is ~100 ms again (attempt 1); `
        }5 crashes in all stay within the limit (more than 5 within 60 s); SIGTERM must exit 0. Then \`consume --max-messages\` with \`printer:every=6\` must print every message once (the Printer takes records in batches: the batch in hand at a crash is handed back a record at a time and let through, so the records on the topic give it one crash or more). Last, \`produce\` with \`encoder:every=1\` passes the limit: exit 1, one \`error:\` line naming the Encoder, the summary, no stack trace. *fetched* and *delivered* add both producer runs (delivered = distinct \`message_id\`s on their topics); *lost* = fetched − delivered − dropped − the summaries' \`Not delivered\` + messages on the topic the consumer never printed; *duplicated* counts the topics' and the consumer's repeats; *restarts* all three processes' \`restarted (attempt n)\` lines; *exit code* is that of the run past the limit (the others are checked for 0).`,
    };
  } finally {
    for (const command of running) if (command.ended === null) await command.stop();
    await stub.close();
  }
}
