/**
 * The trade benchmarks: trades a second from the feed stand-in's socket to their
 * acknowledgement on the topic, the stand-in sending at full speed from a process of its own;
 * and, at 100 trades a second, the time from a trade's frame being sent to the closed 1m candle
 * it closes being readable in the store.
 *
 * @module
 */
import { candleChildren } from "../actors/candle_topology.ts";
import { tradeChildren } from "../actors/trade_topology.ts";
import type { ProducerConfig } from "../config/types.ts";
import { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import type { ProducerTransport } from "../kafka/transport.ts";
import { delay, systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { openStore } from "../store/open_store.ts";
import { CoinbaseStub, microTime } from "../tests/support/coinbase_stub.ts";
import {
  type BenchOptions,
  consumerConfig,
  deleteTopics,
  freshTopic,
  median,
  percentile,
  producerConfig,
  round,
  say,
  unique,
} from "./common.ts";

/** The bench's topics, deleted at the end of {@linkcode tradesFigures}. */
const topics: string[] = [];

async function topicFor(opts: BenchOptions, prefix: string): Promise<string> {
  const topic = await freshTopic(opts, prefix);
  topics.push(topic);
  return topic;
}

/** The products of the throughput run (the stand-in knows them when run by hand). */
const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD"];
/** The products of the latency run: 10, each 10 trades a second. */
const LIVE_PRODUCTS = [
  "BTC-USD",
  "ETH-USD",
  "SOL-USD",
  "ADA-USD",
  "DOGE-USD",
  "XRP-USD",
  "LTC-USD",
  "DOT-USD",
  "LINK-USD",
  "AVAX-USD",
];
/** The candles' out-of-orderness, ms (the default). */
const OOO = 10_000;
const utf8 = new TextDecoder();

/** A free loopback port. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The product's configuration for `produce --source coinbase` on a bench topic. */
function tradeConfig(opts: BenchOptions, topic: string, url: string, products: string[]) {
  const config = producerConfig(opts, topic, [
    "--source",
    "coinbase",
    "--products",
    products.join(","),
  ]);
  const coinbase = { ...config.coinbase, url };
  return { ...config, coinbase } satisfies ProducerConfig;
}

/** The stand-in in a process of its own, sending a burst once a client subscribes. */
interface BurstStub {
  /** Its URL. */
  url: string;
  /** When it handed the first frame to the socket, ms since the epoch. */
  times: Promise<{ firstAt: number }>;
  /** Ends it. */
  stop: () => Promise<void>;
}

/** Starts the stand-in in a process of its own, to send `trades` once a client subscribes. */
async function burstStub(trades: number): Promise<BurstStub> {
  const port = freePort();
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "-q",
      "--allow-net=127.0.0.1",
      "tests/support/coinbase_stub.ts",
      "--port",
      String(port),
      "--burst",
      String(trades),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (i > 200) throw error;
      await delay(25);
    }
  }
  const times = (async () => {
    let text = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes("\n")) break;
    }
    return JSON.parse(text.trim()) as { firstAt: number };
  })();
  return {
    url: `ws://127.0.0.1:${port}`,
    times,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

const now = () => performance.timeOrigin + performance.now();

/** One throughput run. */
export interface TradesRun {
  /** Trades a second from the first frame sent to the last acknowledgement. */
  rate: number;
  /** Trades a second from the first frame sent to the last frame read by the trade source. */
  readRate: number;
  /** Trades dropped from the buffer (none expected: it holds them all). */
  dropped: number;
  /** Trades acknowledged. */
  produced: number;
}

/**
 * The trade source and the Publisher (exactly `produce --source coinbase`'s topology) against
 * the stand-in sending `trades` matches at full speed: from the first frame sent to the last
 * trade acknowledged by the broker.
 *
 * @param opts The bench options.
 * @param trades How many.
 * @returns The rates.
 */
export async function tradesThroughput(opts: BenchOptions, trades: number): Promise<TradesRun> {
  const topic = await topicFor(opts, "bench-trades");
  const stub = await burstStub(trades);
  const config = tradeConfig(opts, topic, stub.url, PRODUCTS);
  const transport = new PlatformaticProducerTransport(config.kafka);
  await transport.connect();
  const topology = tradeChildren({
    config: { ...config, bufferSize: trades + 1 },
    transport,
    partitions: 3,
    print: () => {},
  });
  const supervisor = new Supervisor(topology.children);
  const running = supervisor.run();
  let readAt = 0;
  while (topology.report.totals.produced + topology.report.totals.dropped < trades) {
    if (readAt === 0 && topology.report.totals.received >= trades) readAt = now();
    await delay(1);
  }
  const doneAt = now();
  if (readAt === 0) readAt = doneAt;
  const { firstAt } = await stub.times;
  await supervisor.stop();
  await running;
  await transport.disconnect();
  await stub.stop();
  const totals = topology.report.totals;
  return {
    rate: trades / ((doneAt - firstAt) / 1000),
    readRate: trades / ((readAt - firstAt) / 1000),
    dropped: totals.dropped,
    produced: totals.produced,
  };
}

/**
 * A bare WebSocket client reading the same burst and doing nothing with it: the socket's ceiling.
 *
 * @param trades How many.
 * @returns Frames a second from the first sent to the last read.
 */
export async function socketCeiling(trades: number): Promise<number> {
  const stub = await burstStub(trades);
  const socket = new WebSocket(stub.url);
  let read = 0;
  let lastAt = 0;
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () =>
      socket.send(JSON.stringify({
        type: "subscribe",
        product_ids: PRODUCTS,
        channels: ["matches", "heartbeat"],
      }));
    socket.onmessage = (event) => {
      if ((event.data as string).startsWith('{"type":"match"')) read++;
      if (read === trades) {
        lastAt = now();
        resolve();
      }
    };
    socket.onerror = () => reject(new Error("the stand-in's socket failed"));
  });
  socket.close();
  const { firstAt } = await stub.times;
  await stub.stop();
  return trades / ((lastAt - firstAt) / 1000);
}

