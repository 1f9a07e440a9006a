/**
 * Alerts (docs/alerts.md) through `deno task candles`, against the real broker and the real
 * PostgreSQL: a replayed recording with planted jumps raises exactly the alerts an independent
 * computation gives; a revision of an alerting candle, a replay of the topic and `kill -9` with
 * restarts raise none twice. And through `deno task start`, over the embedded log.
 *
 * @module
 */
import assert from "node:assert/strict";
import { alertJson } from "../../market/messages/alert_message.ts";
import { formatAlert } from "../../report/alert_format.ts";
import { DEFAULT_ALERT_RULES } from "../../market/alert_rules.ts";
import type { Candle, Interval } from "../../market/candle.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { openStore } from "../../store/open_store.ts";
import { alertKey, assertSameAlerts, referenceAlerts } from "../support/alert_reference.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { priceFromMessage, referenceCandles, referenceKey } from "../support/candle_reference.ts";
import { plantedMarket, seeded, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";

const INTERVALS: Interval[] = ["1m", "5m"];
// Yesterday at 10:00 UTC.
const START = (Math.floor(Date.now() / 86_400_000) - 1) * 86_400 + 10 * 3_600;

/**
 * BTC jumps +7 % in its warm-up (minute 10) and +6 % at minute 50, and a late BTC price revises
 * the 10:50 candle after it closed; ETH drops 2 % in its warm-up (minute 20) and at minute 55.
 */
function recording(): PriceMessage[] {
  const prices = plantedMarket({
    seed: 3,
    symbols: ["BTC", "ETH"],
    start: START,
    minutes: 70,
    jumps: [
      { symbol: "BTC", minute: 10, pct: 7 },
      { symbol: "BTC", minute: 50, pct: 6 },
      { symbol: "ETH", minute: 20, pct: -2 },
      { symbol: "ETH", minute: 55, pct: -2 },
    ],
  });
  const at = (s: number) => prices.findIndex((p) => p.symbol === "BTC" && p.last_updated === s);
  // After BTC's 10:51:50 (watermark 10:51:40: 10:50 has closed, and takes late prices until
  // 10:52:00), a price at 10:50:25 within the candle's range: revision 1, same open and close.
  const late = { ...prices[at(START + 50 * 60 + 20)]! };
  late.last_updated = START + 50 * 60 + 25;
  late.message_id = `BTC-${late.last_updated}`;
  prices.splice(at(START + 51 * 60 + 50) + 1, 0, late);
  return prices;
}

/** The alerts the planted jumps raise (`symbol interval HH:MM kind direction`). */
const PLANTED = [
  "BTC 1m 10:10 move up", // in warm-up: a move, no anomaly
  "BTC 1m 10:50 anomaly up",
  "BTC 1m 10:50 move up",
  "BTC 5m 10:10 move up",
  "BTC 5m 10:50 move up",
  "ETH 1m 10:55 anomaly down", // its drop at 10:20 was in warm-up
];

const planted = (alerts: readonly { symbol: string; interval: string; windowStart: number }[]) =>
  alerts.map((a) => {
    const at = new Date(a.windowStart).toISOString().slice(11, 16);
    const { kind, direction } = a as unknown as { kind: string; direction: string };
    return `${a.symbol} ${a.interval} ${at} ${kind} ${direction}`;
  }).sort();

async function produce(topic: string, prices: readonly PriceMessage[]): Promise<void> {
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
}

/** Whether a group has committed a topic to its end. */
async function committedAll(group: string, topic: string): Promise<boolean> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return ends.every((end) =>
      Number(end.offset) === 0 ||
      committed!.partitions.some((p) => p.partition === end.partition && p.offset === end.offset)
    );
  } finally {
    await admin.disconnect();
  }
}

/** How many records a topic holds. */
async function topicSize(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.offset), 0);
  } finally {
    await admin.disconnect();
  }
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function candlesArgs(topic: string, group: string, store: string) {
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
    ],
    env: {
      KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
      CANDLE_TOPIC: `${topic}-candles`,
      ALERT_TOPIC: `${topic}-alerts`,
    },
  };
}

