/**
 * `produce --source coinbase` against the feed's stand-in and the real broker, then
 * `deno task candles` from its topic into the real PostgreSQL: every trade on `crypto-trades`
 * once, in trade id order, as the trade message; the 1m and 5m candles equal an independent
 * computation, volume and VWAP included.
 *
 * @module
 */
import assert from "node:assert/strict";
import { committedAll } from "../../faults/topic.ts";
import type { Interval } from "../../market/candle.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { referenceCandles, referenceKey } from "../support/candle_reference.ts";
import { spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";
import { candleTable } from "../support/candle_table.ts";
import { close, expectedTrade, sentObservations, tradeScript, until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m", "5m"];
/** Two products of one base currency among them: each a market of its own. */
const PRODUCTS = ["BTC-USD", "BTC-EUR", "ETH-USD"];
/**
 * Yesterday at 10:00:03 UTC, ms: trades of a day ago are well inside the broker's retention (7
 * days) whether a record is stamped with its write time or, wrongly, with its trade time.
 */
const START = (Math.floor(Date.now() / 86_400_000) - 1) * 86_400_000 + 10 * 3_600_000 + 3_000;

/** Records on a topic, all partitions. */
async function topicSize(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
  } finally {
    await admin.disconnect();
  }
}

kafkaTest(
  "produce --source coinbase puts every trade of the feed on crypto-trades once, in trade id order, as the trade message; candles from them equal an independent computation per market (BTC-USD and BTC-EUR apart), volume, order flow and VWAP included",
  async () => {
    const stub = await CoinbaseStub.start({ heartbeatMs: 200 });
    const topic = freshTopic("it-trades");
    const db = await createTestDatabase();
    const from = Date.now();
    try {
      const producer = spawnCommand("produce", {
        args: ["--source", "coinbase", "--products", PRODUCTS.join(","), "--topic", topic],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, COINBASE_WS_URL: stub.url },
      });
      await producer.waitFor((out) => out.includes("Subscribed to BTC-USD, BTC-EUR, ETH-USD"));
      // About 7 minutes of event time, sent in bursts of 25 with a pause between them.
      const script = tradeScript({
        seed: 11,
        products: PRODUCTS,
        start: START,
        perProduct: 200,
        maxStepMs: 4_000,
      });
      for (let i = 0; i < script.length; i++) {
        stub.trade(script[i]!);
        if (i % 25 === 24) await new Promise((r) => setTimeout(r, 5));
      }
      const records = await readTopic(topic, script.length, 60_000);
      producer.kill("SIGTERM");
      const run = await producer.done;
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, new RegExp(`^Trades published: ${script.length}$`, "m"));
      assert.match(run.stdout, new RegExp(`^Messages produced: ${script.length}$`, "m"));
      assert.match(run.stdout, /^Gaps in trade ids: 0 \(0 missing\)$/m);
      assert.match(run.stdout, /^BTC-USD: \d+ trades?, last \$[\d,.]+, volume [\d.]+ BTC$/m);

      // Once each, in trade id order per product (a product's trades share a key, so a partition).
      assert.equal(records.length, script.length);
      assert.equal(await topicSize(topic), script.length);
      for (const product of PRODUCTS) {
        const sent = stub.sent.get(product)!;
        const mine = records.filter((r) => JSON.parse(r.value!).product_id === product);
        assert.ok(mine.every((r) => r.key === product.split("-")[0]), `${product}: keyed by base`);
        assert.equal(new Set(mine.map((r) => r.partition)).size, 1, `${product}: one partition`);
        mine.sort((a, b) => a.offset - b.offset);
        const values = mine.map((r) => JSON.parse(r.value!));
        assert.deepEqual(
          values.map(({ received_at: _, ...rest }) => rest),
          sent.map(expectedTrade),
        );
        for (const [i, value] of values.entries()) {
          assert.deepEqual(Object.keys(value), [
            "symbol",
            "product_id",
            "trade_id",
            "price",
            "size",
            "side",
            "time",
            "sequence",
            "received_at",
            "source",
          ]);
          assert.match(value.received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          assert.deepEqual(mine[i]!.headers, {
            "content-type": "application/json",
            "schema": "crypto-trade/v1",
          });
          // Traded yesterday, written now: stamped with the time of writing.
          assert.ok(mine[i]!.timestamp >= from && mine[i]!.timestamp <= Date.now());
        }
      }

      // The candles, into PostgreSQL.
      const group = freshTopic("g-trades");
      const candles = spawnCommand("candles", {
        args: [
          "--topic",
          topic,
          "--group",
          group,
          "--store",
          db.url,
          "--intervals",
          INTERVALS.join(","),
          "--from-beginning",
          "--idle-timeout",
          "3600",
          "--format",
          "pretty",
        ],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, CANDLE_TOPIC: `${topic}-candles` },
      });
      await until(
        `${group} to commit ${topic}`,
        () => committedAll(TEST_BROKERS, group, topic),
        120_000,
      );
      candles.kill("SIGTERM");
      const aggregated = await candles.done;
      assert.equal(aggregated.code, 0, aggregated.stdout + aggregated.stderr);
      assert.match(
        aggregated.stdout,
        new RegExp(`Observations counted: ${script.length}, repeats: 0, late and dropped: 0`),
      );

      const expected = referenceCandles(sentObservations(stub), INTERVALS);
      const rows = await candleTable(db.url, INTERVALS);
      assert.equal(rows.length, expected.size);
      assert.ok(rows.filter((c) => c.interval === "1m").length >= 3 * 6, `${rows.length} rows`);
      assert.deepEqual(
        [...new Set(rows.map((c) => `${c.source}:${c.product}:${c.quote}`))].sort(),
        ["coinbase:BTC-EUR:EUR", "coinbase:BTC-USD:USD", "coinbase:ETH-USD:USD"],
      );
      // The euro market's candles print in euros, with their order flow.
      assert.match(
        aggregated.stdout,
        /^Candle coinbase BTC-EUR 1m \S+ O €[\d,.]+ H €[\d,.]+ L €[\d,.]+ C €[\d,.]+ \(\d+ trades?, buy [\d,.]+ sell [\d,.]+, volume [\d,.]+, VWAP €[\d,.]+\)$/m,
      );
      assert.doesNotMatch(aggregated.stdout, /^Candle coinbase BTC-EUR .*\$/m);
      for (
        const { closed: _closed, revision, volume, buyVolume, sellVolume, vwap, ...fields } of rows
      ) {
        const want = expected.get(referenceKey(fields));
        assert.ok(want, `${referenceKey(fields)} unexpected`);
        const {
          volume: wantVolume,
          buyVolume: wantBuy,
          sellVolume: wantSell,
          vwap: wantVwap,
          ...wantFields
        } = want;
        assert.deepEqual(fields, wantFields);
        assert.ok(close(volume, wantVolume), `volume ${volume} against ${wantVolume}`);
        assert.ok(close(buyVolume, wantBuy), `buy volume ${buyVolume} against ${wantBuy}`);
        assert.ok(close(sellVolume, wantSell), `sell volume ${sellVolume} against ${wantSell}`);
        assert.ok(close(vwap, wantVwap), `vwap ${vwap} against ${wantVwap}`);
        assert.ok(volume !== null && vwap !== null);
        assert.equal(revision, 0);
      }
    } finally {
      await stub.close();
      await db.drop();
    }
  },
);
