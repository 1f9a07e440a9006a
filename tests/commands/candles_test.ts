/**
 * `deno task candles` against the real broker and the real PostgreSQL: the table a replayed
 * recording gives, out-of-order and late prices, and restarts after `kill -9`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Candle, Interval } from "../../market/candle.ts";
import { candleJson } from "../../market/messages/candle_message.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { openStore } from "../../store/open_store.ts";
import { committedAll } from "../../faults/topic.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { priceFromMessage, referenceCandles, referenceKey } from "../support/candle_reference.ts";
import { market, recordedPrice, seeded, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";

const INTERVALS: Interval[] = ["1m", "5m", "15m", "1h"];
// Prices of two hours ago, on the hour.
const START = Math.floor(Date.now() / 3_600_000) * 3_600 - 2 * 3_600;
const minuteOf = (m: number) => new Date((START + m * 60) * 1000).toISOString();

/** Puts a recording on a new topic through `produce --source replay:FILE`. */
async function replayToTopic(prices: readonly PriceMessage[]): Promise<string> {
  const topic = freshTopic("it-candles");
  const file = await writeRecording(prices);
  try {
    const run = await runCommand("produce", {
      args: ["--source", `replay:${file}`, "--iterations", "1"],
      env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, KAFKA_TOPIC: topic },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
  } finally {
    await Deno.remove(file);
  }
  return topic;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The candle table, every column but `updated_at`, in key order. */
async function table(url: string): Promise<Candle[]> {
  const store = await openStore(url, { timeoutMs: 5_000 });
  try {
    const rows: Candle[] = [];
    for (const { source, product } of await store.markets()) {
      for (const interval of INTERVALS) {
        rows.push(...await store.candles({ source, product, interval, limit: 5_000 }));
      }
    }
    return rows;
  } finally {
    await store.close();
  }
}

function candlesArgs(topic: string, group: string, store: string, extra: string[] = []) {
  return {
    args: [
      "--topic",
      topic,
      "--group",
      group,
      "--store",
      store,
      "--intervals",
      INTERVALS.join(","),
      "--from-beginning",
      "--idle-timeout",
      "3600",
      ...extra,
    ],
    env: {
      KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
      CANDLE_TOPIC: `${topic}-candles`,
      ALERT_TOPIC: `${topic}-alerts`,
    },
  };
}

/** Runs `candles` until its group has committed the whole topic, then stops it with SIGTERM. */
async function aggregate(topic: string, group: string, store: string, extra: string[] = []) {
  const run = spawnCommand("candles", candlesArgs(topic, group, store, extra));
  try {
    await until(() => committedAll(TEST_BROKERS, group, topic), `${group} to commit ${topic}`);
  } finally {
    run.kill("SIGTERM");
  }
  const result = await run.done;
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result;
}

kafkaTest(
  "candles turns a replayed recording into exactly the candles an independent computation gives, for every interval, repeats not counted",
  async () => {
    const prices = market({
      seed: 7,
      symbols: ["BTC", "ETH", "SOL", "ADA", "XRP", "DOGE"],
      start: START,
      minutes: 75,
      disorderS: 9,
    });
    const topic = await replayToTopic(prices);
    const db = await createTestDatabase();
    try {
      const result = await aggregate(topic, freshTopic("g"), db.url, ["--format", "json"]);
      const expected = referenceCandles(prices.map(priceFromMessage), INTERVALS);
      const rows = await table(db.url);
      assert.equal(rows.length, expected.size);
      for (const { closed: _closed, revision, ...fields } of rows) {
        assert.deepEqual(
          fields,
          expected.get(referenceKey(fields)),
        );
        assert.equal(revision, 0);
      }
      // Every closed candle was printed as JSON, and nothing else went to stdout but the alerts'
      // JSON (which has a `kind`).
      const printed = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(
        printed.filter((x) => !("kind" in x)).length,
        rows.filter((c) => c.closed).length,
      );
      const store = await openStore(db.url, { timeoutMs: 5_000 });
      const alerts = await store.alerts({ limit: 1_000 }).finally(() => store.close());
      assert.equal(printed.filter((x) => "kind" in x).length, alerts.length);
      assert.match(result.stderr, /Observations counted: \d+, repeats: \d+, late and dropped: 0/);
      const repeats = Number(/repeats: (\d+)/.exec(result.stderr)![1]);
      assert.equal(
        repeats,
        prices.length - new Set(prices.map((p) => `${p.symbol}|${p.last_updated}`)).size,
      );
    } finally {
      await db.drop();
    }
  },
);

kafkaTest(
  "candles puts an out-of-order price in its window, revises a closed candle with a late one (revision 1, republished), and drops and counts a later one",
  async () => {
    const t = (m: number, s: number) => START + m * 60 + s;
    const prices = [
      recordedPrice("BTC", t(0, 5), 100),
      recordedPrice("BTC", t(0, 30), 105),
      recordedPrice("BTC", t(0, 20), 103), // out of order, within the out-of-orderness
      recordedPrice("BTC", t(1, 2), 106),
      recordedPrice("BTC", t(0, 58), 101), // the watermark (10:00:52) has not passed 10:01
      recordedPrice("BTC", t(1, 15), 107), // watermark 10:01:05: 10:00 closes
      recordedPrice("BTC", t(0, 40), 90), // late, within the 60 s lateness: revision 1
      recordedPrice("BTC", t(2, 30), 108), // watermark 10:02:20: 10:01 closes, 10:00 is final
      recordedPrice("BTC", t(0, 50), 80), // too late: dropped and counted
      recordedPrice("BTC", t(0, 30), 105), // a repeat
    ];
    const topic = await replayToTopic(prices);
    const db = await createTestDatabase();
    try {
      const result = await aggregate(topic, freshTopic("g"), db.url, ["--intervals", "1m"]);
      const rows = (await table(db.url)).filter((c) => c.interval === "1m");
      const at = (m: number) => rows.find((c) => c.windowStart === t(m, 0) * 1000)!;
      assert.equal(rows.length, 3);
      assert.deepEqual(
        [
          at(0).open,
          at(0).high,
          at(0).low,
          at(0).close,
          at(0).samples,
          at(0).revision,
          at(0).closed,
        ],
        [100, 105, 90, 101, 5, 1, true],
      );
      assert.deepEqual([at(0).firstEvent, at(0).lastEvent], [t(0, 5) * 1000, t(0, 58) * 1000]);
      assert.deepEqual(
        [at(1).open, at(1).close, at(1).samples, at(1).revision, at(1).closed],
        [106, 107, 2, 0, true],
      );
      assert.deepEqual([at(2).close, at(2).closed], [108, false]);
      assert.match(result.stdout, /late and dropped: 1/);
      assert.match(result.stdout, /repeats: 1/);
      assert.match(
        result.stdout,
        new RegExp(
          `Candle coingecko BTC-USD 1m ${
            minuteOf(0).replace(".000Z", "Z")
          } O \\$100\\.00 H \\$105\\.00 L \\$100\\.00 C \\$101\\.00 \\(4 samples\\)`,
        ),
      );
      assert.match(
        result.stdout,
        new RegExp(
          `Candle coingecko BTC-USD 1m ${
            minuteOf(0).replace(".000Z", "Z")
          } O \\$100\\.00 H \\$105\\.00 L \\$90\\.00 C \\$101\\.00 \\(5 samples, revision 1\\)`,
        ),
      );
      // The candle topic carries 10:00 twice (revisions 0 and 1) and 10:01 once, and nothing else.
      const admin = testKafka().admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(`${topic}-candles`).finally(() =>
        admin.disconnect()
      );
      assert.equal(ends.reduce((n, p) => n + Number(p.high), 0), 3, JSON.stringify(ends));
      const onTopic = await readTopic(`${topic}-candles`, 3);
      assert.deepEqual(onTopic.map((r) => r.key), Array(3).fill("coingecko:BTC-USD"));
      const published = onTopic.map((r) => JSON.parse(r.value!));
      assert.deepEqual(
        published.map((c) => [c.window_start, c.revision]).sort(),
        [
          [minuteOf(0), 0],
          [minuteOf(0), 1],
          [minuteOf(1), 0],
        ],
      );
      assert.deepEqual(published.find((c) => c.revision === 1), candleJson(at(0)));
    } finally {
      await db.drop();
    }
  },
);

kafkaTest(
  "kill -9 of candles at random moments while prices flow, each followed by a restart, ends with the table of one uninterrupted run; two processes in one group give the same table",
  async () => {
    const prices = market({
      seed: 99,
      symbols: ["BTC", "ETH", "SOL", "ADA", "XRP", "DOGE", "DOT", "LTC"],
      start: START,
      minutes: 90,
      disorderS: 25, // beyond the out-of-orderness: revisions and late drops too
    });
    const chunks = 6;
    const size = Math.ceil(prices.length / chunks);
    const topic = freshTopic("it-candles-kill");
    const once = await createTestDatabase();
    const killed = await createTestDatabase();
    const pair = await createTestDatabase();
    try {
      // Prices flow in chunks while a candles process runs and is killed at random moments.
      const rnd = seeded(5);
      const group = freshTopic("g-killed");
      let run = spawnCommand("candles", candlesArgs(topic, group, killed.url));
      let kills = 0;
      for (let i = 0; i < chunks; i++) {
        const file = await writeRecording(prices.slice(i * size, (i + 1) * size));
        const produced = await runCommand("produce", {
          args: ["--source", `replay:${file}`, "--iterations", "1"],
          env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, KAFKA_TOPIC: topic },
        });
        await Deno.remove(file);
        assert.equal(produced.code, 0, produced.stderr);
        if (i % 2 === 1) {
          await new Promise((r) => setTimeout(r, 500 + rnd() * 3_000));
          run.kill("SIGKILL");
          await run.done;
          kills++;
          run = spawnCommand("candles", candlesArgs(topic, group, killed.url));
        }
      }
      await until(
        () => committedAll(TEST_BROKERS, group, topic),
        "the restarted candles to catch up",
        300_000,
      ).catch((error) => {
        throw new Error(`${error.message}; its output:\n${run.stdout()}\n${run.stderr()}`);
      });
      run.kill("SIGTERM");
      assert.equal((await run.done).code, 0);
      assert.equal(kills, 3);

      await aggregate(topic, freshTopic("g-once"), once.url);
      const reference = await table(once.url);
      assert.ok(reference.some((c) => c.revision > 0), "the flow has revisions");
      assert.deepEqual(await table(killed.url), reference);

      // Two processes in one group split the partitions and together make the same table: both
      // have joined before the prices (the same ones, on a topic of their own) are written.
      const pairTopic = freshTopic("it-candles-pair");
      const together = freshTopic("g-pair");
      const first = spawnCommand("candles", candlesArgs(pairTopic, together, pair.url));
      const second = spawnCommand("candles", candlesArgs(pairTopic, together, pair.url));
      const joined = /Assigned partitions of [\w.-]+: \d/;
      await second.waitFor((_out, err) => joined.test(err), 60_000);
      await first.waitFor((_out, err) => joined.test(err), 60_000);
      for (let i = 0; i < chunks; i++) {
        const file = await writeRecording(prices.slice(i * size, (i + 1) * size));
        const produced = await runCommand("produce", {
          args: ["--source", `replay:${file}`, "--iterations", "1"],
          env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, KAFKA_TOPIC: pairTopic },
        });
        await Deno.remove(file);
        assert.equal(produced.code, 0, produced.stderr);
      }
      await until(
        () => committedAll(TEST_BROKERS, together, pairTopic),
        "the pair to commit the topic",
        180_000,
      );
      first.kill("SIGTERM");
      second.kill("SIGTERM");
      const read = [];
      for (const run of [first, second]) {
        const ended = await run.done;
        assert.equal(ended.code, 0, ended.stderr);
        read.push(Number(/Records read: (\d+)/.exec(ended.stdout)?.[1]));
      }
      assert.ok(
        read.every((n) => n > 0),
        `each process aggregated some prices: ${read.join(", ")}`,
      );
      assert.deepEqual(await table(pair.url), reference);
    } finally {
      await once.drop();
      await killed.drop();
      await pair.drop();
    }
  },
);
