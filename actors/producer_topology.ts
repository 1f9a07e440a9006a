/**
 * The producing topology: Fetcher → Encoder → Publisher under one supervisor.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ProducerConfig } from "../config/types.ts";
import type { ProducerTransport } from "../kafka/transport.ts";
import type { Actor, ActorContext } from "../runtime/actor.ts";
import { Channel, type Inbox, type Outbox } from "../runtime/channel.ts";
import { type Clock, systemClock } from "../runtime/delay.ts";
import {
  type AnyChildSpec,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
} from "../runtime/supervisor.ts";
import type { FetchOutcome } from "../sources/coingecko.ts";
import { encoder } from "./encoder.ts";
import { MessageIds } from "../market/messages/message_ids.ts";
import { injectFaults } from "./fault_injection.ts";
import { fetcher } from "./fetcher.ts";
import type { EncodedPrice } from "../market/messages/price_message.ts";
import type { PriceTick } from "../market/price_tick.ts";
import { ProduceReport } from "../report/produce_report.ts";
import { publisher } from "./publisher.ts";
import { replaySource } from "../sources/replay.ts";
import { replayFile } from "../sources/replay_file.ts";
import type { JsonFetcher } from "../sources/coingecko_chart.ts";
import { BackfillReport } from "../report/backfill_report.ts";
import { backfillCoins } from "./price_backfill.ts";

const logger = getLogger(["crypto", "supervisor"]);

/** What the producing topology is built from. */
export interface ProducerTopologyOptions {
  /** The validated configuration. */
  config: ProducerConfig;
  /**
   * The recording's lines, read afresh each pass, for a replay source fed on this thread (in
   * place of reading the configured file on a worker thread through an Encoder of its own).
   */
  replayLines?: () => AsyncIterable<string>;
  /** The price source (CoinGecko). */
  client: Partial<JsonFetcher> & {
    fetchPrices(
      coins: ProducerConfig["coins"],
      cycle: number,
      options: { signal?: AbortSignal },
    ): Promise<FetchOutcome>;
  };
  /** The message log, connected. */
  transport: ProducerTransport;
  /** The topic's partition count. */
  partitions: number;
  /** Writes one line of console output. */
  print: (line: string) => void;
  /** The clock. @default {systemClock} */
  clock?: Clock;
  /** Restart policy. */
  supervisor?: SupervisorOptions;
}

/** A built producing topology. */
export interface ProducerTopology {
  /** Runs and stops the actors. */
  supervisor: Supervisor;
  /** Console output and counts. */
  report: ProduceReport;
  /** Prices waiting for the broker. */
  buffer: Channel<EncodedPrice>;
}

/**
 * Logs a supervisor event.
 *
 * @param event What the supervisor reports.
 */
export function logSupervisorEvent(event: SupervisorEvent): void {
  const error = "error" in event
    ? (event.error instanceof Error ? event.error.message : String(event.error))
    : "";
  switch (event.type) {
    case "crash":
      if (event.restartInMs === null) logger.error("{child} failed: {error}", { ...event, error });
      else {
        logger.warn("{child} failed: {error}; restarting in {ms} ms", {
          child: event.child,
          error,
          ms: Math.round(event.restartInMs),
        });
      }
      break;
    case "restart":
      logger.info("{child} restarted (attempt {attempt})", { ...event });
      break;
    case "dead-letter":
      logger.error("{child} failed twice on the same {count} message(s); dropped them: {error}", {
        child: event.child,
        count: event.values.length,
        error,
      });
      break;
    case "stop-timeout":
      logger.warn("{child} did not stop within {shutdownMs} ms; aborted", { ...event });
      break;
    case "give-up":
      logger.error("{child} failed more than {restarts} times within {withinMs} ms; stopping", {
        ...event,
      });
      break;
  }
}

/** The producing children and their shared state. */
export interface ProducerChildren {
  /** In start order: Publisher, Encoder, Fetcher (a replay of a file has no Encoder). */
  children: AnyChildSpec[];
  /** Console output and counts. */
  report: ProduceReport;
  /** Prices waiting for the broker. */
  buffer: Channel<EncodedPrice>;
  /** Resolves when the Publisher has delivered everything and ended. */
  delivered: Promise<void>;
}

/**
 * Builds the producing topology (not yet started: call `supervisor.run()`).
 *
 * @param options Configuration, source, transport and output.
 * @returns The supervisor, the report and the buffer.
 */
