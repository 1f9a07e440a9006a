/**
 * The candle topology over the embedded log with refused records: what fails its checks when
 * read, what the store refuses for good, and a market the store will not let be taken over all
 * go to the dead-letter topic once each, with the reason; every other record makes its candles;
 * and no offset is committed past a refused record before the log has its dead letter.
 */
import assert from "node:assert/strict";
import { type CandleChildren, candleChildren } from "../../actors/candle_topology.ts";
import type { CandleConfig } from "../../config/types.ts";
import { MemoryLog } from "../../kafka/memory_log.ts";
import { partitionFor } from "../../kafka/partitioner.ts";
import {
  DeliveryError,
  type OutRecord,
  type ProducerTransport,
  type TopicInfo,
  type TopicSpec,
} from "../../kafka/transport.ts";
import { type DeadLetter, decodeDeadLetter } from "../../market/messages/dead_letter_message.ts";
import { encodePrice, PRICE_HEADERS } from "../../market/messages/price_message.ts";
import { systemClock } from "../../runtime/delay.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import { priceFromJson, referenceCandles, referenceKey } from "../support/candle_reference.ts";
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

/** Good prices of three symbols, a few seconds apart. */
function goodRecords(count: number, symbols = ["BTC", "ETH", "SOL"]): OutRecord[] {
  const records: OutRecord[] = [];
  for (let i = 0; i < count; i++) {
    const symbol = symbols[i % symbols.length]!;
    const lastUpdated = T0 + Math.floor(i / symbols.length) * 7;
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
    records.push({ ...encoded, partition: partitionFor(symbol, 3) });
  }
  return records;
}

/** A hostile price: a good one of BTC with some fields changed. */
function hostile(changes: Record<string, unknown>, i: number): OutRecord {
  const value = {
    symbol: "BTC",
    coin_id: "bitcoin",
    price_usd: 100,
    volume_24h: null,
    market_cap: null,
    price_change_24h: null,
    last_updated: T0 + i,
    timestamp: new Date((T0 + i) * 1000).toISOString(),
    producer_id: "deno-producer-v1",
    message_id: `BAD-${i}`,
    ...changes,
  };
  const key = typeof changes.symbol === "string" ? changes.symbol : "BTC";
  return {
    key,
    value: JSON.stringify(value),
    headers: { ...PRICE_HEADERS },
    partition: partitionFor(key, 3),
  };
}

/** A producer that passes to the embedded log, failing as long as `away` is true. */
class Switchable implements ProducerTransport {
  away = false;
  attempts = 0;
  constructor(readonly inner: ProducerTransport) {}
  connect() {
    return Promise.resolve();
  }
  ensureTopic(spec: TopicSpec): Promise<TopicInfo> {
    return this.inner.ensureTopic(spec);
  }
  send(topic: string, records: readonly OutRecord[]) {
    this.attempts++;
    if (this.away) return Promise.reject(new DeliveryError("broker away", { retriable: true }));
    return this.inner.send(topic, records);
  }
  disconnect() {
    return Promise.resolve();
  }
}

function newLog(records: readonly OutRecord[]): MemoryLog {
  const log = new MemoryLog();
  for (const topic of ["crypto-prices", "crypto-candles", "crypto-dlq"]) {
    log.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
  }
  for (const record of records) log.append("crypto-prices", [record]);
  return log;
}

/** Runs the topology until `until` holds, then stops it. */
async function run(
  log: MemoryLog,
  store: MemoryStore,
  options: {
    dlq?: ProducerTransport;
    until?: () => boolean;
    whileRunning?: (candles: CandleChildren) => Promise<void>;
  },
) {
  const candles = candleChildren({
    config,
    sources: [{ topic: "crypto-prices", transport: log.consumer("crypto-candles") }],
    fromBeginning: true,
    store,
    candleTopic: { transport: log.producer(), topic: "crypto-candles", partitions: 3 },
    deadLetterTopic: {
      transport: options.dlq ?? log.producer(),
      topic: "crypto-dlq",
      partitions: 3,
    },
    print: null,
    format: "line",
    clock: systemClock,
    commitIntervalMs: 20,
  });
  const supervisor = new Supervisor(candles.children);
  const running = supervisor.run();
  const committed = () => log.lag("crypto-candles", "crypto-prices").every((p) => p.lag === 0);
  await options.whileRunning?.(candles);
  await waitFor(options.until ?? committed, {
    message: options.until ? "the test's end condition" : "every record to be committed",
    timeoutMs: 30_000,
  });
  await supervisor.stop();
  await running;
  return candles;
}