/** Percentiles of the frame-to-readable time. */
export interface TradesLatency {
  /** Median, ms. */
  p50: number;
  /** 99th percentile, ms. */
  p99: number;
  /** Largest, ms. */
  max: number;
  /** Closed candles measured. */
  samples: number;
  /** Median of the same frames' time to their acknowledgement by Kafka, ms. */
  ackP50: number;
  /** 99th percentile of that, ms. */
  ackP99: number;
}

/**
 * The time from a trade's frame leaving the stand-in to the 1m candle it closes being readable:
 * 100 trades a second over 10 products, each product's event time 6 s ahead a trade, so each
 * closes a window a second. Stand-in → socket → TradeSource → Publisher → Kafka → candles'
 * Subscriber → Aggregator → CandleSink → SQLite, in one process; measured from the send of the
 * first trade at or past a window's end plus the out-of-orderness to the store's answer to the
 * write holding the closed row. The first 3 s are left out (the consumer group joining).
 *
 * @param opts The bench options.
 * @param options How long to send, and where the store goes.
 * @returns The percentiles.
 */
export async function tradesLatency(
  opts: BenchOptions,
  options: { seconds: number; store: string },
): Promise<TradesLatency> {
  const stub = await CoinbaseStub.start({ heartbeatMs: 1_000 });
  const topic = await topicFor(opts, "bench-trades-live");
  const candleTopic = await topicFor(opts, "bench-trades-candles");
  const config = tradeConfig(opts, topic, stub.url, LIVE_PRODUCTS);
  const producer = new PlatformaticProducerTransport(config.kafka);
  const consumer = new PlatformaticConsumerTransport(
    consumerConfig(opts, topic, ["--from-beginning"]).kafka,
    unique("bench-trades-live"),
  );
  const store = await openStore(options.store, { timeoutMs: 10_000 });
  await producer.connect();
  await consumer.connect();
  // Per symbol, each trade's event time, when its frame was sent and when Kafka acknowledged it.
  const sent = new Map<string, { time: number; at: number; ackedAt: number }[]>();
  const latencies: number[] = [];
  const acks: number[] = [];
  const byTime = new Map<string, { time: number; at: number; ackedAt: number }>();
  // The Publisher's sends, timed: when each trade was acknowledged.
  const timed: ProducerTransport = {
    connect: (o) => producer.connect(o),
    ensureTopic: (spec) => producer.ensureTopic(spec),
    disconnect: () => producer.disconnect(),
    send: async (to, records) => {
      const deliveries = await producer.send(to, records);
      const at = performance.now();
      if (to === topic) {
        for (const r of records) {
          const { time } = JSON.parse(typeof r.value === "string" ? r.value : utf8.decode(r.value));
          const entry = byTime.get(`${r.key}|${Date.parse(time)}`);
          if (entry) entry.ackedAt = at;
        }
      }
      return deliveries;
    },
  };
  let measureFrom = Infinity;
  const trades = tradeChildren({ config, transport: timed, partitions: 3, print: () => {} });
  const candles = candleChildren({
    config: {
      intervals: ["1m"],
      store: options.store,
      redis: null,
      outOfOrdernessMs: OOO,
      allowedLatenessMs: 60_000,
      idleTimeoutMs: 3_600_000,
      storeTimeoutMs: 30_000,
      topic: candleTopic,
    },
    sources: [{ topic, transport: consumer }],
    fromBeginning: true,
    store,
    candleTopic: { transport: producer, topic: candleTopic, partitions: 3 },
    print: null,
    format: "line",
    clock: systemClock,
    onWritten: (flush) => {
      const at = performance.now();
      for (const candle of flush.closed) {
        if (candle.revision !== 0) continue;
        const trigger = sent.get(candle.symbol)?.find((t) => t.time >= candle.windowEnd + OOO);
        if (trigger && trigger.at >= measureFrom) {
          latencies.push(at - trigger.at);
          acks.push(trigger.ackedAt - trigger.at);
        }
      }
    },
  });
  const supervisor = new Supervisor([...candles.children, ...trades.children]);
  const running = supervisor.run();
  while (stub.subscribed === 0) await delay(5);
  const start = Date.UTC(2025, 10, 12, 10, 0, 1);
  const began = performance.now();
  measureFrom = began + 3_000;
  const everyMs = 1000 / 100;
  for (let i = 0; performance.now() < began + options.seconds * 1000; i++) {
    const product = LIVE_PRODUCTS[i % LIVE_PRODUCTS.length]!;
    const symbol = product.split("-")[0]!;
    const k = Math.floor(i / LIVE_PRODUCTS.length);
    const time = start + k * 6_000;
    let list = sent.get(symbol);
    if (!list) sent.set(symbol, list = []);
    const entry = { time, at: performance.now(), ackedAt: NaN };
    list.push(entry);
    byTime.set(`${symbol}|${time}`, entry);
    stub.trade({ product, price: (100 + (k % 50)).toFixed(2), size: "0.5", time: microTime(time) });
    const wait = began + (i + 1) * everyMs - performance.now();
    if (wait > 0) await delay(wait);
  }
  await delay(2_000);
  await supervisor.stop();
  await running;
  await consumer.disconnect();
  await producer.disconnect();
  await store.close();
  await stub.close();
  const sorted = latencies.sort((a, b) => a - b);
  const acked = acks.sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    samples: sorted.length,
    ackP50: percentile(acked, 50),
    ackP99: percentile(acked, 99),
  };
}