/** Runs `candles` until its group has committed the whole topic, then stops it with SIGTERM. */
async function aggregate(topic: string, group: string, store: string) {
  const run = spawnCommand("candles", candlesArgs(topic, group, store));
  try {
    await until(() => committedAll(group, topic), `${group} to commit ${topic}`);
  } finally {
    run.kill("SIGTERM");
  }
  const result = await run.done;
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result;
}

/** The candles and alerts stored. */
async function stored(url: string) {
  const store = await openStore(url, { timeoutMs: 5_000 });
  try {
    const candles: Candle[] = [];
    for (const { source, product } of await store.markets()) {
      for (const interval of INTERVALS) {
        candles.push(...await store.candles({ source, product, interval, limit: 5_000 }));
      }
    }
    return { candles, alerts: await store.alerts({ limit: 1_000 }) };
  } finally {
    await store.close();
  }
}

/**
 * The alerts an independent computation gives: the reference candles of the prices (every field
 * computed from the observations), closed where the stored ones are.
 */
function expectedAlerts(prices: readonly PriceMessage[], candles: readonly Candle[]) {
  const reference = referenceCandles(prices.map(priceFromMessage), INTERVALS);
  assert.equal(candles.length, reference.size);
  const table = candles.map(({ revision: _revision, closed, ...fields }) => {
    const want = reference.get(referenceKey(fields));
    assert.deepEqual(fields, want);
    return { ...want!, closed };
  });
  return referenceAlerts(table, DEFAULT_ALERT_RULES);
}

kafkaTest(
  "candles raises exactly the alerts of the planted jumps (direction, change and z-score as an independent computation gives, none in warm-up), prints and publishes each once; a revision of an alerting candle and a replay of the topic raise none twice",
  async () => {
    const prices = recording();
    const topic = freshTopic("it-alerts");
    await produce(topic, prices);
    const db = await createTestDatabase();
    try {
      const result = await aggregate(topic, freshTopic("g"), db.url);
      const { candles, alerts } = await stored(db.url);
      assert.deepEqual(planted(alerts), PLANTED);
      assertSameAlerts(alerts, expectedAlerts(prices, candles));
      const jump = candles.find((c) =>
        c.symbol === "BTC" && c.interval === "1m" && c.windowStart === (START + 50 * 60) * 1000
      )!;
      assert.equal(jump.revision, 1, "the alerting candle was revised");

      // Printed once each, revision or not, as docs/alerts.md's line.
      const lines = result.stdout.split("\n").filter((l) => l.startsWith("ALERT "));
      assert.deepEqual([...lines].sort(), alerts.map((a) => formatAlert(a)).sort());
      assert.match(
        result.stdout,
        /^ALERT coingecko BTC-USD 1m 10:50Z up \+6\.\d\d% \(z \d+\.\d\) \$[\d,]+\.\d\d$/m,
      );
      assert.match(
        result.stdout,
        /^ALERT coingecko ETH-USD 1m 10:55Z down -\d\.\d\d% \(z -\d+\.\d\) \$/m,
      );
      assert.match(result.stdout, /^ALERT coingecko BTC-USD 1m 10:10Z up \+7\.\d\d% \$/m);
      assert.match(
        result.stdout,
        /Candles examined: \d+, alerts raised: 6 \(move: 4, anomaly: 2\), already raised: 2/,
      );

      // On the alert topic once each: key = the market, schema crypto-alert/v1, value = the JSON.
      const records = await readTopic(`${topic}-alerts`, alerts.length);
      assert.equal(await topicSize(`${topic}-alerts`), alerts.length);
      for (const r of records) {
        assert.equal(r.headers.schema, "crypto-alert/v1");
        assert.equal(r.headers["content-type"], "application/json");
        const value = JSON.parse(r.value!);
        assert.equal(r.key, `coingecko:${value.symbol}-USD`);
        assert.equal(r.key, `${value.source}:${value.product}`);
      }
      const byKey = (x: { symbol: string; interval: string; window_start: string; kind: string }) =>
        `${x.symbol}|${x.interval}|${x.window_start}|${x.kind}`;
      assert.deepEqual(
        records.map((r) => JSON.parse(r.value!)).sort((a, b) => byKey(a) < byKey(b) ? -1 : 1),
        alerts.map(alertJson).sort((a, b) => byKey(a) < byKey(b) ? -1 : 1),
      );

      // The same topic again, by a new group from the beginning, on the same store: nothing.
      const again = await aggregate(topic, freshTopic("g-again"), db.url);
      assert.doesNotMatch(again.stdout, /^ALERT /m);
      assert.deepEqual((await stored(db.url)).alerts, alerts);
      assert.equal(await topicSize(`${topic}-alerts`), alerts.length);
    } finally {
      await db.drop();
    }
  },
);

