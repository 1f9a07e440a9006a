/**
 * `deno task candles` against the real broker, PostgreSQL and SQLite, on topics written by kcat
 * (a client independent of the program) with good prices and trades and, among them, each hostile
 * record of the issue: the candles are those of the good records alone (an independent
 * computation), the latest price the last good one, and each hostile record is on the
 * dead-letter topic once, with a reason naming the field, which `consume --topic … --format json`
 * shows.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Interval } from "../../market/candle.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { openStore } from "../../store/open_store.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { committedAll } from "../../faults/topic.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { priceMarket } from "../../market/market.ts";
import { referenceCandles, referenceKey } from "../support/candle_reference.ts";
import { storedCandles } from "../support/candle_table.ts";
import {
  goodObservations,
  goodPrices,
  goodTrades,
  interleave,
  issueHostiles,
  priceRecord,
  type TopicRecord,
  tradeRecord,
  type TradeValue,
  writeWithKcat,
} from "../support/hostile_records.ts";
import { recordedPrice } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";
import { refuseSymbol } from "../support/store_refusal.ts";

const INTERVALS: Interval[] = ["1m", "5m"];
/** Two hours ago, on the minute, in seconds. */
const START = Math.floor(Date.now() / 60_000) * 60 - 2 * 3_600;

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Topics of three partitions for the prices, the trades and the program's outputs. */
async function createTopics(...topics: string[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Writes the prices and trades with kcat, each topic with its schema header. */
async function writeTopics(records: readonly TopicRecord[], prices: string, trades: string) {
  await writeWithKcat(TEST_BROKERS, prices, records.filter((r) => r.topic === "prices"), {
    "content-type": "application/json",
    schema: "crypto-price/v1",
  });
  await writeWithKcat(TEST_BROKERS, trades, records.filter((r) => r.topic === "trades"), {
    "content-type": "application/json",
    schema: "crypto-trade/v1",
  });
}

/** Runs candles over the two topics until both groups have committed everything, then SIGTERM. */
async function aggregate(
  topics: { prices: string; trades: string; dlq: string },
  store: string,
  whileRunning?: (group: string) => Promise<void>,
) {
  const group = freshTopic("g-hostile");
  const run = spawnCommand("candles", {
    args: [
      "--topic",
      `${topics.prices},${topics.trades}`,
      "--group",
      group,
      "--store",
      store,
      "--intervals",
      INTERVALS.join(","),
      "--from-beginning",
      "--idle-timeout",
      "3600",
    ],
    env: {
      KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
      CANDLE_TOPIC: `${topics.prices}-candles`,
      ALERT_TOPIC: `${topics.prices}-alerts`,
      DLQ_TOPIC: topics.dlq,
    },
  });
  try {
    await whileRunning?.(group);
    await until(
      async () =>
        await committedAll(TEST_BROKERS, group, topics.prices) &&
        await committedAll(TEST_BROKERS, `${group}.${topics.trades}`, topics.trades),
      "candles to commit both topics",
    ).catch((error) => {
      throw new Error(`${error.message}\n${run.stdout()}\n${run.stderr()}`);
    });
  } finally {
    // The stop writes the open candles before it ends.
    run.kill("SIGTERM");
  }
  const ended = await run.exits("to stop after SIGTERM");
  assert.equal(ended.code, 0, ended.stdout + ended.stderr);
  return ended;
}

/** The good records of the hostile test: prices, a 1e-200 open, and trades. */
function goodRecords(): { records: TopicRecord[]; price: PriceMessage; trade: TradeValue } {
  const prices = goodPrices({ seed: 19, symbols: ["BTC", "ETH"], start: START, count: 900 });
  // A candle-worthy open of 1e-200: DOGE's first price of a minute, then ordinary ones.
  const doge = [
    recordedPrice("DOGE", START + 600, 1e-200),
    recordedPrice("DOGE", START + 630, 0.08),
    recordedPrice("DOGE", START + 700, 0.081),
    recordedPrice("DOGE", START + 1_300, 0.079),
  ];
  const trades = goodTrades({
    seed: 19,
    products: ["SOL-USD", "ADA-USD"],
    start: START * 1000,
    perProduct: 250,
    stepMs: 9_000,
  });
  const records = [
    ...prices.slice(0, 400).map(priceRecord),
    ...doge.map(priceRecord),
    ...prices.slice(400).map(priceRecord),
    ...trades.map(tradeRecord),
  ];
  return { records, price: prices[450]!, trade: trades[200]! };
}

async function hostileRun(store: string): Promise<void> {
  const topics = {
    prices: freshTopic("it-hostile-prices"),
    trades: freshTopic("it-hostile-trades"),
    dlq: freshTopic("it-hostile-dlq"),
  };
  await createTopics(topics.prices, topics.trades);
  const { records: good, price, trade } = goodRecords();
  const hostiles = issueHostiles(price, trade);
  const records = interleave(good, hostiles, 7);
  await writeTopics(records, topics.prices, topics.trades);
  const ended = await aggregate(topics, store);

  // The candles are those of the good records alone.
  const expected = referenceCandles(goodObservations(records), INTERVALS);
  const rows = await storedCandles(store, ["BTC", "ETH", "DOGE", "SOL", "ADA"], INTERVALS);
  assert.equal(rows.length, expected.size);
  for (const { closed: _closed, revision: _revision, ...fields } of rows) {
    assert.deepEqual(fields, expected.get(referenceKey(fields)));
  }
  const opened = rows.find((c) => c.symbol === "DOGE" && c.interval === "1m" && c.open === 1e-200);
  assert.ok(opened, "the 1e-200 open makes its candle");

  const db = await openStore(store, { timeoutMs: 10_000 });
  try {
    // Nothing else is known: no <img …> symbol, no 2,000 characters.
    const markets = await db.markets();
    assert.deepEqual([...new Set(markets.map((m) => m.symbol))].sort(), [
      "ADA",
      "BTC",
      "DOGE",
      "ETH",
      "SOL",
    ]);
    assert.ok(markets.every((m) => m.product.startsWith(`${m.symbol}-`)));
    // The latest price is the last good one (the 2100 price moved nothing).
    const lastGood = good.filter((r) => r.topic === "prices" && r.key === "BTC")
      .map((r) => JSON.parse(r.value) as PriceMessage)
      .reduce((a, b) => (b.last_updated! >= a.last_updated! ? b : a));
    const [btc] = await db.latest(priceMarket("BTC"));
    assert.equal(btc!.eventTime, lastGood.last_updated! * 1000);
    assert.equal(btc!.priceUsd, lastGood.price_usd);
    // Every alert holds finite numbers, the 1e-200 open's move alert too.
    const alerts = await db.alerts({ limit: 1_000 });
    assert.ok(alerts.some((a) => a.symbol === "DOGE" && a.changePct > 1e200));
    for (const alert of alerts) {
      assert.ok(Number.isFinite(alert.changePct) && Number.isFinite(alert.price));
      assert.ok(alert.zscore === null || Number.isFinite(alert.zscore));
    }
  } finally {
    await db.close();
  }

  // Each hostile record is on the dead-letter topic once, where it was read, with its reason.
  const onTopics = [
    ...(await readTopic(topics.prices, records.filter((r) => r.topic === "prices").length))
      .map((r) => ({ ...r, topic: topics.prices })),
    ...(await readTopic(topics.trades, records.filter((r) => r.topic === "trades").length))
      .map((r) => ({ ...r, topic: topics.trades })),
  ];
  assert.equal(await topicSize(topics.dlq), hostiles.length, "once each, nothing else");
  const letters = await readTopic(topics.dlq, hostiles.length);
  for (const hostile of hostiles) {
    const written = onTopics.find((r) => r.value === hostile.value)!;
    const mine = letters.filter((l) =>
      l.headers["dlq.topic"] === written.topic &&
      l.headers["dlq.partition"] === String(written.partition) &&
      l.headers["dlq.offset"] === String(written.offset)
    );
    assert.equal(mine.length, 1, `${hostile.hostile!.kind}: ${mine.length} dead letters`);
    const [letter] = mine;
    assert.equal(letter!.value, hostile.value);
    assert.equal(letter!.key, hostile.key);
    const reason = letter!.headers["dlq.reason"]!;
    assert.ok(
      reason.startsWith(hostile.hostile!.field),
      `${hostile.hostile!.kind}: ${reason} does not name ${hostile.hostile!.field}`,
    );
    assert.doesNotMatch(reason, /\n/);
    assert.ok(!Number.isNaN(Date.parse(letter!.headers["dlq.at"]!)));
  }
  assert.match(
    ended.stdout,
    new RegExp(`Dead-lettered to ${topics.dlq}: 8 \\(refused when read: 8, by the store: 0\\)`),
  );

  // consume shows them with their reasons.
  const consumed = await runCommand("consume", {
    args: [
      "--topic",
      topics.dlq,
      "--format",
      "json",
      "--from-beginning",
      "--max-messages",
      String(hostiles.length),
      "--group",
      freshTopic("g-dlq-reader"),
    ],
    env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, DLQ_TOPIC: topics.dlq },
  });
  assert.equal(consumed.code, 0, consumed.stderr);
  const shown = consumed.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(shown.length, hostiles.length);
  for (const hostile of hostiles) {
    const line = shown.find((s) => s.value === hostile.value);
    assert.ok(line, `consume shows ${hostile.hostile!.kind}`);
    assert.ok(line.dead_letter.reason.startsWith(hostile.hostile!.field));
    assert.ok([topics.prices, topics.trades].includes(line.dead_letter.topic));
  }
}

kafkaTest(
  "PostgreSQL: each hostile record of the issue among good prices and trades is dead-lettered once with its reason; the candles are the good records' alone, the latest price the last good one",
  async () => {
    const db = await createTestDatabase();
    try {
      await hostileRun(db.url);
    } finally {
      await db.drop();
    }
  },
);

kafkaTest(
  "SQLite: each hostile record of the issue among good prices and trades is dead-lettered once with its reason; the candles are the good records' alone, the latest price the last good one",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "crypto-hostile-" });
    try {
      await hostileRun(`sqlite:${dir}/market.db`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** Runs candles over prices of BTC, ETH and SOL into a store that refuses ETH's candles. */
async function refusingRun(store: string): Promise<void> {
  const topics = {
    prices: freshTopic("it-refusing-prices"),
    trades: freshTopic("it-refusing-trades"),
    dlq: freshTopic("it-refusing-dlq"),
  };
  await createTopics(topics.prices, topics.trades);
  const prices = goodPrices({
    seed: 23,
    symbols: ["BTC", "ETH", "SOL"],
    start: START,
    count: 1_200,
  });
  const first = prices.slice(0, 600).map(priceRecord);
  const second = prices.slice(600).map(priceRecord);
  await writeTopics(first, topics.prices, topics.trades);
  // Once the first half is in, the second: the other markets keep flowing past the refusals.
  await aggregate(topics, store, async (group) => {
    await until(() => committedAll(TEST_BROKERS, group, topics.prices), "the first half");
    await writeTopics(second, topics.prices, topics.trades);
  });
  const records = [...first, ...second];
  const kept = records.filter((r) => r.key !== "ETH");
  const expected = referenceCandles(goodObservations(kept), INTERVALS);
  const rows = await storedCandles(store, ["BTC", "ETH", "SOL"], INTERVALS);
  assert.equal(rows.length, expected.size);
  assert.ok(rows.every((c) => c.symbol !== "ETH"));
  for (const { closed: _closed, revision: _revision, ...fields } of rows) {
    assert.deepEqual(fields, expected.get(referenceKey(fields)));
  }
  // Every ETH record is on the dead-letter topic with the store's reason (its distinct ones at
  // least once: a repeat changes nothing and is not dead-lettered).
  const eth = new Set(records.filter((r) => r.key === "ETH").map((r) => r.value));
  const count = distinctEth(records);
  assert.equal(await topicSize(topics.dlq), count);
  const letters = await readTopic(topics.dlq, count);
  for (const letter of letters) {
    assert.ok(eth.has(letter.value!), "only ETH's records are dead-lettered");
    assert.match(letter.headers["dlq.reason"]!, /refuse_eth_candles/);
    assert.equal(letter.headers["dlq.topic"], topics.prices);
  }
}

/** How many records a topic holds (from offset 0). */
async function topicSize(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.offset), 0);
  } finally {
    await admin.disconnect();
  }
}

/** How many ETH records change something (the repeats of a price change nothing). */
function distinctEth(records: readonly TopicRecord[]): number {
  const seen = new Set<string>();
  for (const r of records) {
    if (r.key !== "ETH") continue;
    seen.add(JSON.parse(r.value).last_updated);
  }
  return seen.size;
}

kafkaTest(
  "PostgreSQL refusing one market's writes for good (a CHECK constraint): the other markets' candles are written and keep flowing, the refused records are dead-lettered with the store's reason",
  async () => {
    const db = await createTestDatabase();
    try {
      await (await openStore(db.url, { timeoutMs: 10_000 })).close();
      await refuseSymbol(db.url, "candles", "ETH");
      await refusingRun(db.url);
    } finally {
      await db.drop();
    }
  },
);

kafkaTest(
  "SQLite refusing one market's writes for good (a CHECK constraint): the other markets' candles are written and keep flowing, the refused records are dead-lettered with the store's reason",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "crypto-refusing-" });
    try {
      const path = `${dir}/market.db`;
      await SqliteCandleStore.open(path).close();
      await refuseSymbol(`sqlite:${path}`, "candles", "ETH");
      await refusingRun(`sqlite:${path}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
