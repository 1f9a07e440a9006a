/**
 * What every scenario shares: its context, its measured numbers and checks, and the helpers
 * that start the real commands against the stand-in and the broker.
 *
 * @module
 */
import type { FaultBroker } from "./broker.ts";
import type { TopicSummary } from "./topic.ts";
import { type Ended, occurrences, type RunningCommand, sleep, spawn } from "./command.ts";

/** What a scenario runs against. */
export interface ScenarioContext {
  /** The broker to kill and restart. */
  broker: FaultBroker;
  /** The CoinGecko stand-in's base URL. */
  coingeckoUrl: string;
  /** How many requests the stand-in has answered so far. */
  requests: () => number;
  /** How long the broker stays down, ms. */
  outageMs: number;
  /** Progress output. */
  log: (line: string) => void;
  /** The broker's SASL_PLAINTEXT (SCRAM) address, `host:port`. */
  saslBrokers: string;
  /** A short run (for `deno task test`) rather than the full one. */
  quick: boolean;
}

/** The numbers of the report's table. */
export interface Measured {
  /** Prices fetched (producer scenarios) or messages on the topic (consumer scenarios). */
  fetched: number;
  /** Distinct messages delivered: on the topic, or printed by the consumer. */
  delivered: number;
  /** Fetched or on the topic, yet neither delivered nor counted as dropped. */
  lost: number;
  /** Messages delivered more than once. */
  duplicated: number;
  /** Messages dropped and counted by the program (buffer full). */
  dropped: number;
  /** Actor restarts the commands' supervisors logged. */
  restarts: number;
  /** Exit code of the command under test at the end. */
  exitCode: number | null;
}

/** One expectation and whether it held. */
export interface Check {
  /** What was expected. */
  what: string;
  /** Whether it held. */
  ok: boolean;
  /** The evidence. */
  detail: string;
}

/** A scenario's outcome. */
export interface ScenarioResult {
  /** Short id (`1a`, `2`, …). */
  id: string;
  /** What it is about. */
  title: string;
  /** The fault injected. */
  injected: string;
  /** What should happen. */
  expected: string;
  /** The numbers. */
  measured: Measured;
  /** The expectations, one by one. */
  checks: Check[];
  /** Other observations. */
  notes: string[];
  /** What the row means and how its numbers are measured (Markdown, for the report). */
  explanation: string;
}

/** A scenario. */
export interface Scenario {
  /** Short id. */
  id: string;
  /** Runs it. */
  run: (ctx: ScenarioContext) => Promise<ScenarioResult>;
}

/** Coins the producer fetches. */
export const COINS = 2;
/** Seconds between fetches. */
export const INTERVAL = "0.3";
/** The consumer's commit interval, ms (actors/consumer_topology.ts). */
export const COMMIT_INTERVAL_MS = 1_000;

/**
 * Starts `produce` on the stand-in, every 0.3 s, with no API rate limit.
 *
 * @param ctx The context.
 * @param topic The topic.
 * @param env More environment.
 * @returns The running producer, once connected.
 */
export async function startProducer(
  ctx: ScenarioContext,
  topic: string,
  env: Record<string, string> = {},
): Promise<RunningCommand> {
  const producer = spawn("produce", {
    args: ["--interval", INTERVAL, "--topic", topic, "--brokers", ctx.broker.brokers],
    env: { COINGECKO_BASE_URL: ctx.coingeckoUrl, API_RATE_LIMIT_DELAY: "0", ...env },
  });
  await producer.waitFor((out) => out.includes("Connected to Kafka at"), 60_000);
  return producer;
}

/**
 * Starts `consume --format json --group <group> --from-beginning`.
 *
 * @param ctx The context.
 * @param topic The topic.
 * @param group The consumer group.
 * @returns The running consumer.
 */
export function startConsumer(
  ctx: ScenarioContext,
  topic: string,
  group: string,
  more: { args?: string[]; env?: Record<string, string> } = {},
): RunningCommand {
  return spawn("consume", {
    args: [
      "--format",
      "json",
      "--group",
      group,
      "--from-beginning",
      ...(more.args ?? []),
      "--topic",
      topic,
      "--brokers",
      ctx.broker.brokers,
    ],
    env: more.env ?? {},
  });
}

/**
 * The check that a command stopped by SIGTERM exited 0 and printed its summary.
 *
 * @param ended How it ended.
 * @param summaryPrinted Whether its summary is in its output.
 * @returns The check.
 */
