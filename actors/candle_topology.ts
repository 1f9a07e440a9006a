/**
 * The candle topology: one Subscriber per topic read → Aggregator → CandleSink → store, with the
 * candle topic's publisher and a Committer per topic beside them; and, on the closed candles the
 * sink writes, the Alerter and the alert topic's publisher. Records refused (when read, or by the
 * store) go to the dead-letter topic (docs/messages.md#dead-letters).
 *
 * A stop (Ctrl+C, SIGTERM) ends within 15 s whatever the store does: it begins with the
 * subscribers, and from then on the store has `storeGraceMs` to take the last writes; past that
 * the aggregator and the sink give up, and what was not written is not committed.
 *
 * @module
 */
import type { CandleConfig } from "../config/types.ts";
import type { Alert } from "../market/alert.ts";
import type { AlertRules } from "../market/alert_rules.ts";
import { AlertReport } from "../report/alert_report.ts";
import type { ConsumerTransport, InRecord, ProducerTransport } from "../kafka/transport.ts";
import { CandleBook, type Flush } from "../market/candle_book.ts";
import type { CandleFormat } from "../report/candle_format.ts";
import { CandleReport } from "../report/candle_report.ts";
import { DeadLetterReport } from "../report/dead_letter_report.ts";
import { Channel } from "../runtime/channel.ts";
import type { Clock } from "../runtime/delay.ts";
import type { AnyChildSpec } from "../runtime/supervisor.ts";
import type { Actor } from "../runtime/actor.ts";
import type { CandleStore } from "../store/candle_store.ts";
import { aggregator, type CandleBatch } from "./aggregator.ts";
import { alertPublisher } from "./alert_publisher.ts";
import { alerter } from "./alerter.ts";
import { candlePublisher, Nudge } from "./candle_publisher.ts";
import { candleSink } from "./candle_sink.ts";
import { DeadLetterQueue } from "./dead_letters.ts";
import { RecordTrail } from "./record_trail.ts";
import { committer, CommitTracker } from "./commit_tracker.ts";
import { PendingOffsets } from "./pending_offsets.ts";
import { subscriber } from "./subscriber.ts";

/** A topic read, with its own consumer. */
export interface CandleSource {
  /** The topic. */
  topic: string;
  /** Its consumer, connected. */
  transport: ConsumerTransport;
}

/** The Alerter's part of the candle topology. */
export interface CandleAlertOptions {
  /** The thresholds. */
  rules: AlertRules;
  /** The producer for the alert topic, and the topic's name and partitions. */
  topic: { transport: ProducerTransport; topic: string; partitions: number };
  /** Told of each new alert once it is stored (the console, Redis, the live stream). */
  onAlert: (alert: Alert) => void;
}

/** What the candle topology is built from. */
export interface CandleChildrenOptions {
  /** How candles are made. */
  config: CandleConfig;
  /** The topics read. */
  sources: readonly CandleSource[];
  /** Start at the oldest record when the group has no committed offset. */
  fromBeginning: boolean;
  /** The store, open. */
  store: CandleStore;
  /** The producer for the candle topic, and the topic's name and partitions; null to publish nothing. */
  candleTopic: { transport: ProducerTransport; topic: string; partitions: number } | null;
  /** Writes a console line for each closed candle, or null. */
  print: ((line: string) => void) | null;
  /** How closed candles are printed. */
  format: CandleFormat;
  /** The clock. */
  clock: Clock;
  /** Told of every write once it is in the store (Redis, the live stream). */
  onWritten?: (flush: Flush) => void;
  /** Time between commits, ms. @default {1_000} */
  commitIntervalMs?: number;
  /** The Alerter on the closed candles, or null (or left out) for none. */
  alerts?: CandleAlertOptions | null;
  /**
   * The producer for the dead-letter topic (docs/messages.md#dead-letters), and the topic's name
   * and partitions: where refused records go.
   */
  deadLetterTopic: { transport: ProducerTransport; topic: string; partitions: number };
  /**
   * How long a stop waits for the store to take the last writes, ms; what it has not taken by
   * then is left unwritten and uncommitted. @default {5_000}
   */
  storeGraceMs?: number;
}

/** The candle children and their shared state. */
export interface CandleChildren {
  /** In start order. */
  children: AnyChildSpec[];
  /** Counts. */
  report: CandleReport;
  /** The candles being made. */
  book: CandleBook;
  /** Offsets handled. */
  offsets: PendingOffsets;
  /** Records waiting for the Aggregator. */
  records: Channel<InRecord>;
  /** Writes waiting for the CandleSink. */
  batches: Channel<CandleBatch>;
  /** The Alerter's counts, or null when it does not run. */
  alertReport: AlertReport | null;
  /** The dead letters' counts. */
  deadLetterReport: DeadLetterReport;
}

/**
 * Builds the candle children, to run under a supervisor (alone or beside others).
 *
 * @param options Configuration, consumers, store and output.
 * @returns The children in start order and their shared state.
 */
