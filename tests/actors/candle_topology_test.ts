import assert from "node:assert/strict";
import { candleChildren } from "../../actors/candle_topology.ts";
import { encodePrice } from "../../market/messages/price_message.ts";
import type { CandleConfig } from "../../config/types.ts";
import { MemoryLog } from "../../kafka/memory_log.ts";
import { partitionFor } from "../../kafka/partitioner.ts";
import type { OutRecord } from "../../kafka/transport.ts";
import { encodeTrade, type TradeMessage } from "../../market/messages/trade_message.ts";
import { systemClock } from "../../runtime/delay.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import {
  priceFromJson,
  referenceCandles,
  referenceKey,
  tradeFromMessage,
} from "../support/candle_reference.ts";
import { MemoryStore } from "../support/memory_store.ts";
import { waitFor } from "../support/wait.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 30) / 1000;

const config: CandleConfig = {
  intervals: ["1m", "5m"],
  store: "memory",
  redis: null,
  outOfOrdernessMs: 10_000,
  allowedLatenessMs: 60_000,
  idleTimeoutMs: 3_600_000,
  storeTimeoutMs: 1_000,
  topic: "crypto-candles",
  maxAheadMs: 300_000,
  dlqTopic: "crypto-dlq",
};

/** Price records of three symbols, a few seconds apart, some repeated (CoinGecko's unchanged price). */
function priceRecords(count: number): OutRecord[] {
  const records: OutRecord[] = [];
  const symbols = ["BTC", "ETH", "SOL"];
  for (let i = 0; i < count; i++) {
    const symbol = symbols[i % 3]!;
    const lastUpdated = T0 + Math.floor(i / 3) * 7 - (i % 5 === 0 ? 5 : 0);
    const encoded = encodePrice({
      coinId: symbol.toLowerCase(),
      symbol,
      priceUsd: 100 + ((i * 37) % 101),
      volume24h: null,
      marketCap: null,
      change24h: null,
      lastUpdated,
      fetchedAt: lastUpdated * 1000 + 500,
      cycle: i,
    }, `${symbol}-${i}`);
    const record = { ...encoded, partition: partitionFor(symbol, 3) };
    records.push(record);
    if (i % 4 === 0) records.push({ ...record });
  }
  return records;
}

async function runTopology(
  log: MemoryLog,
  store: MemoryStore,
  whileRunning?: (report: ReturnType<typeof candleChildren>["report"]) => Promise<void>,
  group = "crypto-candles",
) {
  const lines: string[] = [];
  const candles = candleChildren({
    config,
    sources: [{ topic: "crypto-prices", transport: log.consumer(group) }],
    fromBeginning: true,
    store,
    candleTopic: { transport: log.producer(), topic: "crypto-candles", partitions: 3 },
    deadLetterTopic: { transport: log.producer(), topic: "crypto-dlq", partitions: 3 },
    print: (line) => lines.push(line),
    format: "line",
    clock: systemClock,
    commitIntervalMs: 50,
  });
  const supervisor = new Supervisor(candles.children);
  const running = supervisor.run();
  const total = log.lag(group, "crypto-prices").reduce((n, p) => n + Number(p.end), 0);
  await whileRunning?.(candles.report);
  await waitFor(() => candles.report.read >= total, { message: `${total} records read` });
  await supervisor.stop();
  await running;
  return { lines, report: candles.report, book: candles.book };
}

/** Every value on the candle topic, read through the embedded log's consumer. */
async function published(log: MemoryLog): Promise<Record<string, unknown>[]> {
  const end = log.lag("check", "crypto-candles").reduce((n, p) => n + Number(p.end), 0);
  const values: Record<string, unknown>[] = [];
  if (end === 0) return values;
  const consumer = log.consumer("check");
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.consume({
    topic: "crypto-candles",
    fromBeginning: true,
    handle: (record) => {
      values.push(JSON.parse(record.value!));
      if (values.length === end) done();
      return Promise.resolve();
    },
  });
  await finished;
  await consumer.stop();
  return values;
}

