/**
 * The consuming topology: Subscriber → Printer, with the Committer beside them.
 *
 * @module
 */
import type { ConsumerConfig } from "../config/types.ts";
import type { ConsumerTransport, InRecord } from "../kafka/transport.ts";
import { Channel } from "../runtime/channel.ts";
import type { Clock } from "../runtime/delay.ts";
import type { AnyChildSpec } from "../runtime/supervisor.ts";
import { committer, CommitTracker } from "./commit_tracker.ts";
import { ConsumeReport } from "../report/consume_report.ts";
import { injectFaults } from "./fault_injection.ts";
import { printer } from "./printer.ts";
import { subscriber } from "./subscriber.ts";

/** What the consuming topology is built from. */
export interface ConsumerChildrenOptions {
  /** The validated configuration. */
  config: ConsumerConfig;
  /** The consumer, connected. */
  transport: ConsumerTransport;
  /** Writes console output. */
  print: (text: string) => void;
  /** The clock. */
  clock: Clock;
  /** Called once `--max-messages` were printed. */
  onLimit?: () => void;
  /** Time between commits, ms. @default {1_000} */
  commitIntervalMs?: number;
}

/** The consuming children and their shared state. */
export interface ConsumerChildren {
  /** In start order: Committer, Printer, Subscriber. */
  children: AnyChildSpec[];
  /** Counts. */
  report: ConsumeReport;
  /** Offsets handled and committed. */
  tracker: CommitTracker;
  /** Records waiting for the Printer. */
  records: Channel<InRecord>;
}

/**
 * Builds the consuming children, to run under a supervisor (alone or beside the producer's).
 *
 * @param options Configuration, transport and output.
 * @returns The children in start order and their shared state.
 */
export function consumerChildren(options: ConsumerChildrenOptions): ConsumerChildren {
  const { config, transport, print, clock } = options;
  const report = new ConsumeReport();
  const tracker = new CommitTracker();
  const records = new Channel<InRecord>(256, { name: "records" });
  const children: AnyChildSpec[] = [
    {
      name: "committer",
      restart: "transient",
      shutdownMs: 10_000,
      actor: committer({
        tracker,
        transport,
        topic: config.kafka.topic,
        clock,
        intervalMs: options.commitIntervalMs ?? 1_000,
      }),
    },
    {
      name: "printer",
      inbox: records,
      restart: "transient",
      actor: printer({
        format: config.format,
        filter: config.filter,
        print,
        report,
        tracker,
        maxMessages: config.maxMessages,
        ...(options.onLimit ? { onLimit: options.onLimit } : {}),
      }),
    },
    {
      name: "subscriber",
      outbox: records,
      restart: "transient",
      shutdownMs: 10_000,
      actor: subscriber({
        transport,
        topic: config.kafka.topic,
        fromBeginning: config.fromBeginning,
      }),
    },
  ];
  return { children: injectFaults(children, config.faults), report, tracker, records };
}
