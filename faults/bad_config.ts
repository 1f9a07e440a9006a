/**
 * Scenario 6: bad configuration. Every variable of docs/configuration.md and every flag of produce, consume,
 * start and lag, with wrong, empty and extreme values, through the real commands: exit 2 and
 * one line naming it, never a stack trace, nothing on stdout. An empty variable counts as unset.
 * A wrong broker address or password: exit 1 within `KAFKA_CONNECT_TIMEOUT` and a clear message.
 *
 * @module
 */
import { badCases, type CommandName, EMPTY_VARIABLES, VARIABLES } from "./bad_values.ts";
import { type Ended, spawn } from "./command.ts";
import { check, type Scenario, type ScenarioContext, type ScenarioResult } from "./scenario.ts";
import { unique } from "./topic.ts";

/** `KAFKA_CONNECT_TIMEOUT` of the runs that cannot connect, s. */
const CONNECT_TIMEOUT_S = 3;
/** Start-up allowance on top of it (a loaded machine). */
const SLACK_MS = 20_000;
/** Subprocesses at a time. */
const PARALLEL = 4;
/** Values that must never be printed. */
const SECRETS = ["COINGECKO_API_KEY", "KAFKA_SASL_PASSWORD"];

/** One case and what it must do. */
interface Case {
  /** Its group in the report. */
  group: "bad value" | "empty variable" | "wrong broker" | "wrong password";
  /** The command. */
  command: CommandName;
  /** Environment. */
  env: Record<string, string>;
  /** Flags. */
  args: string[];
  /** Exit code expected. */
  code: number;
  /** What the error line must contain, or null when there is none (exit 2 only). */
  mention: string;
  /** Time allowed, ms. */
  withinMs: number;
  /** What it is, for the report. */
  label: string;
}

/** How one case went. */
interface Outcome {
  /** The case. */
  c: Case;
  /** Why it failed, or null. */
  failure: string | null;
  /** Supervisor restarts it logged. */
  restarts: number;
}

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function runCase(c: Case): Promise<Outcome> {
  const began = Date.now();
  const run = spawn(c.command, { args: c.args, env: c.env });
  const timer = setTimeout(() => run.kill("SIGKILL"), c.withinMs + 30_000);
  let ended: Ended;
  try {
    ended = await run.done;
  } finally {
    clearTimeout(timer);
  }
  const ms = Date.now() - began;
  const { stdout, stderr } = run;
  const errors = stderr.split("\n").filter((l) => l.startsWith("error: "));
  const problems: string[] = [];
  if (ended.code !== c.code) problems.push(`exit ${ended.code}, expected ${c.code}`);
  if (ms > c.withinMs) problems.push(`took ${(ms / 1000).toFixed(1)} s`);
  if (/^\s+at /m.test(stdout + stderr)) problems.push("stack trace printed");
  if (c.code === 2) {
    const lines = stderr.trimEnd().split("\n");
    if (lines.length !== 1 || errors.length !== 1) problems.push(`${lines.length} stderr lines`);
    if (stdout !== "") problems.push("stdout not empty");
  } else if (errors.length !== 1) problems.push(`${errors.length} error lines`);
  if (errors.length > 0 && !errors.at(-1)!.includes(c.mention)) {
    problems.push(`error does not name ${c.mention}: ${errors.at(-1)!.slice(0, 160)}`);
  }
  for (const name of SECRETS) {
    const secret = c.env[name];
    if (secret && secret.trim().length >= 4 && (stdout + stderr).includes(secret.trim())) {
      problems.push(`${name} printed`);
    }
  }
  return {
    c,
    failure: problems.length === 0 ? null : `${c.label}: ${problems.join("; ")}`,
    restarts: (stdout + stderr).split("restarted (attempt").length - 1,
  };
}

async function pool(cases: Case[], log: (line: string) => void): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      outcomes.push(await runCase(c));
      if (outcomes.length % 50 === 0) log(`  ${outcomes.length} of ${cases.length} cases run`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return outcomes;
}