Deno.test("The candle topology over the embedded log stores the candles an independent computation gives, prints and publishes the closed ones, and commits everything", async () => {
  const log = new MemoryLog();
  log.ensureTopic({ topic: "crypto-prices", partitions: 3, replicationFactor: 1 });
  log.ensureTopic({ topic: "crypto-candles", partitions: 3, replicationFactor: 1 });
  log.ensureTopic({ topic: "crypto-dlq", partitions: 3, replicationFactor: 1 });
  const records = priceRecords(600);
  for (const record of records) log.append("crypto-prices", [record]);
  const store = new MemoryStore();
  const { lines, report, book } = await runTopology(log, store);

  const observations = records.map((r) => priceFromJson(r.value as string));
  const expected = referenceCandles(observations, config.intervals);
  const table = store.table();
  assert.equal(table.length, expected.size);
  for (const { closed: _closed, revision: _revision, ...fields } of table) {
    assert.deepEqual(fields, expected.get(referenceKey(fields)));
  }
  const closed = table.filter((c) => c.closed);
  assert.ok(closed.length > 20 && closed.length < table.length, "the last windows stay open");
  assert.equal(lines.length, book.counts.closed + book.counts.revisions);
  assert.match(
    lines[0]!,
    /^Candle coingecko (BTC|ETH|SOL)-USD 1m 2025-11-12T10:29:00Z O \$\d+\.00 H .* \(\d+ samples?\)$/,
  );
  assert.equal(report.read, records.length);
  assert.equal(book.counts.repeats, records.length - book.counts.added);
  const onTopic = await published(log);
  assert.equal(onTopic.length, closed.length);
  assert.deepEqual(
    Object.keys(onTopic[0]!),
    [
      "source",
      "product",
      "symbol",
      "quote",
      "interval",
      "window_start",
      "window_end",
      "open",
      "high",
      "low",
      "close",
      "samples",
      "trades",
      "volume",
      "buy_volume",
      "sell_volume",
      "vwap",
      "first_event",
      "last_event",
      "closed",
      "revision",
    ],
  );
  assert.equal(store.queue.size, 0, "the outbox is empty");
  for (const partition of log.lag("crypto-candles", "crypto-prices")) {
    assert.equal(partition.lag, 0, `partition ${partition.partition} committed to its end`);
  }
});

Deno.test("The candle topology reading again what the store holds (a new group from the beginning) changes nothing and commits it all", async () => {
  const log = new MemoryLog();
  log.ensureTopic({ topic: "crypto-prices", partitions: 3, replicationFactor: 1 });
  log.ensureTopic({ topic: "crypto-candles", partitions: 3, replicationFactor: 1 });
  log.ensureTopic({ topic: "crypto-dlq", partitions: 3, replicationFactor: 1 });
  for (const record of priceRecords(300)) log.append("crypto-prices", [record]);
  const store = new MemoryStore();
  await runTopology(log, store);
  const table = store.table();
  const writes = store.writes;
  const { lines, book } = await runTopology(log, store, undefined, "replay");
  assert.deepEqual(store.table(), table);
  assert.deepEqual(lines, []);
  assert.equal(book.counts.added, 0);
  assert.equal(store.writes, writes, "nothing written");
  for (const partition of log.lag("replay", "crypto-prices")) {
    assert.equal(partition.lag, 0, `partition ${partition.partition} committed to its end`);
  }
});

Deno.test("The candle topology holds back while the store is down, retries, and ends with the full table", async () => {
  const log = new MemoryLog();
  log.ensureTopic({ topic: "crypto-prices", partitions: 3, replicationFactor: 1 });
  log.ensureTopic({ topic: "crypto-candles", partitions: 3, replicationFactor: 1 });
  log.ensureTopic({ topic: "crypto-dlq", partitions: 3, replicationFactor: 1 });
  const records = priceRecords(300);
  for (const record of records) log.append("crypto-prices", [record]);

  const reference = new MemoryStore();
  await runTopology(log, reference);

  const log2 = new MemoryLog({});
  log2.ensureTopic({ topic: "crypto-prices", partitions: 3, replicationFactor: 1 });
  log2.ensureTopic({ topic: "crypto-candles", partitions: 3, replicationFactor: 1 });
  log2.ensureTopic({ topic: "crypto-dlq", partitions: 3, replicationFactor: 1 });
  for (const record of records) log2.append("crypto-prices", [record]);
  const store = new MemoryStore();
  store.failing = true;
  let committedWhileDown = -1;
  const { report } = await runTopology(log2, store, async (running) => {
    // The store refused writes more than once: retried, and still down.
    await waitFor(() => running.storeErrors >= 2, { message: "two refused writes" });
    committedWhileDown = log2.lag("crypto-candles", "crypto-prices")
      .reduce((n, p) => n + Number(p.committed ?? 0), 0);
    store.failing = false;
  });
  assert.equal(committedWhileDown, 0, "nothing is committed while nothing is stored");
  assert.ok(report.storeErrors > 0);
  assert.deepEqual(store.table(), reference.table());
});

