/**
 * The candle benchmarks: `candles --from-beginning` over a topic of prices and over a topic of
 * trades (into SQLite and into PostgreSQL) against a plain consume of the same topic, and, with a
 * baseline, `bin/candles.ts` of two checkouts over the same topics (`baseline.ts`); the store's
 * upsert rate against PostgreSQL's own `COPY`; and the time from a window's close to its row
 * being readable.
 *
 * @module
 */
import { encodePrice } from "../market/messages/price_message.ts";
import { encodeTrade } from "../market/messages/trade_message.ts";
import { candleChildren } from "../actors/candle_topology.ts";
import type { CandleConfig } from "../config/types.ts";
import { PlatformaticConsumerTransport } from "../kafka/platformatic_consumer.ts";
import { PlatformaticProducerTransport } from "../kafka/platformatic_producer.ts";
import { partitionFor } from "../kafka/partitioner.ts";
import type { ConsumerTransport, InRecord } from "../kafka/transport.ts";
import { delay, systemClock } from "../runtime/delay.ts";
import { Supervisor } from "../runtime/supervisor.ts";
import { openStore } from "../store/open_store.ts";
import type { CandleStore } from "../store/candle_store.ts";
import { candlesProcess, type Checkout } from "./baseline.ts";
import {
  type BenchOptions,
  consumerConfig,
  freshTopic,
  median,
  round,
  say,
  unique,
} from "./common.ts";
import type { PlainRecord } from "./data.ts";
import { produceKafkajs } from "./produce.ts";
import { benchUpserts, copyCeiling } from "./store.ts";

/** The intervals of every candle run. */
export const INTERVALS: CandleConfig["intervals"] = ["1m", "5m", "15m", "1h"];
const T0 = Date.UTC(2025, 10, 12) / 1000;

/** The candle settings of a run: the defaults, idle closing out of the way. */
function candleConfig(topic: string): CandleConfig {
  return {
    intervals: INTERVALS,
    store: "",
    redis: null,
    outOfOrdernessMs: 10_000,
    allowedLatenessMs: 60_000,
    idleTimeoutMs: 3_600_000,
    storeTimeoutMs: 30_000,
    topic,
    maxAheadMs: 300_000,
    dlqTopic: "crypto-dlq",
  };
}

/** A topic's records: the last `closing` of them close every window the others opened. */
export interface CandleRecords {
  /** The records, in time order. */
  records: PlainRecord[];
  /** How many at the end only close windows (one per symbol or product, two hours later). */
  closing: number;
}

/** The event time of the records that close every window: two hours after the last record. */
const CLOSE_AFTER_S = 7_200;

/**
 * Prices of `symbols` symbols, one a second each, in time order, then one price per symbol two
 * hours later that closes every window: `count` price messages in all.
 *
 * @param count How many.
 * @param symbols How many symbols.
 * @returns Records for a plain producer.
 */
export function candlePrices(count: number, symbols = 100): CandleRecords {
  const records: PlainRecord[] = [];
  const regular = count - symbols;
  const last = T0 + Math.ceil(regular / symbols);
  for (let i = 0; i < count; i++) {
    const symbol = `C${String(i % symbols).padStart(2, "0")}`;
    const second = i < regular ? T0 + Math.floor(i / symbols) : last + CLOSE_AFTER_S;
    const encoded = encodePrice({
      coinId: symbol.toLowerCase(),
      symbol,
      priceUsd: 100 + (i % 997) / 10,
      volume24h: null,
      marketCap: null,
      change24h: null,
      lastUpdated: second,
      fetchedAt: second * 1000 + 500,
      cycle: 1,
    }, `${symbol}-${i}`);
    records.push({ key: symbol, value: encoded.value, headers: encoded.headers });
  }
  return { records, closing: symbols };
}

/** The products of the trade row, and a price of each. */
const TRADE_PRODUCTS: [string, number][] = [
  ["BTC-USD", 45_234.56],
  ["ETH-USD", 3_198.23],
  ["SOL-USD", 142.5],
  ["ADA-USD", 0.45],
  ["DOGE-USD", 0.081],
  ["XRP-USD", 0.61],
  ["LTC-USD", 71.2],
  ["DOT-USD", 6.3],
  ["LINK-USD", 14.8],
  ["AVAX-USD", 35.1],
];

/**
 * `count` made-up products `C0001-USD`, `C0002-USD`, …, each with a price of its own.
 *
 * @param count How many.
 * @returns The products and their prices.
 */
export function scaleProducts(count: number): [string, number][] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => [
    `C${String(i + 1).padStart(width, "0")}-USD`,
    Number((1 + ((i * 7_919) % 50_000) / 3).toFixed(2)),
  ]);
}