/** The bad-configuration scenario. */
export const badConfig: Scenario = {
  id: "6",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const port = closedPort();
    const nowhere = `127.0.0.1:${port}`;
    // Under .data/, where the tasks may write; removed at the end.
    const storeFile = `.data/${unique("faults-badconfig")}.db`;
    const base = {
      COINGECKO_BASE_URL: ctx.coingeckoUrl,
      COINGECKO_API_KEY: "CG-topsecret-9f2",
      CANDLE_STORE: `sqlite:${storeFile}`,
    };
    // A value wrongly accepted must not reach a broker of anyone's: it fails at a closed port.
    const contained = { ...base, KAFKA_BOOTSTRAP_SERVERS: nowhere, KAFKA_CONNECT_TIMEOUT: "2" };
    const generated = badCases();
    const bad: Case[] = generated.map((b) => ({
      group: "bad value",
      command: b.command,
      env: { ...contained, ...b.env },
      args: b.args,
      code: 2,
      mention: b.name,
      withinMs: 30_000,
      label: b.label,
    }));
    const commands: CommandName[] = ["produce", "consume", "start", "lag", "candles"];
    const extra = (command: CommandName) => command === "start" ? ["--transport", "kafka"] : [];
    const readers = new Map(VARIABLES);
    const empty: Case[] = EMPTY_VARIABLES.map((variable) => {
      const command = readers.get(variable)![0]!;
      const timeout = variable === "KAFKA_CONNECT_TIMEOUT" ? 30 : CONNECT_TIMEOUT_S;
      return {
        group: "empty variable",
        command,
        env: { ...base, KAFKA_CONNECT_TIMEOUT: String(CONNECT_TIMEOUT_S), [variable]: "" },
        args: [
          "--brokers",
          nowhere,
          ...extra(command),
          ...(command === "consume" ? ["--group", unique("g")] : []),
        ],
        code: 1,
        mention: "Cannot reach Kafka",
        withinMs: timeout * 1000 + SLACK_MS,
        label: `${command} ${variable}=""`,
      };
    });
    const broker: Case[] = commands.map((command) => ({
      group: "wrong broker",
      command,
      env: { ...base, KAFKA_CONNECT_TIMEOUT: String(CONNECT_TIMEOUT_S) },
      args: ["--brokers", nowhere, ...extra(command)],
      code: 1,
      mention: `Cannot reach Kafka at ${nowhere} within ${CONNECT_TIMEOUT_S}s`,
      withinMs: CONNECT_TIMEOUT_S * 1000 + SLACK_MS,
      label: `${command} --brokers ${nowhere} (closed port)`,
    }));
    const password: Case[] = commands.map((command) => ({
      group: "wrong password",
      command,
      env: {
        ...base,
        KAFKA_CONNECT_TIMEOUT: String(CONNECT_TIMEOUT_S),
        KAFKA_SASL_MECHANISM: "scram-sha-256",
        KAFKA_SASL_USERNAME: "crypto",
        KAFKA_SASL_PASSWORD: "not-the-password-41d",
        KAFKA_TOPIC: unique("faults-badconfig"),
      },
      args: ["--brokers", ctx.saslBrokers, ...extra(command)],
      code: 1,
      mention: "refused the credentials of user",
      withinMs: CONNECT_TIMEOUT_S * 1000 + SLACK_MS,
      label: `${command} with a wrong KAFKA_SASL_PASSWORD`,
    }));
    let cases = [...bad, ...empty, ...broker, ...password];
    if (ctx.quick) {
      // A sample: every 12th bad value, a few empty variables, the broker cases of lag.
      cases = [
        ...bad.filter((_, i) => i % 12 === 0),
        ...empty.filter((c, i) => i % 5 === 0 && !c.label.includes("KAFKA_CONNECT_TIMEOUT")),
        ...broker.filter((c) => c.command === "lag"),
        ...password.filter((c) => c.command === "lag"),
      ];
    }
    ctx.log(`  ${cases.length} cases, ${PARALLEL} at a time`);
    const outcomes = await pool(cases, ctx.log);
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(storeFile + suffix).catch(() => {});
    }
    const failures = outcomes.filter((o) => o.failure !== null);
    const groupCheck = (what: string, group: Case["group"]) => {
      const mine = outcomes.filter((o) => o.c.group === group);
      const failed = mine.filter((o) => o.failure !== null);
      return check(
        what,
        mine.length > 0 && failed.length === 0,
        `${mine.length - failed.length} of ${mine.length} passed${
          failed.length ? `; ${failed.slice(0, 3).map((o) => o.failure).join(" | ")}` : ""
        }`,
      );
    };
    const checks = [
      groupCheck(
        "bad value: exit 2, one stderr line naming the variable or flag, no stack trace, empty stdout",
        "bad value",
      ),
      groupCheck(
        "empty variable: taken as unset (the default), not refused",
        "empty variable",
      ),
      groupCheck(
        `wrong broker address: exit 1 within KAFKA_CONNECT_TIMEOUT=${CONNECT_TIMEOUT_S} s (+${
          SLACK_MS / 1000
        } s start-up), one clear error line`,
        "wrong broker",
      ),
      groupCheck(
        "wrong SASL password: exit 1 at once, one clear error line, password not printed",
        "wrong password",
      ),
    ];
    if (!ctx.quick) {
      const variables = new Set(VARIABLES.map(([v]) => v));
      const flagsCovered = new Set(generated.map((b) => `${b.command} ${b.name}`));
      const uncovered = [...variables].filter((v) =>
        !generated.some((b) => b.name === v || v in b.env)
      );
      checks.push(check(
        "every variable and every flag of the five commands is covered",
        uncovered.length === 0,
        `${variables.size} variables, ${flagsCovered.size} command/flag pairs${
          uncovered.length ? `; not covered: ${uncovered.join(", ")}` : ""
        }`,
      ));
    }
    const byGroup = (group: Case["group"]) => outcomes.filter((o) => o.c.group === group).length;
    return {
      id: "6",
      title: "Bad configuration",
      injected: `${
        byGroup("bad value")
      } wrong, empty or extreme variables and flags over produce, consume, start, lag and candles; ${
        byGroup("empty variable")
      } empty variables; a closed broker port and a wrong SASL password for ${
        byGroup("wrong broker")
      } commands`,
      expected:
        "exit 2 and one line naming the variable or flag, never a stack trace; empty = unset; unreachable broker or wrong password: exit 1 within KAFKA_CONNECT_TIMEOUT, clear message",
      measured: {
        fetched: outcomes.length,
        delivered: outcomes.length - failures.length,
        lost: failures.length,
        duplicated: 0,
        dropped: 0,
        restarts: outcomes.reduce((n, o) => n + o.restarts, 0),
        exitCode: failures.length === 0 ? 0 : 1,
      },
      checks,
      notes: failures.slice(0, 10).map((o) => o.failure!),
      explanation:
        `bad configuration: every variable of docs/configuration.md (and \`PRODUCER_BUFFER_SIZE\`) through each command that reads it, and every flag of produce, consume, start, lag and candles, with a wrong, an empty and an extreme value (out of range, 250–2,000 characters, a line break), plus an unknown flag, a stray argument and a flag without its value, each run as the real command (\`faults/bad_values.ts\`, the table the configuration tests use too): exit 2, exactly one \`error:\` line on stderr naming the variable or flag, no stack frame, nothing on stdout, and no secret (\`COINGECKO_API_KEY\`, \`KAFKA_SASL_PASSWORD\`) in the output. An empty variable means unset, so each is also run alone and must get past the configuration (exit 1 at the closed broker port, not 2). Then each command with a closed broker port and with a wrong SASL password, \`KAFKA_CONNECT_TIMEOUT=${CONNECT_TIMEOUT_S}\`: exit 1 within that plus ${
          SLACK_MS / 1000
        } s of start-up, one \`error:\` line (\`Cannot reach Kafka at … within ${CONNECT_TIMEOUT_S}s\`, \`refused the credentials of user …\`). *fetched* is the cases run, *delivered* the cases that behaved, *lost* the cases that did not; *duplicated* and *dropped* do not apply (0); *restarts* counts supervisor restarts logged by any case; *exit* is 0 when every case passed.`,
    };
  },
};
