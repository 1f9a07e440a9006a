/**
 * Console output for a stream of messages: lines gathered into few large writes, and a
 * consumer that writes them out before it commits.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { ConsumeReport } from "../report/consume_report.ts";
import { consumerChildren } from "../actors/consumer_topology.ts";
import { logSupervisorEvent } from "../actors/producer_topology.ts";
import type { ConsumerConfig } from "../config/config.ts";
import type { ConsumerTransport } from "../kafka/transport.ts";
import { systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { writeStdout } from "./shell.ts";

const encoder = new TextEncoder();

/** Console output gathered into few large writes; see {@linkcode bufferedOutput}. */
export interface BufferedOutput {
  /** Adds a line; it is written within the current turn of the event loop. */
  print: (line: string) => void;
  /** Writes what is gathered, now. */
  flush: () => void;
}

/**
 * Gathers printed lines and writes them once the pending work of this turn is done (or 64 KiB
 * have gathered): one system call for a burst of messages rather than one a message. Call
 * `flush` before exiting; {@linkcode flushBeforeCommit} makes sure no offset is committed for a
 * line not yet written.
 *
 * @param write Writes bytes, synchronously: it must be done with them when it returns (they are
 *   reused). Default: stdout.
 * @returns The printer and its flush.
 */
export function bufferedOutput(write: (bytes: Uint8Array) => void = writeStdout): BufferedOutput {
  let lines: string[] = [];
  let size = 0;
  let scheduled = false;
  // One buffer, written synchronously and reused: no new 64 KiB of bytes for each write.
  const bytes = new Uint8Array(256 * 1024);
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join("\n") + "\n";
    lines = [];
    size = 0;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a rare longer text gets bytes of its own.
    if (text.length * 3 > bytes.length) write(encoder.encode(text));
    else write(bytes.subarray(0, encoder.encodeInto(text, bytes).written));
  };
  return {
    print: (line) => {
      lines.push(line);
      size += line.length;
      if (size >= 65_536) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
    },
    flush,
  };
}

/**
 * The consumer, with `flush` run before every commit, so an offset is committed only once its
 * line was written.
 *
 * @param transport The consumer.
 * @param flush Writes gathered output.
 * @returns The same consumer, flushing before it commits.
 */
export function flushBeforeCommit(
  transport: ConsumerTransport,
  flush: () => void,
): ConsumerTransport {
  return {
    connect: (options?: { signal?: AbortSignal }) => transport.connect(options),
    consume: (options) => transport.consume(options),
    stop: () => transport.stop(),
    commit: (topic, offsets) => {
      flush();
      return transport.commit(topic, offsets);
    },
    disconnect: () => transport.disconnect(),
  };
}

/** The consuming topology as `consume` runs it. */
export interface PrintingConsumer {
  /** Runs and stops the Committer, Printer and Subscriber; `--max-messages` stops it. */
  supervisor: Supervisor;
  /** Counts. */
  report: ConsumeReport;
  /** The gathered output; flush it once the supervisor has stopped. */
  output: BufferedOutput;
}

/**
 * Builds what `consume` runs: the consuming children under a supervisor, printing through
 * {@linkcode bufferedOutput}, committing only what was written.
 *
 * @param config The consumer's configuration.
 * @param options The connected consumer, and where output is written (default: stdout).
 * @returns The supervisor, the counts and the output.
 */
export function printingConsumer(
  config: ConsumerConfig,
  options: { transport: ConsumerTransport; write?: (bytes: Uint8Array) => void },
): PrintingConsumer {
  const output = options.write ? bufferedOutput(options.write) : bufferedOutput();
  let supervisor: Supervisor | null = null;
  const { children, report } = consumerChildren({
    config,
    transport: flushBeforeCommit(options.transport, output.flush),
    print: output.print,
    clock: systemClock,
    onLimit: () => void supervisor?.stop(),
  });
  supervisor = new Supervisor(children, { onEvent: logSupervisorEvent });
  return { supervisor, report, output };
}
