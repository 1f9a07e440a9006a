/**
 * What every command's entry point shares: console output, config errors (exit 2) and signals.
 *
 * @module
 */
import { type CommandSpec, helpText } from "../config/cli.ts";
import { ConfigError } from "../config/config_error.ts";
import type { KafkaConfig, ProducerConfig } from "../config/types.ts";
import type { CandleStore } from "../store/candle_store.ts";
import { openStore } from "../store/open_store.ts";
import {
  BrokerAuthenticationError,
  BrokerUnreachableError,
  type TopicInfo,
  type TopicSpec,
} from "../kafka/transport.ts";

const encoder = new TextEncoder();

/**
 * Writes bytes to stdout, all of them, synchronously. When the reader has gone (`| head`),
 * the program ends with one line and exit 1: nothing more can be shown, and a consumer has
 * committed only what was written.
 *
 * @param bytes What to write.
 */
export function writeStdout(bytes: Uint8Array): void {
  if (!tryWriteStdout(bytes)) fail("standard output was closed by its reader; stopping", 1);
}

/**
 * Writes bytes to stdout, all of them, synchronously.
 *
 * @param bytes What to write.
 * @returns False when the reader has gone (`| head`), and nothing more can be written.
 */
function tryWriteStdout(bytes: Uint8Array): boolean {
  try {
    let at = 0;
    while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return false;
    throw error;
  }
}

/** Console output that outlives its reader; see {@linkcode closableStdout}. */
export interface ClosableOutput {
  /** Writes a line to stdout; once stdout was closed, drops it. */
  print: (line: string) => void;
  /** Writes a line to stdout, or to stderr once stdout was closed (notices, the summary). */
  say: (line: string) => void;
  /** Whether stdout was closed by its reader. */
  closed: () => boolean;
}

/**
 * Console output for a program that can stop cleanly when its reader goes away (`| head`): the
 * first write that finds stdout closed calls `onClosed` once, instead of ending the program;
 * later progress lines are dropped, and what must be seen goes to stderr.
 *
 * @param onClosed Called once, when stdout is found closed.
 * @returns The output.
 */
export function closableStdout(onClosed: () => void): ClosableOutput {
  let closed = false;
  const print = (line: string) => {
    if (closed || tryWriteStdout(encoder.encode(`${line}\n`))) return;
    closed = true;
    onClosed();
  };
  return {
    print,
    say: (line) => (closed ? printErr(line) : print(line)),
    closed: () => closed,
  };
}

/**
 * Writes a line to stdout, synchronously so nothing is lost at exit.
 *
 * @param line The text.
 */
export function print(line: string): void {
  writeStdout(encoder.encode(`${line}\n`));
}

/**
 * Writes `error: <message>` to stderr and exits with the code.
 *
 * @param message One line.
 * @param code The exit code.
 * @returns Never.
 */
export function fail(message: string, code: number): never {
  Deno.stderr.writeSync(encoder.encode(`error: ${message}\n`));
  Deno.exit(code);
}

/**
 * Runs `load`; a {@linkcode ConfigError} ends the program with its message and exit code 2.
 *
 * @param load Reads flags and variables.
 * @returns What it returned.
 */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
}

/** The environment, as the config loader reads it. */
export const env = (name: string): string | undefined => Deno.env.get(name);

/**
 * Loads a command's configuration from `Deno.args` and the environment: `--help` prints the
 * usage and exits 0; a bad flag or value prints one line and exits 2.
 *
 * @param command The command's spec, for `--help`.
 * @param load The command's loader; null means help was asked for.
 * @returns The configuration.
 */
export function loadCommand<T>(
  command: CommandSpec,
  load: (args: readonly string[], env: (name: string) => string | undefined) => T | null,
): T {
  const config = loadOrExit(() => load(Deno.args, env));
  if (config === null) {
    print(helpText(command));
    Deno.exit(0);
  }
  return config;
}

/**
 * On the first SIGINT or SIGTERM calls `stop`; on a second one exits at once with 130.
 *
 * @param stop Begins a clean stop.
 * @returns A function that removes the handlers.
 */
export function onStopSignals(stop: (signal: string) => void): () => void {
  let stoppingSince: number | null = null;
  const handlers: [Deno.Signal, () => void][] = (["SIGINT", "SIGTERM"] as const).map((
    signal,
  ) => [signal, () => {
    // One request can arrive twice within a millisecond (a tool that signals both the process
    // and its group); a person pressing Ctrl+C again takes far longer than 100 ms.
    if (stoppingSince !== null && performance.now() - stoppingSince < 100) return;
    if (stoppingSince !== null) {
      Deno.stderr.writeSync(encoder.encode(`\nSecond ${signal}: exiting now\n`));
      Deno.exit(130);
    }
    stoppingSince = performance.now();
    stop(signal);
  }]);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}

/**
 * Connects, or ends the program: exit 1 with how to start a broker when none answers in time,
 * exit 0 when a stop signal came first.
 *
 * @param transport Anything with `connect` and `disconnect`.
 * @param brokers The brokers, for the message.
 * @returns Resolves once connected.
 */