export function candleChildren(options: CandleChildrenOptions): CandleChildren {
  const { config, sources, store, clock } = options;
  const report = new CandleReport();
  const book = new CandleBook({
    intervals: config.intervals,
    outOfOrdernessMs: config.outOfOrdernessMs,
    allowedLatenessMs: config.allowedLatenessMs,
    idleTimeoutMs: config.idleTimeoutMs,
  });
  const offsets = new PendingOffsets();
  const trail = new RecordTrail();
  const deadLetterReport = new DeadLetterReport();
  const deadLetters = new DeadLetterQueue({
    ...options.deadLetterTopic,
    report: deadLetterReport,
    now: () => clock.now(),
  });
  const grace = new StopGrace(clock, options.storeGraceMs ?? 5_000);
  const records = new Channel<InRecord>(8_192, { name: "candle-records" });
  const batches = new Channel<CandleBatch>(4, { name: "candle-writes" });
  const trackers = new Map(sources.map(({ topic }) => [topic, new CommitTracker()]));
  const nudge = new Nudge();
  const children: AnyChildSpec[] = sources.map(({ topic, transport }) => ({
    name: `candle-committer:${topic}`,
    restart: "transient",
    shutdownMs: 10_000,
    actor: committer({
      tracker: trackers.get(topic)!,
      transport,
      topic,
      clock,
      intervalMs: options.commitIntervalMs ?? 1_000,
    }),
  }));
  if (options.candleTopic) {
    children.push({
      name: "candle-publisher",
      restart: "transient",
      shutdownMs: 10_000,
      actor: candlePublisher({ store, ...options.candleTopic, report, nudge }),
    });
  }
  // The Alerter and its publisher start before the sink and stop after it, each with one last
  // pass over what the sink's last writes queued.
  const alerts = options.alerts ?? null;
  const alertReport = alerts ? new AlertReport() : null;
  const examine = new Nudge();
  if (alerts && alertReport) {
    const raised = new Nudge();
    children.push(
      {
        name: "alert-publisher",
        restart: "transient",
        shutdownMs: 10_000,
        actor: alertPublisher({ store, ...alerts.topic, report: alertReport, nudge: raised }),
      },
      {
        name: "alerter",
        restart: "transient",
        shutdownMs: 15_000,
        actor: alerter({
          store,
          rules: alerts.rules,
          report: alertReport,
          nudge: examine,
          raised,
          onAlert: alerts.onAlert,
          now: () => clock.now(),
          deadLetters: { queue: deadLetters, alertTopic: alerts.topic.topic },
        }),
      },
    );
  }
  children.push(
    {
      name: "candle-sink",
      inbox: batches,
      restart: "transient",
      shutdownMs: 15_000,
      actor: grace.until(candleSink({
        store,
        giveUp: grace.signal,
        trackers,
        report,
        print: options.print,
        format: options.format,
        onStale: (markets) => markets.forEach((m) => book.drop(m)),
        examine: alerts !== null,
        deadLetters,
        now: () => clock.now(),
        onWritten: (flush) => {
          if (flush.write.publish.length > 0) nudge.poke();
          if (alerts && flush.closed.length > 0) examine.poke();
          options.onWritten?.(flush);
        },
      })),
    },
    {
      name: "aggregator",
      inbox: records,
      outbox: batches,
      restart: "transient",
      shutdownMs: 15_000,
      actor: aggregator({
        book,
        store,
        offsets,
        report,
        now: () => clock.now(),
        maxAheadMs: config.maxAheadMs,
        trail,
        giveUp: grace.signal,
      }),
    },
    // The records channel is closed when its owner ends for good; the other subscribers send to it
    // without owning it, and stop before the owner does (children stop in reverse order).
    ...sources.map(({ topic, transport }, index): AnyChildSpec => {
      const actor = subscriber({
        transport,
        topic,
        fromBeginning: options.fromBeginning,
        onAssign: (partitions) => {
          for (const market of offsets.revoke(topic, partitions)) book.drop(market);
          trackers.get(topic)?.retain(partitions);
        },
      });
      return {
        name: sources.length === 1 ? "candle-subscriber" : `candle-subscriber:${topic}`,
        restart: "transient",
        shutdownMs: 10_000,
        // A subscriber's signal aborts only when the supervisor stops it: the stop has begun.
        ...(index === 0
          ? { outbox: records, actor: grace.from(actor) }
          : { actor: grace.from((inbox, _outbox, ctx) => actor(inbox, records, ctx)) }),
      };
    }),
  );
  return { children, report, book, offsets, records, batches, alertReport, deadLetterReport };
}

/**
 * The store's grace in a stop: {@linkcode StopGrace.signal} aborts `ms` after the stop began
 * (as the first actor wrapped by {@linkcode StopGrace.from} is told to stop), and the wait ends
 * with the actor wrapped by {@linkcode StopGrace.until}, so that no timer outlives the topology.
 */
class StopGrace {
  #giveUp = new AbortController();
  #ended = new AbortController();
  #begun = false;

  /**
   * @param clock Waits.
   * @param ms The grace, ms.
   */
  constructor(readonly clock: Clock, readonly ms: number) {}

  /** Aborted once the stop has waited `ms` for the store. */
  get signal(): AbortSignal {
    return this.#giveUp.signal;
  }

  /**
   * Wraps an actor whose signal aborting means the stop has begun.
   *
   * @param actor The actor.
   * @returns The same actor, starting the grace when told to stop.
   */
  from<I, O>(actor: Actor<I, O>): Actor<I, O> {
    return (inbox, outbox, ctx) => {
      ctx.signal.addEventListener("abort", () => this.#begin(), { once: true });
      return actor(inbox, outbox, ctx);
    };
  }

  /**
   * Wraps the last actor to wait for the store: once it has ended in a stop, so does the grace.
   *
   * @param actor The actor.
   * @returns The same actor.
   */
  until<I, O>(actor: Actor<I, O>): Actor<I, O> {
    return async (inbox, outbox, ctx) => {
      try {
        await actor(inbox, outbox, ctx);
      } finally {
        if (this.#begun) this.#ended.abort();
      }
    };
  }

  #begin(): void {
    if (this.#begun) return;
    this.#begun = true;
    const { ms } = this;
    this.clock.sleep(ms, { signal: this.#ended.signal }).then(
      () =>
        this.#giveUp.abort(
          new DOMException(
            `The store did not take the last writes within ${ms} ms`,
            "TimeoutError",
          ),
        ),
      () => {},
    );
  }
}