/** Time between two trades (of any product), ms: 100,000 trades span about 12 minutes. */
const TRADE_STEP_MS = 7;

/**
 * Trades of some products (by default 10 real ones) in the trade message format
 * (docs/trades.md), in time order, taken in turn, 7 ms apart, trade ids increasing per product,
 * buys and sells mixed; then one trade per product two hours later that closes every window:
 * `count` trade messages in all.
 *
 * @param count How many.
 * @param productList The products and a price of each (`scaleProducts` makes any number).
 * @returns Records for a plain producer.
 */
export function candleTrades(
  count: number,
  productList: readonly [string, number][] = TRADE_PRODUCTS,
): CandleRecords {
  const products = productList.length;
  const records: PlainRecord[] = [];
  const regular = count - products;
  const startMs = T0 * 1000;
  const lastMs = startMs + regular * TRADE_STEP_MS;
  for (let i = 0; i < count; i++) {
    const [product, base] = productList[i % products]!;
    const ms = i < regular ? startMs + i * TRADE_STEP_MS : lastMs + CLOSE_AFTER_S * 1000;
    const iso = new Date(ms).toISOString();
    const encoded = encodeTrade({
      symbol: product.slice(0, product.indexOf("-")),
      product_id: product,
      trade_id: 1_000_000 + Math.floor(i / products),
      price: Number((base * (1 + ((i % 1000) - 500) * 1e-5)).toPrecision(8)),
      size: Number((0.0001 * (1 + ((i * 31) % 997))).toFixed(8)),
      side: (i * 7 + Math.floor(i / 13)) % 5 < 2 ? "sell" : "buy",
      // Coinbase gives microseconds.
      time: `${iso.slice(0, -1)}${String((i * 37) % 1000).padStart(3, "0")}Z`,
      sequence: 50_000_000 + i,
      received_at: new Date(ms + 15).toISOString(),
      source: "coinbase",
    }, ms);
    records.push({ key: encoded.key, value: encoded.value, headers: encoded.headers });
  }
  return { records, closing: products };
}

/** Wraps a consumer so that the time of the first record handed on is kept. */
function timedConsumer(transport: ConsumerTransport, first: { at: number }): ConsumerTransport {
  const mark = () => {
    if (first.at === 0) first.at = performance.now();
  };
  return {
    connect: (options) => transport.connect(options),
    consume: (options) =>
      transport.consume({
        ...options,
        handle: (record: InRecord) => (mark(), options.handle(record)),
        ...(options.handleBatch
          ? { handleBatch: (records: InRecord[]) => (mark(), options.handleBatch!(records)) }
          : {}),
      }),
    stop: () => transport.stop(),
    commit: (topic, offsets) => transport.commit(topic, offsets),
    disconnect: () => transport.disconnect(),
  };
}

/** One run of the candle pipeline over a filled topic. */
export interface CandlesRun {
  /** Prices per second, from the first record handed on to the last write in the store. */
  rate: number;
  /** Those seconds. */
  seconds: number;
  /** Candle rows written. */
  rows: number;
}

/**
 * Runs what `candles --from-beginning` runs, in this process, over a filled topic into a store,
 * until every record is aggregated and written.
 *
 * @param opts The bench options.
 * @param options The topic, its record count and the store's URL.
 * @returns The rate.
 */
export async function candlesPipeline(
  opts: BenchOptions,
  options: { topic: string; messages: number; store: string },
): Promise<CandlesRun> {
  const config = consumerConfig(opts, options.topic, ["--from-beginning"]);
  const consumer = new PlatformaticConsumerTransport(config.kafka, unique("bench-candles"));
  const producer = new PlatformaticProducerTransport({
    ...config.kafka,
    clientId: "bench-candles",
  });
  const store = await openStore(options.store, { timeoutMs: 10_000 });
  const candleTopic = await freshTopic(opts, "bench-candles-out");
  await consumer.connect();
  await producer.connect();
  const first = { at: 0 };
  let lastWrite = 0;
  const topology = candleChildren({
    config: candleConfig(candleTopic),
    sources: [{ topic: options.topic, transport: timedConsumer(consumer, first) }],
    fromBeginning: true,
    store,
    candleTopic: { transport: producer, topic: candleTopic, partitions: 3 },
    // No record of the bench is refused: nothing is dead-lettered.
    deadLetterTopic: { transport: producer, topic: `${candleTopic}-dlq`, partitions: 3 },
    print: null,
    format: "line",
    clock: systemClock,
    onWritten: () => (lastWrite = performance.now()),
  });
  const supervisor = new Supervisor(topology.children);
  const running = supervisor.run();
  while (topology.report.read < options.messages) await delay(5);
  // Every record is in the book: stopping writes what is left, as Ctrl+C does.
  await supervisor.stop();
  await running;
  await consumer.disconnect();
  await producer.disconnect();
  await store.close();
  const seconds = (lastWrite - first.at) / 1000;
  return { rate: options.messages / seconds, seconds, rows: topology.report.candlesWritten };
}

