/**
 * A series per market (docs/candles.md#markets), at the level a user runs it: CoinGecko prices of
 * BTC and ETH and Coinbase trades of BTC-USD, BTC-EUR and ETH-USD read by one `candles` process
 * give five markets, each market's candles those of its own records alone (an independent
 * computation from the records' JSON); the same through `start --source coinbase` with two
 * products of one base currency on the embedded log.
 *
 * @module
 */
import assert from "node:assert/strict";
import { committedAll } from "../../faults/topic.ts";
import type { Interval } from "../../market/candle.ts";
import { openStore } from "../../store/open_store.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS } from "../support/broker.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import {
  candleDifferences,
  marketCandles,
  priceFromJson,
  tradeFromJson,
  tradeFromMatch,
} from "../support/market_reference.ts";
import { market, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";
import { tradeScript, until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m", "5m"];

/** Every candle of every market a store knows, as plain records. */
async function storedCandles(url: string): Promise<Record<string, unknown>[]> {
  const store = await openStore(url, { timeoutMs: 5_000 });
  try {
    const rows: Record<string, unknown>[] = [];
    for (const { source, product } of await store.markets()) {
      for (const interval of INTERVALS) {
        const candles = await store.candles({ source, product, interval, limit: 5_000 });
        rows.push(...candles.map((c) => ({ ...c })));
      }
    }
    return rows;
  } finally {
    await store.close();
  }
}

/** The markets a store knows, as `source/product`. */
async function storedMarkets(url: string): Promise<string[]> {
  const store = await openStore(url, { timeoutMs: 5_000 });
  try {
    return (await store.markets()).map((m) => `${m.source}/${m.product}`).sort();
  } finally {
    await store.close();
  }
}

kafkaTest(
  "candles over CoinGecko prices of BTC and ETH and Coinbase trades of BTC-USD, BTC-EUR and ETH-USD keeps five markets apart, each market's 1m and 5m candles (OHLC, samples, trades, volume, buy and sell volume, VWAP) those of its own records alone",
  async () => {
    const stub = await CoinbaseStub.start({ heartbeatMs: 200 });
    const db = await createTestDatabase();
    const prices = freshTopic("it-markets-prices");
    const trades = freshTopic("it-markets-trades");
    const products = ["BTC-USD", "BTC-EUR", "ETH-USD"];
    // Prices and trades over the same minutes, so that a candle mixing them would show.
    const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    try {
      const recording = market({
        seed: 21,
        symbols: ["BTC", "ETH"],
        start: start / 1000,
        minutes: 12,
        disorderS: 5,
      });
      const file = await writeRecording(recording);
      const replay = await runCommand("produce", {
        args: ["--source", `replay:${file}`, "--iterations", "1", "--topic", prices],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS },
      }).finally(() => Deno.remove(file));
      assert.equal(replay.code, 0, replay.stdout + replay.stderr);

      const producer = spawnCommand("produce", {
        args: ["--source", "coinbase", "--products", products.join(","), "--topic", trades],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, COINBASE_WS_URL: stub.url },
      });
      await producer.waitFor((out) => out.includes("Subscribed to BTC-USD, BTC-EUR, ETH-USD"));
      const script = tradeScript({
        seed: 21,
        products,
        start: start + 3_000,
        perProduct: 150,
        maxStepMs: 4_000,
      });
      for (const trade of script) stub.trade(trade);
      const tradeRecords = await readTopic(trades, script.length, 60_000);
      producer.kill("SIGTERM");
      const produced = await producer.done;
      assert.equal(produced.code, 0, produced.stdout + produced.stderr);
      const priceRecords = await readTopic(prices, recording.length, 60_000);

      const group = freshTopic("g-markets");
      const candles = spawnCommand("candles", {
        args: [
          "--topic",
          `${prices},${trades}`,
          "--group",
          group,
          "--store",
          db.url,
          "--intervals",
          INTERVALS.join(","),
          "--from-beginning",
          "--idle-timeout",
          "3600",
        ],
        env: {
          KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
          CANDLE_TOPIC: `${trades}-candles`,
          ALERT_TOPIC: `${trades}-alerts`,
        },
      });
      await until(
        `${group} to commit ${prices} and ${trades}`,
        async () =>
          await committedAll(TEST_BROKERS, group, prices) &&
          await committedAll(TEST_BROKERS, `${group}.${trades}`, trades),
        120_000,
      ).catch(async (error) => {
        candles.kill("SIGTERM");
        const { stdout, stderr } = await candles.done;
        throw new Error(`${error.message}\n${stdout.slice(-3_000)}\n${stderr.slice(-3_000)}`);
      });
      candles.kill("SIGTERM");
      const run = await candles.done;
      assert.equal(run.code, 0, run.stdout + run.stderr);
      // A EUR market's prices are in euros.
      assert.match(run.stdout, /^Candle coinbase BTC-EUR 1m \S+ O €[\d,.]+ H €[\d,.]+ /m);
      assert.doesNotMatch(run.stdout, /^Candle coinbase BTC-EUR .*\$/m);
      assert.match(run.stdout, /^Candle coingecko BTC-USD 1m \S+ O \$[\d,.]+ /m);

      assert.deepEqual(await storedMarkets(db.url), [
        "coinbase/BTC-EUR",
        "coinbase/BTC-USD",
        "coinbase/ETH-USD",
        "coingecko/BTC-USD",
        "coingecko/ETH-USD",
      ]);
      const observations = [
        ...priceRecords.map((r) => priceFromJson(r.value!)),
        ...tradeRecords.map((r) => tradeFromJson(r.value!)),
      ];
      const expected = marketCandles(observations, INTERVALS);
      const rows = await storedCandles(db.url);
      assert.deepEqual(candleDifferences(rows, expected), []);
      assert.equal(rows.length, expected.size);
      // Each market has candles of both intervals, and the trade markets have order flow.
      for (const product of products) {
        const mine = rows.filter((r) => r.source === "coinbase" && r.product === product);
        assert.ok(mine.filter((r) => r.interval === "1m").length >= 5, `${product}: 1m candles`);
        assert.ok(mine.some((r) => (r.buyVolume as number) > 0 && (r.sellVolume as number) > 0));
      }
    } finally {
      await stub.close();
      await db.drop();
    }
  },
);