/** A memory store that, once told, refuses every write, or lets it hang, or is down altogether. */
class TroubledStore extends MemoryStore {
  trouble: "none" | "refuses" | "hangs" | "down" = "none";
  hung = 0;
  override write(batch: Parameters<MemoryStore["write"]>[0]): Promise<string[]> {
    if (this.trouble === "refuses") return Promise.reject(new Error("writes refused"));
    if (this.trouble === "hangs") return this.hung++, new Promise(() => {});
    this.failing = this.trouble === "down";
    return super.write(batch);
  }
}

for (const trouble of ["refuses", "hangs", "down"] as const) {
  Deno.test(
    `The candle topology stopped while the store ${
      { refuses: "refuses every write", hangs: "never answers a write", down: "is down" }[trouble]
    } ends within its grace, commits nothing it did not write, and a restart on a working store ends with the full table`,
    async () => {
      const log = new MemoryLog();
      log.ensureTopic({ topic: "crypto-prices", partitions: 3, replicationFactor: 1 });
      log.ensureTopic({ topic: "crypto-candles", partitions: 3, replicationFactor: 1 });
      const records = priceRecords(400);
      const reference = new MemoryStore();
      {
        const once = new MemoryLog();
        once.ensureTopic({ topic: "crypto-prices", partitions: 3, replicationFactor: 1 });
        once.ensureTopic({ topic: "crypto-candles", partitions: 3, replicationFactor: 1 });
        for (const record of records) once.append("crypto-prices", [record]);
        await runTopology(once, reference);
      }

      const store = new TroubledStore();
      const start = (group: string) => {
        const candles = candleChildren({
          config,
          sources: [{ topic: "crypto-prices", transport: log.consumer(group) }],
          fromBeginning: true,
          store,
          candleTopic: { transport: log.producer(), topic: "crypto-candles", partitions: 3 },
          deadLetterTopic: { transport: log.producer(), topic: "crypto-dlq", partitions: 3 },
          print: null,
          format: "line",
          clock: systemClock,
          commitIntervalMs: 20,
          storeGraceMs: 300,
        });
        const supervisor = new Supervisor(candles.children);
        return { candles, supervisor, running: supervisor.run() };
      };
      const committed = () =>
        log.lag("g", "crypto-prices").map((p) => p.committed === null ? -1 : Number(p.committed));
      const until = (condition: () => boolean) => waitFor(condition, { message: "the topology" });

      // The first half is written and committed; then the store turns bad and the rest comes.
      const half = 200;
      for (const record of records.slice(0, half)) log.append("crypto-prices", [record]);
      const first = start("g");
      await until(() => log.lag("g", "crypto-prices").every((p) => p.lag === 0));
      const before = committed();
      store.trouble = trouble;
      for (const record of records.slice(half)) log.append("crypto-prices", [record]);
      await until(() => first.candles.report.storeErrors > 0 || store.hung > 0);
      // A store that never answers would hold the stop for ever, but for the grace.
      const stopped = first.supervisor.stop().then(() => first.running).then(() => true);
      await waitFor(() => Promise.race([stopped, Promise.resolve(false)]), {
        message: "the stop (bounded by the store's grace)",
      });
      assert.deepEqual(committed(), before, "nothing unwritten is committed");

      store.trouble = "none";
      store.failing = false;
      const second = start("g");
      await until(() => log.lag("g", "crypto-prices").every((p) => p.lag === 0));
      await second.supervisor.stop();
      await second.running;
      assert.deepEqual(store.table(), reference.table());
    },
  );
}

