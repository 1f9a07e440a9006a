/**
 * The consuming topology as `consume` runs it: messages printed through a
 * {@linkcode bufferedOutput}, and a consumer that writes the gathered lines out before it
 * commits, so no offset is committed for a line not yet written.
 *
 * @module
 */
import type { ConsumeReport } from "../report/consume_report.ts";
import type { ConsumerConfig } from "../config/types.ts";
import type { ConsumerTransport } from "../kafka/transport.ts";
import { type BufferedOutput, bufferedOutput } from "../runtime/buffered_output.ts";
import { systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { consumerChildren } from "./consumer_topology.ts";
import { logSupervisorEvent } from "./producer_topology.ts";

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
    ...(transport.group === undefined ? {} : { group: transport.group }),
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
  report: ConsumeReport;
  /** The gathered output; flush it once the supervisor has stopped. */
  output: BufferedOutput;
}

/**
 * Builds what `consume` runs: the consuming children under a supervisor, printing through
 * {@linkcode bufferedOutput}, committing only what was written.
 *
 * @param config The consumer's configuration.
 * @param options The connected consumer, and where output is written (`consume`: stdout).
 * @returns The supervisor, the counts and the output.
 */
export function printingConsumer(
  config: ConsumerConfig,
  options: { transport: ConsumerTransport; write: (bytes: Uint8Array) => void },
): PrintingConsumer {
  const output = bufferedOutput(options.write);
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