/** Every dead letter on the embedded log's dead-letter topic. */
async function deadLetters(log: MemoryLog): Promise<DeadLetter[]> {
  const end = log.lag("check", "crypto-dlq").reduce((n, p) => n + Number(p.end), 0);
  const letters: DeadLetter[] = [];
  if (end === 0) return letters;
  const consumer = log.consumer("check");
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.consume({
    topic: "crypto-dlq",
    fromBeginning: true,
    handle: (record) => {
      const letter = decodeDeadLetter(record.key, record.value, record.headers);
      assert.ok(letter.ok, "every record of the dead-letter topic is a dead letter");
      letters.push(letter.message);
      if (letters.length === end) done();
      return Promise.resolve();
    },
  });
  await finished;
  await consumer.stop();
  return letters;
}

function assertCandles(store: MemoryStore, good: readonly OutRecord[]) {
  const observations = good.map((r) => priceFromJson(r.value as string));
  const expected = referenceCandles(observations, config.intervals);
  const table = store.table();
  assert.equal(table.length, expected.size);
  for (const { closed: _closed, revision: _revision, ...fields } of table) {
    assert.deepEqual(fields, expected.get(referenceKey(fields)));
  }
}

Deno.test("records refused when read are dead-lettered once each with their reason, and change nothing", async () => {
  const good = goodRecords(300);
  const bad = [
    hostile({ last_updated: 1.7e12 }, 1),
    hostile({ last_updated: 4_102_444_800 }, 2),
    hostile({ symbol: "<img src=x>" }, 3),
    hostile({ symbol: "BT\nC" }, 4),
    hostile({ symbol: "X".repeat(2_000) }, 5),
    hostile({ price_usd: 1e200 }, 6),
    hostile({ price_usd: 0 }, 7),
  ];
  const mixed = good.flatMap((record, i) =>
    i % 40 === 7 && bad.length > 0 ? [bad.shift()!, record] : [record]
  );
  assert.equal(bad.length, 0);
  const log = newLog(mixed);
  const store = new MemoryStore();
  const candles = await run(log, store, {});

  assertCandles(store, good);
  // The latest price is the last good one: the 2100 price moved nothing.
  const latest = JSON.parse(good.findLast((r) => r.key === "BTC")!.value as string);
  assert.equal(store.prices.get("coingecko:BTC-USD")!.eventTime, latest.last_updated * 1000);
  const letters = await deadLetters(log);
  assert.deepEqual(
    letters.map((l) => l.reason.split(" ")[0]).sort(),
    ["last_updated", "last_updated", "price_usd", "price_usd", "symbol", "symbol", "symbol"],
  );
  // Each where it was read, once.
  assert.equal(new Set(letters.map((l) => `${l.partition}/${l.offset}`)).size, 7);
  for (const letter of letters) {
    assert.equal(letter.topic, "crypto-prices");
    assert.deepEqual(letter.headers, { ...PRICE_HEADERS });
    assert.ok(mixed.some((r) => r.value === letter.value && r.key === letter.key));
  }
  assert.equal(candles.report.bad, 7);
  assert.equal(candles.deadLetterReport.refusedAtDoor, 7);
});