/**
 * Every trade figure of `bench/results.json` (`--only trades`): the throughput runs, alternated
 * with the bare socket's, after a warm-up, and the latency run.
 *
 * @param opts The bench options.
 * @returns The figures.
 */
export async function tradesFigures(opts: BenchOptions): Promise<Record<string, unknown>> {
  const count = opts.quick ? 20_000 : 100_000;
  const reps = opts.quick ? 1 : 3;
  await tradesThroughput(opts, Math.min(count, 10_000)); // warm-up
  const s = { pipeline: [] as number[], read: [] as number[], socket: [] as number[] };
  let dropped = 0;
  for (let r = 0; r < reps; r++) {
    const socket = await socketCeiling(count);
    const run = await tradesThroughput(opts, count);
    s.socket.push(socket);
    s.pipeline.push(run.rate);
    s.read.push(run.readRate);
    dropped += run.dropped;
    say(
      `trades #${r + 1}: socket ${socket.toFixed(0)}/s, read ${
        run.readRate.toFixed(0)
      }/s, acknowledged ${run.rate.toFixed(0)}/s (dropped ${run.dropped})`,
    );
  }
  const seconds = opts.quick ? 10 : 30;
  const latency = await tradesLatency(opts, { seconds, store: `sqlite:${opts.tmp}/trades.db` });
  say(
    `trades: frame to closed candle p50 ${latency.p50.toFixed(1)} ms, p99 ${
      latency.p99.toFixed(1)
    } ms (${latency.samples} candles)`,
  );
  await deleteTopics(opts, topics.splice(0));
  const med = (xs: number[]) => round(median(xs));
  return {
    generated_at: new Date().toISOString(),
    trades: count,
    repetitions: reps,
    socket: med(s.socket),
    read: med(s.read),
    pipeline: med(s.pipeline),
    dropped,
    runs: { socket: s.socket.map((x) => round(x)), pipeline: s.pipeline.map((x) => round(x)) },
    latency_ms: {
      rate: 100,
      seconds,
      p50: round(latency.p50, 1),
      p99: round(latency.p99, 1),
      max: round(latency.max, 1),
      samples: latency.samples,
      acked_p50: round(latency.ackP50, 1),
      acked_p99: round(latency.ackP99, 1),
    },
  };
}
