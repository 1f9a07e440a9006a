/**
 * The gap repair and backfill benchmarks (docs/trades.md#gap-repair-and-backfill): trades a
 * second read from the feed stand-in's REST API and acknowledged on the topic, for one gap of
 * many trades the socket never sent; and the time a backfill of 24 hours of one product at a
 * realistic rate (about 300,000 trades, 3.5 a second) takes from the start to the last
 * acknowledgement. The stand-in keeps Coinbase's limit of 10 requests a second (a page is 1,000
 * trades), so that limit, 10,000 trades a second, is the ceiling of both.
 *
 * @module
 */
import { tradeChildren } from "../actors/trade_topology.ts";
import type { ProducerConfig } from "../config/types.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { delay } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { CoinbaseStub } from "../tests/support/coinbase_stub.ts";
import {
  type BenchOptions,
  deleteTopics,
  freshTopic,
  median,
  producerConfig,
  round,
  say,
} from "./common.ts";

const HOUR = 3_600_000;

/** The configuration of `produce --source coinbase` against the stand-in, on a bench topic. */
function config(
  opts: BenchOptions,
  topic: string,
  stub: CoinbaseStub,
  backfillMs: number | null,
): ProducerConfig {
  const base = producerConfig(opts, topic, ["--source", "coinbase", "--products", "BTC-USD"]);
  return {
    ...base,
    bufferSize: 20_000,
    backfillMs,
    coinbase: { ...base.coinbase, url: stub.url, restUrl: stub.restUrl },
  };
}

const now = () => performance.timeOrigin + performance.now();

/** A run: trades, seconds, and requests made. */
export interface RepairRun {
  /** Trades read from REST and acknowledged. */
  trades: number;
  /** From the gap shown (or the start) to the last acknowledgement, s. */
  seconds: number;
  /** Trades a second. */
  rate: number;
  /** REST requests made. */
  requests: number;
}

/**
 * One gap of `count` trades kept off the socket, shown by the next trade: from that trade sent to
 * the last repaired trade acknowledged by the broker.
 *
 * @param opts The bench options.
 * @param count The gap's size.
 * @returns The run.
 */
export async function repairThroughput(opts: BenchOptions, count: number): Promise<RepairRun> {
  const topic = await freshTopic(opts, "bench-repair");
  const stub = await CoinbaseStub.start({ heartbeatMs: 1_000 });
  const transport = new PlatformaticProducerTransport(config(opts, topic, stub, null).kafka);
  await transport.connect();
  const topology = tradeChildren({
    config: config(opts, topic, stub, null),
    transport,
    partitions: 3,
    print: () => {},
  });
  const supervisor = new Supervisor(topology.children);
  const running = supervisor.run();
  try {
    while (stub.subscribed === 0) await delay(5);
    const trade = (socket: boolean) =>
      stub.trade({ product: "BTC-USD", price: "45000.00", size: "0.01000000" }, { socket });
    trade(true);
    for (let i = 0; i < count; i++) trade(false);
    const requests = stub.restRequests.length;
    const shownAt = now();
    trade(true);
    while (topology.report.totals.produced < count + 2) await delay(2);
    const seconds = (now() - shownAt) / 1000;
    return {
      trades: topology.report.totals.repaired,
      seconds,
      rate: count / seconds,
      requests: stub.restRequests.length - requests,
    };
  } finally {
    await supervisor.stop();
    await running;
    await transport.disconnect();
    await stub.close();
    await deleteTopics(opts, [topic]);
  }
}

/**
 * A backfill of `hours` of one product at `perSecond` trades a second: from the start of the
 * topology to the last backfilled trade acknowledged.
 *
 * @param opts The bench options.
 * @param options The span and the rate of the past trades.
 * @returns The run.
 */
export async function backfillRun(
  opts: BenchOptions,
  options: { hours: number; perSecond: number },
): Promise<RepairRun> {
  const topic = await freshTopic(opts, "bench-backfill");
  const stub = await CoinbaseStub.start({
    heartbeatMs: 1_000,
    historyMs: options.hours * HOUR,
    historyPerSecond: options.perSecond,
  });
  // The past is made before the clock starts, as an exchange has it.
  await fetch(`${stub.restUrl}/products/BTC-USD/trades?limit=1`).then((r) => r.body?.cancel());
  const made = stub.history.get("BTC-USD")!.length;
  const requests = stub.restRequests.length;
  const settings = config(opts, topic, stub, options.hours * HOUR);
  const transport = new PlatformaticProducerTransport(settings.kafka);
  await transport.connect();
  const topology = tradeChildren({ config: settings, transport, partitions: 3, print: () => {} });
  const supervisor = new Supervisor(topology.children);
  const startedAt = now();
  const running = supervisor.run();
  try {
    // Everything within the span, less the few trades at its very start the clock moved past.
    while (
      stub.subscribed === 0 || topology.report.totals.produced < topology.report.totals.backfilled
    ) await delay(5);
    const seconds = (now() - startedAt) / 1000;
    const trades = topology.report.totals.backfilled;
    if (trades < made - options.perSecond * 60) {
      throw new Error(`Backfilled ${trades} of ${made} trades`);
    }
    return {
      trades,
      seconds,
      rate: trades / seconds,
      requests: stub.restRequests.length - requests,
    };
  } finally {
    await supervisor.stop();
    await running;
    await transport.disconnect();
    await stub.close();
    await deleteTopics(opts, [topic]);
  }
}

/**
 * The repair and backfill figures of `bench/results.json` (`--only repair`).
 *
 * @param opts The bench options.
 * @returns The figures.
 */
export async function repairFigures(opts: BenchOptions): Promise<Record<string, unknown>> {
  const gap = opts.quick ? 10_000 : 50_000;
  const reps = opts.quick ? 1 : 3;
  await repairThroughput(opts, 2_000); // warm-up
  const repairs: RepairRun[] = [];
  for (let r = 0; r < reps; r++) {
    const run = await repairThroughput(opts, gap);
    repairs.push(run);
    say(
      `repair #${r + 1}: a gap of ${gap} trades in ${run.seconds.toFixed(2)} s, ${
        run.rate.toFixed(0)
      } trades/s, ${run.requests} requests`,
    );
  }
  const hours = opts.quick ? 2 : 24;
  const perSecond = 300_000 / 86_400;
  const backfill = await backfillRun(opts, { hours, perSecond });
  say(
    `backfill of ${hours} h (${backfill.trades} trades): ${backfill.seconds.toFixed(1)} s, ${
      backfill.rate.toFixed(0)
    } trades/s, ${backfill.requests} requests`,
  );
  const med = (xs: number[]) => round(median(xs));
  return {
    generated_at: new Date().toISOString(),
    repair: {
      gap,
      repetitions: reps,
      rate: med(repairs.map((r) => r.rate)),
      seconds: round(median(repairs.map((r) => r.seconds)), 2),
      requests: repairs[0]?.requests ?? null,
      runs: repairs.map((r) => round(r.rate)),
    },
    backfill: {
      hours,
      trades: backfill.trades,
      seconds: round(backfill.seconds, 1),
      rate: round(backfill.rate),
      requests: backfill.requests,
    },
  };
}