/** Trades of BTC-USD and BTC-EUR, each product's ids in order, with Coinbase's maker side. */
function tradeRecords(count: number): { records: OutRecord[]; trades: TradeMessage[] } {
  const records: OutRecord[] = [];
  const trades: TradeMessage[] = [];
  for (let i = 0; i < count; i++) {
    const product = i % 2 === 0 ? "BTC-USD" : "BTC-EUR";
    const ms = T0 * 1000 + i * 1_500;
    const trade: TradeMessage = {
      symbol: "BTC",
      product_id: product,
      trade_id: 1_000 + i,
      price: (product === "BTC-USD" ? 45_000 : 41_000) + ((i * 37) % 101),
      size: Math.round(((i * 13) % 97 + 1) * 1e6) / 1e8,
      side: (i * 7) % 3 === 0 ? "buy" : "sell",
      time: new Date(ms).toISOString(),
      sequence: i,
      received_at: new Date(ms + 10).toISOString(),
      source: "coinbase",
    };
    trades.push(trade);
    const encoded = encodeTrade(trade);
    records.push({ ...encoded, partition: partitionFor(encoded.key, 3) });
  }
  return { records, trades };
}

Deno.test("The candle topology keeps CoinGecko's BTC prices, BTC-USD trades and BTC-EUR trades in candles of their own, with the order flow by the taker's side", async () => {
  const log = new MemoryLog();
  for (const topic of ["crypto-prices", "crypto-trades", "crypto-candles", "crypto-dlq"]) {
    log.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
  }
  const prices = priceRecords(240).filter((r) => r.key === "BTC");
  const { records: tradeRecs, trades } = tradeRecords(400);
  log.append("crypto-prices", prices);
  log.append("crypto-trades", tradeRecs);
  const store = new MemoryStore();
  const lines: string[] = [];
  const candles = candleChildren({
    config,
    sources: [
      { topic: "crypto-prices", transport: log.consumer("crypto-candles") },
      { topic: "crypto-trades", transport: log.consumer("crypto-candles") },
    ],
    fromBeginning: true,
    store,
    candleTopic: { transport: log.producer(), topic: "crypto-candles", partitions: 3 },
    deadLetterTopic: { transport: log.producer(), topic: "crypto-dlq", partitions: 3 },
    print: (line) => lines.push(line),
    format: "line",
    clock: systemClock,
    commitIntervalMs: 50,
  });
  const supervisor = new Supervisor(candles.children);
  const running = supervisor.run();
  const total = prices.length + tradeRecs.length;
  await waitFor(() => candles.report.read >= total, {
    message: `all ${total} records to be read`,
    timeoutMs: 30_000,
  });
  await supervisor.stop();
  await running;

  // The reference takes the taker from Coinbase's maker side on its own: "sell" was a buyer.
  const observations = [
    ...prices.map((r) => priceFromJson(r.value as string)),
    ...trades.map(tradeFromMessage),
  ];
  const expected = referenceCandles(observations, config.intervals);
  const table = store.table();
  assert.equal(table.length, expected.size);
  for (const { closed: _closed, revision: _revision, ...fields } of table) {
    assert.deepEqual(fields, expected.get(referenceKey(fields)));
  }
  assert.deepEqual(
    [...new Set(table.map((c) => `${c.source}:${c.product}`))].sort(),
    ["coinbase:BTC-EUR", "coinbase:BTC-USD", "coingecko:BTC-USD"],
  );
  for (const c of table.filter((c) => c.source === "coinbase")) {
    assert.equal(c.buyVolume! + c.sellVolume!, c.volume);
    assert.equal(c.trades, c.samples);
  }
  assert.deepEqual(
    [...store.prices.keys()].sort(),
    ["coinbase:BTC-EUR", "coinbase:BTC-USD", "coingecko:BTC-USD"],
  );
  assert.equal(store.prices.get("coinbase:BTC-EUR")!.priceUsd, trades.at(-1)!.price);
  // The console shows each market's prices in its quote currency, and the trades' order flow.
  assert.ok(
    lines.some((l) =>
      /^Candle coinbase BTC-EUR 1m \S+ O €41,\d{3}\.00 H €\S+ L €\S+ C €\S+ \(\d+ trades, buy [\d.]+ sell [\d.]+\)$/
        .test(l)
    ),
    lines.join("\n"),
  );
  assert.ok(!lines.some((l) => /BTC-EUR.*\$/.test(l)), "no dollar sign for a euro price");
  assert.ok(lines.some((l) => /^Candle coingecko BTC-USD 1m .* \(\d+ samples?\)$/.test(l)));
});