Deno.test("no offset past a refused record is committed before the log has its dead letter", async () => {
  const good = goodRecords(60, ["BTC"]);
  const records = [...good.slice(0, 30), hostile({ price_usd: -1 }, 1), ...good.slice(30)];
  const log = newLog(records);
  const dlq = new Switchable(log.producer());
  dlq.away = true;
  const store = new MemoryStore();
  const badOffset = 30; // BTC's records are all on one partition, in order
  const partition = partitionFor("BTC", 3);
  const committed = () =>
    Number(log.lag("crypto-candles", "crypto-prices")[partition]!.committed ?? "-1");
  await run(log, store, {
    dlq,
    whileRunning: async () => {
      // The dead-letter topic is away while the bad record's letter is tried three times: the
      // commits stay at or before the bad record all along.
      await waitFor(() => {
        assert.ok(committed() <= badOffset, `committed ${committed()} past ${badOffset}`);
        return dlq.attempts >= 3;
      }, { message: "three tries of the dead-letter topic", timeoutMs: 30_000 });
      assert.ok(committed() <= badOffset, `committed ${committed()} past ${badOffset}`);
      dlq.away = false;
    },
  });
  assert.equal(committed(), records.length);
  assert.equal((await deadLetters(log)).length, 1);
  assertCandles(store, good);
});

Deno.test("a market the store refuses for good is dead-lettered with the store's reason; the others are written and keep flowing", async () => {
  const good = goodRecords(600);
  const log = newLog(good.slice(0, 300));
  const store = new MemoryStore();
  store.refuses.set(
    "coingecko:ETH-USD",
    'new row for relation "candles" violates check constraint "no_eth"',
  );
  let second = false;
  const candles = await run(log, store, {
    whileRunning: async () => {
      // Once the first half is in, the second half comes: the other markets keep flowing.
      await waitFor(() => log.lag("crypto-candles", "crypto-prices").every((p) => p.lag === 0), {
        message: "the first half to be committed",
        timeoutMs: 30_000,
      });
      for (const record of good.slice(300)) log.append("crypto-prices", [record]);
      second = true;
    },
  });
  assert.ok(second);
  const kept = good.filter((r) => r.key !== "ETH");
  assertCandles(store, kept);
  assert.deepEqual([...store.prices.keys()].sort(), ["coingecko:BTC-USD", "coingecko:SOL-USD"]);
  const letters = await deadLetters(log);
  const eth = good.filter((r) => r.key === "ETH");
  // Every ETH record once, with the store's reason.
  assert.deepEqual(letters.map((l) => l.value).sort(), eth.map((r) => r.value as string).sort());
  assert.ok(letters.every((l) => /no_eth/.test(l.reason)));
  assert.ok(candles.report.writesRefused > 0);
  assert.equal(candles.deadLetterReport.refusedByStore, eth.length);
  assert.equal(candles.report.storeHealth.failingSince, null, "a refusal is not a failing store");
});

Deno.test("a market the store will not let be taken over has its records dead-lettered, each with the reason", async () => {
  const good = goodRecords(90);
  const log = newLog(good);
  const store = new MemoryStore();
  store.refusesClaim.set(
    "coingecko:SOL-USD",
    'new row for relation "candle_state" violates check constraint',
  );
  const candles = await run(log, store, {});
  assertCandles(store, good.filter((r) => r.key !== "SOL"));
  const letters = await deadLetters(log);
  assert.equal(letters.length, 30);
  assert.ok(
    letters.every((l) => /^the store refused to take coingecko:SOL-USD over: /.test(l.reason)),
  );
  assert.equal(candles.report.claimsRefused, 30);
});

Deno.test("a store that is away is retried, never dead-lettered, and its writes are reported failing until one passes", async () => {
  const good = goodRecords(120);
  const log = newLog(good);
  const store = new MemoryStore();
  store.failing = true;
  let failingSince: number | null = null;
  const candles = await run(log, store, {
    whileRunning: async ({ report }) => {
      // The store refuses a write and its retry: the writes are reported failing since the first.
      await waitFor(() => report.storeErrors >= 2, {
        message: "a write and its retry to fail",
        timeoutMs: 30_000,
      });
      failingSince = report.storeHealth.failingSince;
      assert.ok(failingSince !== null);
      assert.equal(
        report.storeHealth.problem(failingSince + 1_000, 100),
        "candle store writes have failed for 1 s: connection refused",
      );
      store.failing = false;
    },
  });
  assert.ok(failingSince !== null);
  assert.equal(candles.report.storeHealth.failingSince, null);
  assert.ok(candles.report.storeErrors > 0);
  assert.equal((await deadLetters(log)).length, 0);
  assertCandles(store, good);
});