export function stoppedCleanly(ended: Ended, summaryPrinted: boolean): Check {
  return check(
    "SIGTERM: exit 0 and a summary",
    ended.code === 0 && summaryPrinted,
    `exit ${ended.code}${ended.signal ? ` (${ended.signal})` : ""}, summary ${
      summaryPrinted ? "printed" : "missing"
    }`,
  );
}

/** `Produced:` lines a producer has printed. */
export function producedLines(producer: RunningCommand): number {
  return occurrences(producer.stdout, "\nProduced: ");
}

/** Supervisor restarts a command logged. */
export function restartsOf(command: RunningCommand): number {
  return occurrences(command.stderr, "restarted (attempt");
}

/** The producer summary's counts. */
export interface ProducerSummary {
  /** `Prices fetched`. */
  fetched: number;
  /** `Messages produced`. */
  produced: number;
  /** `Dropped (buffer full)`, 0 when absent. */
  dropped: number;
  /** `Not delivered`, 0 when absent. */
  notDelivered: number;
  /** Of those, `sent without an answer from Kafka` (they may be on the topic), 0 when absent. */
  unanswered: number;
  /** Whether the summary was printed at all. */
  printed: boolean;
}

/**
 * Reads the producer's closing summary.
 *
 * @param stdout Its standard output.
 * @returns The counts.
 */
export function producerSummary(stdout: string): ProducerSummary {
  const at = stdout.lastIndexOf("Producer summary");
  const text = at < 0 ? "" : stdout.slice(at);
  const count = (label: string) => {
    const match = new RegExp(`^${label.replace(/[()]/g, "\\$&")}: (\\d+)$`, "m").exec(text);
    return match ? Number(match[1]) : 0;
  };
  return {
    fetched: count("Prices fetched"),
    produced: count("Messages produced"),
    dropped: count("Dropped (buffer full)"),
    notDelivered: count("Not delivered"),
    unanswered: count("Of these, sent without an answer from Kafka"),
    printed: at >= 0,
  };
}

/**
 * Kills the broker with SIGKILL, waits `ctx.outageMs`, and starts it again on its data.
 *
 * @param ctx The context.
 * @param during Called once the broker is down (before the wait).
 * @returns How long it was down (until it answered again), ms, and how many stand-in requests
 *   were made meanwhile.
 */
export async function brokerOutage(
  ctx: ScenarioContext,
  during: () => void = () => {},
): Promise<{ downMs: number; requests: number }> {
  const requestsBefore = ctx.requests();
  const killedAt = Date.now();
  await ctx.broker.kill();
  ctx.log(`  broker SIGKILLed; down for ${ctx.outageMs / 1000} s`);
  during();
  await sleep(ctx.outageMs);
  await ctx.broker.up();
  const requests = ctx.requests() - requestsBefore;
  const downMs = Date.now() - killedAt;
  ctx.log(`  broker back after ${(downMs / 1000).toFixed(1)} s`);
  return { downMs, requests };
}

/** Counts of something sampled every 100 ms, to see how many came within a window. */
export class Sampler {
  #samples: { at: number; n: number }[] = [];
  #timer: ReturnType<typeof setInterval>;

  /** @param count What to sample. */
  constructor(count: () => number) {
    this.#timer = setInterval(() => this.#samples.push({ at: Date.now(), n: count() }), 100);
  }

  /**
   * How much the count grew in the `windowMs` before `at`.
   *
   * @param at The end of the window, ms since the epoch.
   * @param windowMs Its length.
   * @returns The growth.
   */
  grewWithin(at: number, windowMs: number): number {
    const inside = this.#samples.filter((s) => s.at <= at);
    const end = inside.at(-1)?.n ?? 0;
    const start = inside.filter((s) => s.at <= at - windowMs).at(-1)?.n ?? 0;
    return end - start;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * A check.
 *
 * @param what What was expected.
 * @param ok Whether it held.
 * @param detail The evidence.
 * @returns The check.
 */
export function check(what: string, ok: boolean, detail: string): Check {
  return { what, ok, detail };
}

/**
 * The check that no message id is on a topic twice.
 *
 * @param what How the scenario's report names it.
 * @param onTopic What was read back.
 * @returns The check.
 */
export function noDuplicates(what: string, onTopic: TopicSummary): Check {
  return check(what, onTopic.duplicates === 0, `${onTopic.duplicates} duplicates`);
}
