/**
 * Gap repair against the real broker: `produce --source coinbase` reads the feed's stand-in,
 * which drops the connection three times and keeps single trades and runs of 50 off the socket;
 * its REST API has them all. Every trade id from the first to the last is on `crypto-trades`
 * exactly once, and `deno task candles` makes of them the candles an independent computation
 * over every trade gives (volume and VWAP included).
 *
 * @module
 */
import assert from "node:assert/strict";
import { committedAll } from "../../faults/topic.ts";
import type { Interval } from "../../market/candle.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, topicSize } from "../support/broker.ts";
import { referenceCandles, referenceKey } from "../support/candle_reference.ts";
import { spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";
import { candleTable } from "../support/candle_table.ts";
import { close, madeObservations, tradeScript, until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m", "5m"];
const PRODUCTS = ["BTC-USD", "ETH-USD"];
const PER_PRODUCT = 400;
/** Yesterday at 10:00:03 UTC, ms: inside the broker's retention (7 days) however it is stamped. */
const START = (Math.floor(Date.now() / 86_400_000) - 1) * 86_400_000 + 10 * 3_600_000 + 3_000;

kafkaTest(
  "produce --source coinbase repairs every gap from REST: with the socket dropped three times and single ids and runs of 50 kept off it, every trade id from the first to the last is on crypto-trades exactly once, and candles from them equal an independent computation over every trade",
  async () => {
    const stub = await CoinbaseStub.start({ heartbeatMs: 200 });
    const topic = freshTopic("it-repair");
    const db = await createTestDatabase();
    try {
      const producer = spawnCommand("produce", {
        args: ["--source", "coinbase", "--products", PRODUCTS.join(","), "--topic", topic],
        env: {
          KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
          COINBASE_WS_URL: stub.url,
          COINBASE_REST_URL: stub.restUrl,
        },
      });
      await producer.waitFor((out) => out.includes("Subscribed to BTC-USD, ETH-USD"));
      const script = tradeScript({
        seed: 23,
        products: PRODUCTS,
        start: START,
        perProduct: PER_PRODUCT,
        maxStepMs: 2_000,
      });
      const counts = new Map<string, number>();
      let drops = 0;
      for (let i = 0; i < script.length; i++) {
        const trade = script[i]!;
        const k = counts.get(trade.product) ?? 0;
        counts.set(trade.product, k + 1);
        // A single id now and then, and a run of 50 of each product.
        const offSocket = k % 97 === 13 || (k >= 150 && k < 200);
        stub.trade(trade, { socket: !offSocket });
        if (i > 0 && i % 200 === 0 && drops < 3) {
          drops++;
          const subscriptions = stub.subscriptions.length;
          stub.drop();
          // Trades go on while the producer is away: lost to the socket, kept by REST.
          for (let j = 0; j < 5; j++) stub.trade(script[++i]!);
          await until("the resubscription", () => stub.subscriptions.length > subscriptions);
          await until("the new connection", () => stub.subscribed === 1);
        }
        if (i % 25 === 24) await new Promise((r) => setTimeout(r, 5));
      }
      const made = [...stub.history.values()].flat();
      const records = await readTopic(topic, made.length, 60_000);
      producer.kill("SIGTERM");
      const run = await producer.exits("to stop after SIGTERM");
      assert.equal(run.code, 0, run.stdout + run.stderr);
      // Once the producer has ended, nothing more can come: nothing was published twice.
      assert.equal(await topicSize(topic), made.length);
      assert.match(run.stdout, new RegExp(`^Trades published: ${made.length}$`, "m"));
      assert.match(run.stdout, new RegExp(`^Messages produced: ${made.length}$`, "m"));
      assert.match(run.stdout, /^Connections: 4$/m);
      const repaired = Number(/^Repaired from REST: (\d+) \(lost: 0\)$/m.exec(run.stdout)?.[1]);
      const offSocket = made.length - [...stub.sent.values()].flat().length;
      assert.ok(repaired >= offSocket, `${repaired} repaired, ${offSocket} kept off the socket`);

      // Every id from the first to the last, once.
      assert.equal(records.length, made.length);
      for (const product of PRODUCTS) {
        const ids = records.map((r) => JSON.parse(r.value!)).filter((v) => v.product_id === product)
          .map((v) => v.trade_id as number).sort((a, b) => a - b);
        const first = ids[0]!;
        assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => first + i), product);
        assert.deepEqual(ids, stub.history.get(product)!.map((m) => m.trade_id));
      }

      // The candles, into PostgreSQL; repaired trades come after later ones, so a day of lateness.
      const group = freshTopic("g-repair");
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
          "--allowed-lateness",
          "86400",
          "--idle-timeout",
          "3600",
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
        new RegExp(`Observations counted: ${made.length}, repeats: 0, late and dropped: 0`),
      );

      const expected = referenceCandles(madeObservations(stub), INTERVALS);
      const rows = await candleTable(db.url, INTERVALS);
      assert.equal(rows.length, expected.size);
      for (
        const {
          closed: _closed,
          revision: _revision,
          volume,
          buyVolume,
          sellVolume,
          vwap,
          ...fields
        } of rows
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
      }
    } finally {
      await stub.close();
      await db.drop();
    }
  },
);