/** The runs of `bin/candles.ts` beside the in-process ones: this checkout's and a baseline's. */
export interface ProcessContenders {
  /** The Deno flags of both (this checkout's `deno task candles`). */
  flags: string[];
  /** This checkout. */
  current: Checkout;
  /** The baseline's worktree. */
  baseline: Checkout;
}

/** The figures of one candle row (prices or trades), for `results.json`. */
export type RowFigures = Record<string, unknown>;

const med = (xs: number[]) => round(median(xs));
const rounded = (xs: number[]) => xs.map((x) => round(x));

/**
 * One candle row: the records onto a fresh topic once, then, alternated in each repetition, the
 * plain consume of the topic, `candles --from-beginning` in process into SQLite and into
 * PostgreSQL, and with `processes` each checkout's `bin/candles.ts` into SQLite and PostgreSQL;
 * every run its own consumer group and a fresh store (SQLite file, PostgreSQL database).
 *
 * @param opts The bench options.
 * @param options The row's name, records, plain consume, repetitions and the processes to run.
 * @returns The medians and the runs, and the topics made (to delete).
 */
export async function candleRow(
  opts: BenchOptions,
  options: {
    name: string;
    data: CandleRecords;
    consume: (topic: string, messages: number) => Promise<{ rate: number }>;
    repetitions: number;
    processes: ProcessContenders | null;
  },
): Promise<{ figures: RowFigures; topics: string[] }> {
  const { name, data, processes } = options;
  const messages = data.records.length;
  const fill = await produceKafkajs(opts, { records: data.records, batch: 500, gzip: false });
  const topics = [fill.topic];
  const topic = fill.topic;
  const runs: Record<string, number[]> = { consume: [], sqlite: [], postgres: [] };
  const contenders = processes
    ? [["process", processes.current], ["baseline", processes.baseline]] as const
    : [];
  for (const [key] of contenders) {
    runs[`${key}_sqlite`] = [];
    runs[`${key}_postgres`] = [];
  }
  await options.consume(topic, Math.min(10_000, messages));
  for (let r = 0; r < options.repetitions; r++) {
    const c = await options.consume(topic, messages);
    runs.consume!.push(c.rate);
    const lite = await candlesPipeline(opts, {
      topic,
      messages,
      store: `sqlite:${opts.tmp}/${name}-${r}.db`,
    });
    runs.sqlite!.push(lite.rate);
    const pg = await withDatabase((url) => candlesPipeline(opts, { topic, messages, store: url }));
    runs.postgres!.push(pg.rate);
    let line = `candles ${name} #${r + 1}: consume ${c.rate.toFixed(0)}/s, in process →SQLite ${
      lite.rate.toFixed(0)
    }/s (${lite.rows} rows), →PostgreSQL ${pg.rate.toFixed(0)}/s`;
    // Which checkout goes first changes from one repetition to the next.
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const [key, checkout] of order) {
      const run = (store: string) =>
        candlesProcess(opts, {
          checkout,
          flags: processes!.flags,
          topic,
          messages,
          closing: data.closing,
          store,
          intervals: INTERVALS,
        });
      const plite = await run(`sqlite:${opts.tmp}/${name}-${key}-${r}.db`);
      const ppg = await withDatabase(run);
      topics.push(...plite.topics, ...ppg.topics);
      runs[`${key}_sqlite`]!.push(plite.rate);
      runs[`${key}_postgres`]!.push(ppg.rate);
      line += `; ${checkout.ref} (${checkout.sha}) bin/candles.ts →SQLite ${
        plite.rate.toFixed(0)
      }/s, →PostgreSQL ${ppg.rate.toFixed(0)}/s`;
    }
    say(line);
  }
  const figures: RowFigures = {
    generated_at: new Date().toISOString(),
    messages,
    closing: data.closing,
    repetitions: options.repetitions,
    consume: med(runs.consume!),
    sqlite: med(runs.sqlite!),
    postgres: med(runs.postgres!),
  };
  if (processes) {
    figures.process = {
      ref: processes.current.ref,
      sha: processes.current.sha,
      sqlite: med(runs.process_sqlite!),
      postgres: med(runs.process_postgres!),
    };
    figures.baseline = {
      ref: processes.baseline.ref,
      sha: processes.baseline.sha,
      sqlite: med(runs.baseline_sqlite!),
      postgres: med(runs.baseline_postgres!),
    };
  }
  figures.runs = Object.fromEntries(Object.entries(runs).map(([k, xs]) => [k, rounded(xs)]));
  return { figures, topics };
}

