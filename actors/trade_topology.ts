/**
 * The trade topology: TradeSource → Publisher, and a console line a second per product, for
 * `produce` and `start` with `--source coinbase`. Beside the source, the repairer reads the gaps
 * it finds from the REST API into the same buffer; with `--backfill`, the source publishes the
 * past span first (docs/trades.md#gap-repair-and-backfill).
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { ProducerConfig } from "../config/types.ts";
import type { ProducerTransport } from "../kafka/transport.ts";
import type { EncodedTrade } from "../market/messages/trade_message.ts";
import { TradeReport } from "../report/trade_report.ts";
import type { ActorContext } from "../runtime/actor.ts";
import type { BackoffOptions } from "../runtime/backoff.ts";
import { Channel, type Inbox, type Outbox } from "../runtime/channel.ts";
import { type Clock, systemClock } from "../runtime/delay.ts";
import type { AnyChildSpec } from "../runtime/supervisor.ts";
import type { FeedSocket } from "../sources/coinbase.ts";
import { CoinbaseRestClient, type TradePages } from "../sources/coinbase_rest.ts";
import { BackfillReport } from "../report/backfill_report.ts";
import { injectFaults } from "./fault_injection.ts";
import { publisher } from "./publisher.ts";
import { sendWithRoom } from "./send_with_room.ts";
import { backfillProducts } from "./trade_backfill.ts";
import { type TradeGap, tradeRepairer } from "./trade_repairer.ts";
import { tradeSource, tradeSourceState } from "./trade_source.ts";

const logger = getLogger(["crypto", "trades", "repair"]);

/** Gaps waiting for the repairer; past it the oldest is given up. */
const GAP_QUEUE = 1_000;

/** What the trade topology is built from. */
export interface TradeChildrenOptions {
  /** The validated configuration (its `coinbase` part, the topic and the buffer). */
  config: ProducerConfig;
  /** The message log, connected. */
  transport: ProducerTransport;
  /** The topic's partition count. */
  partitions: number;
  /** Writes one line of console output. */
  print: (line: string) => void;
  /** The clock. @default {systemClock} */
  clock?: Clock;
  /** The reconnection backoff. @default {{ minMs: 500, maxMs: 30_000, jitter: 0.5 }} */
  backoff?: BackoffOptions;
  /** Opens a socket to the feed. @default {(url) => new WebSocket(url)} */
  connect?: (url: string) => FeedSocket;
  /** Time between two console lines of a product, ms. @default {1_000} */
  tickMs?: number;
  /** The REST API's pages of trades. @default a {@linkcode CoinbaseRestClient} of the configuration */
  rest?: TradePages;
}

/** The trade children and their shared state. */
export interface TradeChildren {
  /** In start order: Publisher, console, Repairer, TradeSource. */
  children: AnyChildSpec[];
  /** Gaps waiting for the repairer. */
  gaps: Channel<TradeGap>;
  /** Console output and counts. */
  report: TradeReport;
  /** Trades waiting for the broker. */
  buffer: Channel<EncodedTrade>;
  /** Resolves when the Publisher has delivered everything and ended. */
  delivered: Promise<void>;
}

/**
 * Builds the trade children, to run under a supervisor (alone or beside the candles').
 *
 * @param options Configuration, transport and output.
 * @returns The children in start order and their shared state.
 */
export function tradeChildren(options: TradeChildrenOptions): TradeChildren {
  const { config, transport, partitions, print } = options;
  const clock = options.clock ?? systemClock;
  const report = new TradeReport(print, clock);
  // A live feed cannot be held back: while the broker is away the oldest trades make room.
  const buffer = new Channel<EncodedTrade>(config.bufferSize, {
    name: "publish buffer",
    overflow: "drop-oldest",
    onDrop: (message) => report.dropped(message),
  });
  let markDelivered = () => {};
  const delivered = new Promise<void>((resolve) => (markDelivered = resolve));
  const publish = publisher<EncodedTrade>({
    transport,
    topic: config.kafka.topic,
    partitions,
    report,
    clock,
    waiting: () => buffer.size,
  });
  const { url, products, staleAfterMs, restUrl } = config.coinbase;
  const tickMs = options.tickMs ?? 1_000;
  const state = tradeSourceState(products);
  const rest = options.rest ?? new CoinbaseRestClient({
    baseUrl: restUrl,
    timeoutMs: config.coingecko.timeoutMs,
    maxRetries: config.coingecko.maxRetries,
    maxRetryAfterMs: config.coingecko.maxRetryAfterMs,
  }, { clock });
  // The source never waits for the repairer: past the queue's size the oldest gap is given up.
  const gaps = new Channel<TradeGap>(GAP_QUEUE, {
    name: "gaps",
    overflow: "drop-oldest",
    onDrop: (gap) => {
      const count = gap.to - gap.from + 1;
      report.lost(count);
      logger.warn(
        "Lost {count} {product} trade(s), ids {from}-{to}: more than {queue} gaps wait for repair",
        { count, product: gap.productId, from: gap.from, to: gap.to, queue: GAP_QUEUE },
      );
    },
  });
  const fromRest = sendWithRoom(buffer, clock);
  const source = tradeSource({
    url,
    products,
    staleAfterMs,
    state,
    report,
    clock,
    onGap: (gap) => void gaps.send(gap).catch(() => {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.connect ? { connect: options.connect } : {}),
  });
  let backfilled = config.backfillMs === null;
  const children: AnyChildSpec[] = [
    {
      name: "publisher",
      inbox: buffer,
      restart: "transient",
      shutdownMs: 30_000,
      actor: async (inbox: Inbox<EncodedTrade>, outbox: Outbox<never>, ctx: ActorContext) => {
        await publish(inbox, outbox, ctx);
        markDelivered();
      },
    },
    {
      name: "trade-console",
      restart: "transient",
      actor: async (_inbox: Inbox<unknown>, _outbox: Outbox<unknown>, ctx: ActorContext) => {
        try {
          while (true) {
            await clock.sleep(tickMs - (clock.now() % tickMs), { signal: ctx.signal });
            report.tick();
          }
        } finally {
          report.tick(); // the last, partial second, before the summary
        }
      },
    },
    {
      // It writes to the buffer, which closes when it ends for good: after the source's end.
      name: "repairer",
      inbox: gaps,
      outbox: buffer,
      restart: "transient",
      actor: tradeRepairer({
        rest,
        sequences: state.sequences,
        report,
        clock,
        publish: fromRest,
      }),
    },
    {
      name: "trades",
      restart: "transient",
      actor: async (inbox: Inbox<unknown>, _outbox: Outbox<EncodedTrade>, ctx: ActorContext) => {
        if (!backfilled) {
          await backfillProducts({
            rest,
            products,
            spanMs: config.backfillMs!,
            sequences: state.sequences,
            counts: report,
            progress: new BackfillReport(print, clock, "trades"),
            clock,
            publish: fromRest,
          }, ctx.signal);
          backfilled = true;
        }
        await source(inbox, buffer, ctx);
      },
    },
  ];
  return { children: injectFaults(children, config.faults), gaps, report, buffer, delivered };
}