kafkaTest(
  "kill -9 of candles in the middle of the series, each followed by a restart, ends with the same alerts, stored and published once each",
  async () => {
    const prices = recording();
    const chunks = 6;
    const size = Math.ceil(prices.length / chunks);
    const topic = freshTopic("it-alerts-kill");
    const db = await createTestDatabase();
    try {
      const rnd = seeded(11);
      const group = freshTopic("g-killed");
      let run = spawnCommand("candles", candlesArgs(topic, group, db.url));
      let kills = 0;
      for (let i = 0; i < chunks; i++) {
        await produce(topic, prices.slice(i * size, (i + 1) * size));
        if (i % 2 === 1) {
          // The chunk of the jump at 10:50 (the fourth) is killed at once, the others later.
          await new Promise((r) => setTimeout(r, i === 3 ? rnd() * 300 : 500 + rnd() * 3_000));
          run.kill("SIGKILL");
          await run.done;
          kills++;
          run = spawnCommand("candles", candlesArgs(topic, group, db.url));
        }
      }
      await until(() => committedAll(group, topic), "the restarted candles to catch up", 180_000);
      run.kill("SIGTERM");
      assert.equal((await run.done).code, 0);
      assert.equal(kills, 3);

      const { candles, alerts } = await stored(db.url);
      assert.deepEqual(planted(alerts), PLANTED);
      assertSameAlerts(alerts, expectedAlerts(prices, candles));
      const records = await readTopic(`${topic}-alerts`, alerts.length);
      assert.equal(await topicSize(`${topic}-alerts`), alerts.length, "each published once");
      assert.deepEqual(
        records.map((r) => {
          const v = JSON.parse(r.value!);
          return alertKey({ ...v, windowStart: Date.parse(v.window_start) });
        }).sort(),
        alerts.map(alertKey).sort(),
      );
    } finally {
      await db.drop();
    }
  },
);

Deno.test("start raises the planted jumps' alerts over the embedded log and prints each once; --no-alerts raises none", async () => {
  const file = await writeRecording(recording());
  const dir = await Deno.makeTempDir({ prefix: "crypto-alerts-start-" });
  try {
    const start = (store: string, extra: string[]) =>
      runCommand("start", {
        args: ["--source", `replay:${file}`, "--iterations", "1", "--intervals", "1m,5m", ...extra],
        env: { CANDLE_STORE: store },
        timeoutMs: 120_000,
      });
    const on = await start(`sqlite:${dir}/on.db`, []);
    assert.equal(on.code, 0, on.stdout + on.stderr);
    assert.match(
      on.stdout,
      /^Alerts: move ≥ 5%, anomaly \|z\| > 4 \(half-life 30 candles\), topic crypto-alerts$/m,
    );
    const { alerts } = await stored(`sqlite:${dir}/on.db`);
    assert.deepEqual(planted(alerts), PLANTED);
    const lines = on.stdout.split("\n").filter((l) => l.startsWith("ALERT "));
    assert.deepEqual([...lines].sort(), alerts.map((a) => formatAlert(a)).sort());
    assert.match(on.stdout, /alerts raised: 6 \(move: 4, anomaly: 2\)/);

    const off = await start(`sqlite:${dir}/off.db`, ["--no-alerts"]);
    assert.equal(off.code, 0, off.stdout + off.stderr);
    assert.match(off.stdout, /^Alerts: off$/m);
    assert.doesNotMatch(off.stdout, /^ALERT /m);
    assert.deepEqual((await stored(`sqlite:${dir}/off.db`)).alerts, []);
  } finally {
    await Deno.remove(file);
    await Deno.remove(dir, { recursive: true });
  }
});