/**
 * The store's upsert rate against PostgreSQL's `COPY` of the same rows (both warmed up first).
 *
 * @param url A PostgreSQL database.
 * @param rows Rows per measurement.
 * @returns Candle rows per second, both ways.
 */
export async function upsertsAgainstCopy(
  url: string,
  rows: number,
): Promise<{ upsert: number; copy: number }> {
  const store = await openStore(url, { timeoutMs: 10_000 });
  try {
    await benchUpserts(store, Math.min(rows, 10_000));
    await copyCeiling(url, Math.min(rows, 10_000));
    const upsert = await benchUpserts(store, rows);
    const copy = await copyCeiling(url, rows);
    return { upsert, copy };
  } finally {
    await store.close();
  }
}

/** Percentiles of the close-to-readable time. */
export interface CloseLatency {
  /** Median, ms. */
  p50: number;
  /** 99th percentile, ms. */
  p99: number;
  /** Largest, ms. */
  max: number;
  /** Closed candles measured. */
  samples: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

/**
 * The time from a window's close to its row being readable: prices of 20 symbols go to a topic,
 * event time one second ahead every 20 ms, while the candle pipeline runs over it into the
 * store. For each closed 1m candle, from the send of the price that moved its symbol's watermark
 * past the window's end to the store's answer to the write holding the closed row.
 *
 * @param opts The bench options.
 * @param options The store's URL and how long to send.
 * @returns The percentiles.
 */
export async function closeLatency(
  opts: BenchOptions,
  options: { store: string; seconds: number },
): Promise<CloseLatency> {
  const topic = await freshTopic(opts, "bench-candles-live");
  const config = consumerConfig(opts, topic, ["--from-beginning"]);
  const consumer = new PlatformaticConsumerTransport(config.kafka, unique("bench-candles-live"));
  const producer = new PlatformaticProducerTransport({ ...config.kafka, clientId: "bench-live" });
  const store: CandleStore = await openStore(options.store, { timeoutMs: 10_000 });
  await consumer.connect();
  await producer.connect();
  const symbols = Array.from({ length: 20 }, (_, i) => `L${String(i).padStart(2, "0")}`);
  const ooo = 10_000;
  // Per symbol, the send time of each event second, to find what closed a window.
  const sent = new Map<string, Map<number, number>>(symbols.map((s) => [s, new Map()]));
  const latencies: number[] = [];
  const candleTopic = await freshTopic(opts, "bench-candles-live-out");
  const topology = candleChildren({
    config: { ...candleConfig(candleTopic), intervals: ["1m"] },
    sources: [{ topic, transport: consumer }],
    fromBeginning: true,
    store,
    candleTopic: { transport: producer, topic: candleTopic, partitions: 3 },
    // No record of the bench is refused: nothing is dead-lettered.
    deadLetterTopic: { transport: producer, topic: `${candleTopic}-dlq`, partitions: 3 },
    print: null,
    format: "line",
    clock: systemClock,
    onWritten: (flush) => {
      const now = performance.now();
      for (const candle of flush.closed) {
        if (candle.revision !== 0) continue;
        const trigger = sent.get(candle.symbol)?.get((candle.windowEnd + ooo) / 1000);
        if (trigger !== undefined) latencies.push(now - trigger);
      }
    },
  });
  const supervisor = new Supervisor(topology.children);
  const running = supervisor.run();
  const until = performance.now() + options.seconds * 1000;
  let second = T0;
  while (performance.now() < until) {
    second++;
    const records = symbols.map((symbol, i) => {
      const encoded = encodePrice({
        coinId: symbol.toLowerCase(),
        symbol,
        priceUsd: 100 + i + (second % 60) / 10,
        volume24h: null,
        marketCap: null,
        change24h: null,
        lastUpdated: second,
        fetchedAt: second * 1000,
        cycle: 1,
      }, `${symbol}-${second}`);
      return { ...encoded, partition: partitionFor(symbol, 3), timestamp: Date.now() };
    });
    const at = performance.now();
    for (const symbol of symbols) sent.get(symbol)!.set(second, at);
    await producer.send(topic, records);
    await delay(20);
  }
  await delay(1_500);
  await supervisor.stop();
  await running;
  await consumer.disconnect();
  await producer.disconnect();
  await store.close();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    samples: sorted.length,
  };
}

/**
 * Runs `body` with a PostgreSQL database of its own (`BENCH_POSTGRES_URL`, default the local
 * server), dropped after.
 *
 * @param body What to run with the database's URL.
 * @returns What it returned.
 */
export async function withDatabase<T>(body: (url: string) => Promise<T>): Promise<T> {
  const { default: postgres } = await import("postgres");
  const server = Deno.env.get("BENCH_POSTGRES_URL") ??
    "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `crypto_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    return await body(url.href);
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