Deno.test({
  name:
    "start --source coinbase --products BTC-USD,BTC-EUR on the embedded log and SQLite keeps the two markets of one base currency apart, each one's candles those of its own trades, order flow included",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stub = await CoinbaseStub.start({ heartbeatMs: 200 });
    const dir = await Deno.makeTempDir();
    const store = `sqlite:${dir}/market.db`;
    const products = ["BTC-USD", "BTC-EUR"];
    try {
      const run = spawnCommand("start", {
        args: [
          "--source",
          "coinbase",
          "--products",
          products.join(","),
          "--store",
          store,
          "--intervals",
          INTERVALS.join(","),
          "--idle-timeout",
          "3600",
          "--http",
          "127.0.0.1:0",
        ],
        env: { COINBASE_WS_URL: stub.url },
      });
      await run.waitFor((out) => out.includes("Subscribed to BTC-USD, BTC-EUR"));
      const port = /Dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stdout())![1];
      const script = tradeScript({
        seed: 8,
        products,
        start: Date.UTC(2025, 10, 12, 9, 58, 30),
        perProduct: 150,
        maxStepMs: 3_000,
      });
      for (const trade of script) stub.trade(trade);
      await until("the aggregator to read every trade", async () => {
        const answer = await fetch(`http://127.0.0.1:${port}/api/v1/pipeline`);
        const pipeline = await answer.json() as { stages: { name: string; messages: number }[] };
        return pipeline.stages.find((s) => s.name === "aggregator")?.messages === script.length;
      }, 120_000);
      run.kill("SIGINT");
      const { code, stdout, stderr } = await run.done;
      assert.equal(code, 0, stdout + stderr);
      assert.match(stdout, /^Candle coinbase BTC-EUR 1m 2025-11-12T09:59:00Z O €[\d,.]+ /m);
      assert.match(stdout, /^Candle coinbase BTC-USD 1m 2025-11-12T09:59:00Z O \$[\d,.]+ /m);

      assert.deepEqual(await storedMarkets(store), ["coinbase/BTC-EUR", "coinbase/BTC-USD"]);
      const expected = marketCandles([...stub.sent.values()].flat().map(tradeFromMatch), INTERVALS);
      const rows = await storedCandles(store);
      assert.deepEqual(candleDifferences(rows, expected), []);
      assert.equal(rows.length, expected.size);
    } finally {
      await stub.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