export function producerTopology(options: ProducerTopologyOptions): ProducerTopology {
  const clock = options.clock ?? systemClock;
  const { children, report, buffer } = producerChildren(options);
  const supervisor = new Supervisor(children, {
    onEvent: logSupervisorEvent,
    clock,
    ...options.supervisor,
  });
  return { supervisor, report, buffer };
}

/**
 * Builds the producing children, to run under a supervisor (alone or beside the consumer's).
 *
 * @param options Configuration, source, transport and output.
 * @returns The children in start order and their shared state.
 */
export function producerChildren(options: ProducerTopologyOptions): ProducerChildren {
  const { config, client, transport, partitions, print } = options;
  const clock = options.clock ?? systemClock;
  const { source } = config;
  const replay = source.kind === "replay";
  const report = new ProduceReport(print, clock, { everyMessage: !replay });
  // A replay has nothing to lose by waiting: it is held back by a full buffer rather than let the
  // oldest go, which at full speed would drop most of the recording while the broker is up.
  const buffer = new Channel<EncodedPrice>(config.bufferSize, {
    name: "publish buffer",
    overflow: replay ? "block" : "drop-oldest",
    onDrop: (message) => report.dropped(message),
  });
  let markDelivered = () => {};
  const delivered = new Promise<void>((resolve) => (markDelivered = resolve));
  const publish = publisher({
    transport,
    topic: config.kafka.topic,
    partitions,
    report,
    clock,
    waiting: () => buffer.size,
  });
  const publisherChild: AnyChildSpec = {
    name: "publisher",
    inbox: buffer,
    restart: "transient",
    shutdownMs: 30_000,
    actor: async (inbox: Inbox<EncodedPrice>, outbox: Outbox<never>, ctx: ActorContext) => {
      await publish(inbox, outbox, ctx);
      markDelivered();
    },
  };
  const passes = config.iterations ?? 1;
  let children: AnyChildSpec[];
  if (source.kind === "replay" && !options.replayLines) {
    // The file is read and encoded on a worker thread, which stands in for the Encoder.
    children = [publisherChild, {
      name: "replay",
      outbox: buffer,
      restart: "transient",
      actor: replayFile({
        path: source.path,
        passes,
        report,
        state: { pass: 1, line: 0, sent: 0, stamps: [], announced: 0 },
      }),
    }];
  } else {
    const ticks = new Channel<PriceTick>(Math.max(16, config.coins.length * 2), { name: "ticks" });
    children = [publisherChild, {
      name: "encoder",
      inbox: ticks,
      outbox: buffer,
      restart: "transient",
      actor: encoder(new MessageIds()),
    }, {
      name: replay ? "replay" : "fetcher",
      outbox: ticks,
      restart: "transient",
      actor: replay
        ? replaySource({
          lines: options.replayLines!,
          passes,
          report,
          state: { pass: 1, line: 0 },
          clock,
        })
        : withPriceBackfill(
          options,
          report,
          fetcher({
            client,
            coins: config.coins,
            intervalMs: config.intervalMs,
            iterations: config.iterations,
            onlyChanged: config.onlyChanged,
            state: { cycle: 0, lastUpdated: new Map() },
            report,
            clock,
          }),
        ),
    }];
  }
  return { children: injectFaults(children, config.faults), report, buffer, delivered };
}

/**
 * The fetcher, preceded with `--backfill` by each coin's prices of the past span (once: a
 * restarted fetcher does not read them again).
 *
 * @param options The topology's options (configuration, client, output and clock).
 * @param report The counts of prices handed on.
 * @param live The fetcher.
 * @returns The fetcher, or the backfill then the fetcher.
 */
function withPriceBackfill(
  options: ProducerTopologyOptions,
  report: ProduceReport,
  live: Actor<unknown, PriceTick>,
): Actor<unknown, PriceTick> {
  const { config, client } = options;
  const fetchJson = client.fetchJson?.bind(client);
  if (config.backfillMs === null || fetchJson === undefined) return live;
  const clock = options.clock ?? systemClock;
  let backfilled = false;
  return async (inbox, outbox, ctx) => {
    if (!backfilled) {
      await backfillCoins(
        {
          client: { fetchJson },
          baseUrl: config.coingecko.baseUrl,
          coins: config.coins,
          spanMs: config.backfillMs!,
          counts: report,
          progress: new BackfillReport(options.print, clock, "prices"),
          clock,
        },
        (tick) => outbox.send(tick, { signal: ctx.signal }),
        ctx.signal,
      );
      backfilled = true;
    }
    await live(inbox, outbox, ctx);
  };
}