export async function connectOrExit(
  transport: {
    connect(options?: { signal?: AbortSignal }): Promise<void>;
    disconnect(): Promise<void>;
  },
): Promise<void> {
  const connecting = new AbortController();
  const removeHandlers = onStopSignals(() => connecting.abort());
  try {
    await transport.connect({ signal: connecting.signal });
  } catch (error) {
    await transport.disconnect();
    if (connecting.signal.aborted) Deno.exit(0);
    if (error instanceof BrokerUnreachableError) {
      fail(
        `${error.message}. Start a local broker with \`deno task kafka:up\` (or \`docker compose up -d kafka\`), or set KAFKA_BOOTSTRAP_SERVERS`,
        1,
      );
    }
    if (error instanceof BrokerAuthenticationError) fail(error.message, 1);
    fail(`Kafka: ${error instanceof Error ? error.message : String(error)}`, 1);
  } finally {
    removeHandlers();
  }
}

/**
 * Describes a fatal error in one line, with its cause when it has one.
 *
 * @param error What was thrown.
 * @returns The line.
 */
export function describeFatal(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}

/**
 * Writes a line to stderr.
 *
 * @param line The text.
 */
export function printErr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(`${line}\n`));
}

/**
 * Checks a `--source replay:FILE` file can be read (exit 2 when not).
 *
 * @param source The configured source.
 */
export function checkReplayFileOrExit(source: ProducerConfig["source"]): void {
  if (source.kind !== "replay") return;
  const { path } = source;
  try {
    if (!Deno.statSync(path).isFile) throw new Error("not a file");
  } catch (error) {
    fail(
      `Invalid --source: cannot read ${JSON.stringify(path)} (${
        error instanceof Error ? error.message.split(":")[0] : String(error)
      })`,
      2,
    );
  }
}

/** What {@linkcode runSupervised} does around a run. */
export interface SupervisedRun {
  /** Where the stopping notice goes. @default {printErr} */
  notice?: (line: string) => void;
  /** The exit code of a run that ended without a fatal error. @default {() => 0} */
  exitCode?: () => number;
  /** Disconnects, after the actors have stopped. */
  cleanup: () => Promise<void>;
  /** The closing lines, printed last. */
  summary: () => void;
}

/**
 * Runs a supervisor until its work is done or a signal stops it (a second signal exits 130),
 * then cleans up, prints the summary and exits: 0, or 1 with the fatal error.
 *
 * @param supervisor The topology.
 * @param run Cleanup and summary.
 * @returns Never: it exits.
 */
export async function runSupervised(
  supervisor: { run(): Promise<void>; stop(): Promise<void> },
  run: SupervisedRun,
): Promise<never> {
  const notice = run.notice ?? printErr;
  const removeHandlers = onStopSignals((signal) => {
    notice(`\nReceived ${signal}: stopping (press Ctrl+C again to exit at once)...`);
    void supervisor.stop();
  });
  let code = 0;
  try {
    await supervisor.run();
    code = run.exitCode?.() ?? 0;
  } catch (error) {
    code = 1;
    printErr(`error: ${describeFatal(error)}`);
  }
  removeHandlers();
  await run.cleanup();
  run.summary();
  Deno.exit(code);
}

/**
 * Makes sure the configured topic exists (created with the configured partitions when missing),
 * or ends the program with exit 1. An existing topic with another partition count is used as
 * it is, with a warning through `warn` when one is given.
 *
 * @param transport Anything that can ensure a topic and disconnect.
 * @param kafka The topic, partitions and replication factor.
 * @param warn Where the partition-count warning goes.
 * @returns The topic's partition count.
 */
export async function ensureTopicOrExit(
  transport: { ensureTopic(spec: TopicSpec): Promise<TopicInfo>; disconnect(): Promise<void> },
  kafka: KafkaConfig,
  warn?: (line: string) => void,
): Promise<number> {
  try {
    const topic = await transport.ensureTopic({
      topic: kafka.topic,
      partitions: kafka.partitions,
      replicationFactor: kafka.replicationFactor,
    });
    if (warn && !topic.created && topic.partitions !== kafka.partitions) {
      warn(
        `Warning: topic ${kafka.topic} has ${topic.partitions} partitions (expected ${kafka.partitions}); using it as it is`,
      );
    }
    return topic.partitions;
  } catch (error) {
    await transport.disconnect();
    fail(`Kafka: cannot use topic ${kafka.topic}: ${describeFatal(error)}`, 1);
  }
}

/**
 * Opens the candle store, or ends the program: exit 1 with one line (never a password) when it
 * cannot be reached within its timeout or refuses, exit 0 when a stop signal came first.
 *
 * @param url `sqlite:PATH` or `postgres://…`, already validated.
 * @param timeoutMs How long it may stay unreachable.
 * @returns The open store.
 */
export async function openStoreOrExit(url: string, timeoutMs: number): Promise<CandleStore> {
  let stopped!: () => void;
  const stop = new Promise<null>((resolve) => (stopped = () => resolve(null)));
  const removeHandlers = onStopSignals(() => stopped());
  try {
    const store = await Promise.race([openStore(url, { timeoutMs }), stop]);
    if (store === null) Deno.exit(0);
    return store;
  } catch (error) {
    fail(`Candle store: ${describeFatal(error)}`, 1);
  } finally {
    removeHandlers();
  }
}
