/**
 * Scenario 9: authentication. `produce` and `consume` go through the broker's SASL
 * (SCRAM-SHA-256) listener with `KAFKA_SASL_*`; a wrong password fails at once with exit 1 and
 * a clear message; the password is in no output.
 *
 * @module
 */
import { type Ended, type RunningCommand, spawn } from "./command.ts";
import {
  check,
  producedLines,
  producerSummary,
  restartsOf,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from "./scenario.ts";
import { consumedIds, coverage, readAll, summarize, unique } from "./topic.ts";

/** The SCRAM user `scripts/kafka.sh` creates, and its password. */
const USER = Deno.env.get("KAFKA_SCRAM_USER") ?? "crypto";
const PASSWORD = Deno.env.get("KAFKA_SCRAM_PASSWORD") ?? "crypto-secret";
/** A wrong password, distinctive enough to find in any output. */
const WRONG = "wrong-password-5c1e7";
/** The connect timeout of the wrong-password runs: failing "at once" is well inside it. */
const CONNECT_TIMEOUT_S = 60;
/** What "at once" means for a refused password, start-up included. */
const AT_ONCE_MS = 20_000;

function sasl(ctx: ScenarioContext, password: string, topic: string): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP_SERVERS: ctx.saslBrokers,
    KAFKA_SASL_MECHANISM: "scram-sha-256",
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_TOPIC: topic,
  };
}

/** Waits for a command to end, SIGKILLing it past `timeoutMs`. */
async function finish(command: RunningCommand, timeoutMs: number): Promise<Ended> {
  const timer = setTimeout(() => command.kill("SIGKILL"), timeoutMs);
  try {
    return await command.done;
  } finally {
    clearTimeout(timer);
  }
}

/** The authentication scenario. */
export const authentication: Scenario = {
  id: "9",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const topic = unique("faults-sasl");
    const iterations = ctx.quick ? 5 : 50;
    const prices = iterations * 2;
    const producer = spawn("produce", {
      args: ["--iterations", String(iterations), "--interval", "0.1"],
      env: {
        ...sasl(ctx, PASSWORD, topic),
        KAFKA_CONNECT_TIMEOUT: "30",
        COINGECKO_BASE_URL: ctx.coingeckoUrl,
        API_RATE_LIMIT_DELAY: "0",
      },
    });
    const produced = await finish(producer, 120_000);
    const summary = producerSummary(producer.stdout);
    const consumer = spawn("consume", {
      args: [
        "--format",
        "json",
        "--from-beginning",
        "--max-messages",
        String(prices),
        "--group",
        unique("faults-sasl-group"),
      ],
      env: { ...sasl(ctx, PASSWORD, topic), KAFKA_CONNECT_TIMEOUT: "30" },
    });
    const consumed = await finish(consumer, 120_000);
    const printed = consumedIds(consumer.stdout);
    // Read back over the plain listener, independent of the program.
    const onTopic = summarize(await readAll(ctx.broker.brokers, topic));
    const { covered: delivered, duplicated } = coverage(onTopic.ids, printed);

    const refused: { name: string; ended: Ended; ms: number; stdout: string; stderr: string }[] =
      [];
    for (const name of ["produce", "consume"] as const) {
      const began = Date.now();
      const run = spawn(name, {
        args: name === "consume" ? ["--group", unique("faults-sasl-wrong")] : [],
        env: {
          ...sasl(ctx, WRONG, unique("faults-sasl-wrong")),
          KAFKA_CONNECT_TIMEOUT: String(CONNECT_TIMEOUT_S),
          COINGECKO_BASE_URL: ctx.coingeckoUrl,
        },
      });
      const ended = await finish(run, (CONNECT_TIMEOUT_S + 30) * 1000);
      refused.push({ name, ended, ms: Date.now() - began, stdout: run.stdout, stderr: run.stderr });
    }
    const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("error:"));
    const clear = (stderr: string) => {
      const lines = errorLines(stderr);
      return lines.length === 1 && /refused the credentials of user/.test(lines[0]!) &&
        lines[0]!.includes("KAFKA_SASL_PASSWORD") && !stderr.includes("    at ");
    };
    const outputs = [producer, consumer].map((c) => c.stdout + c.stderr)
      .concat(refused.map((r) => r.stdout + r.stderr));
    const leaks = outputs.filter((o) => o.includes(PASSWORD) || o.includes(WRONG)).length;
    const lost = summary.fetched - delivered - summary.dropped;

    const checks = [
      check(
        "produce through SASL: exit 0, every price produced",
        produced.code === 0 && producedLines(producer) === prices && summary.fetched === prices,
        `exit ${produced.code}, ${
          producedLines(producer)
        } Produced lines, ${summary.fetched} fetched, ${prices} expected`,
      ),
      check(
        "consume through SASL: exit 0, every price printed once",
        consumed.code === 0 && delivered === onTopic.ids.size &&
          onTopic.ids.size === prices && duplicated === 0,
        `exit ${consumed.code}, ${delivered} of ${onTopic.ids.size} on the topic printed, ${duplicated} twice`,
      ),
      ...refused.map((r) =>
        check(
          `${r.name} with a wrong password: exit 1 at once, one clear error line`,
          r.ended.code === 1 && r.ms < AT_ONCE_MS && clear(r.stderr),
          `exit ${r.ended.code} after ${
            (r.ms / 1000).toFixed(1)
          } s (KAFKA_CONNECT_TIMEOUT=${CONNECT_TIMEOUT_S}): ${
            errorLines(r.stderr)[0]?.slice(0, 200) ?? r.stderr.trim().split("\n").at(-1)
          }`,
        )
      ),
      check(
        "the password (right or wrong) is in no output",
        leaks === 0,
        `${leaks} of ${outputs.length} outputs contain it`,
      ),
    ];
    return {
      id: "9",
      title: "Authentication (SASL SCRAM-SHA-256)",
      injected:
        `produce and consume through the SCRAM listener ${ctx.saslBrokers}; then a wrong password`,
      expected:
        "all prices through SASL, exit 0; a wrong password: exit 1 at once with a clear message; the password printed nowhere",
      measured: {
        fetched: summary.fetched,
        delivered: delivered,
        lost,
        duplicated,
        dropped: summary.dropped,
        restarts: restartsOf(producer) + restartsOf(consumer),
        exitCode: consumed.code,
      },
      checks,
      notes: refused.map((r) =>
        `${r.name} with a wrong password ended with exit ${r.ended.code} after ${
          (r.ms / 1000).toFixed(1)
        } s`
      ),
      explanation:
        `authentication: \`produce --iterations ${iterations}\` (${prices} prices from the stand-in) and then \`consume --format json --from-beginning --max-messages ${prices}\` run against the broker's SASL_PLAINTEXT listener with \`KAFKA_SASL_MECHANISM=scram-sha-256\` and the local user's password; then each of them once with a wrong password and \`KAFKA_CONNECT_TIMEOUT=${CONNECT_TIMEOUT_S}\`, which must fail within ${
          AT_ONCE_MS / 1000
        } s (no retrying until the timeout) with exit 1 and one \`error:\` line naming the user and \`KAFKA_SASL_PASSWORD\`. No output of any of these runs may contain either password. *fetched* is the producer summary's \`Prices fetched\`, *delivered* the distinct \`message_id\`s the SASL consumer printed that are on the topic (read back over the plain listener), *lost* = fetched − delivered − dropped; *exit* is the SASL consumer's.`,
    };
  },
};
