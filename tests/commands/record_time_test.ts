/**
 * Record timestamps, against the real broker: every record the program writes (prices, trades,
 * candles, alerts) carries the time it was written as its Kafka timestamp, and its event time in
 * its value; so a replay of old prices, or a feed of old trades, is kept for the topic's retention
 * like anything else instead of being deleted by the broker within seconds. Read back with kcat
 * and with kafkajs, two clients independent of the program.
 *
 * @module
 */
import assert from "node:assert/strict";
import { committedAll } from "../../faults/topic.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import { plantedMarket, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { tradeScript, until } from "../support/trades.ts";
import { inCi } from "../support/ci.ts";

const DAY_S = 86_400;
/** A year ago, on the hour, Unix seconds: far past the broker's retention (7 days). */
const YEAR_AGO = Math.floor(Date.now() / 3_600_000) * 3_600 - 365 * DAY_S;

const kcatInstalled = await new Deno.Command("kcat", {
  args: ["-V"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);

/** The Kafka timestamps of a topic's records, read with kcat (`%T`), all partitions. */
async function kcatTimestamps(topic: string): Promise<number[]> {
  const output = await new Deno.Command("kcat", {
    args: ["-C", "-b", TEST_BROKERS, "-t", topic, "-f", "%T\\n", "-e", "-q"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim().split("\n").map(Number);
}

/** Per partition, the oldest offset the broker still holds, and the end. */
async function bounds(topic: string): Promise<{ low: number; high: number }[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => ({
      low: Number(p.low),
      high: Number(p.high),
    }));
  } finally {
    await admin.disconnect();
  }
}

kafkaTest(
  "A replay of prices dated a year ago, trades dated a year ago, and the candles and alerts made of them are written with the time of writing as their Kafka timestamp (kcat and kafkajs agree), their event times in their values, and stay on their topics",
  async () => {
    const from = Date.now();
    const topic = freshTopic("it-record-time");
    const trades = `${topic}-trades`;
    const candles = `${topic}-candles`;
    const alerts = `${topic}-alerts`;

    // Prices of a year ago, BTC jumping 7 % at minute 10 (a move alert), through a replay.
    const prices = plantedMarket({
      seed: 5,
      symbols: ["BTC", "ETH"],
      start: YEAR_AGO,
      minutes: 15,
      jumps: [{ symbol: "BTC", minute: 10, pct: 7 }],
    });
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

    // Trades of a year ago, through the exchange feed's stand-in.
    const stub = await CoinbaseStub.start({ heartbeatMs: 200 });
    const script = tradeScript({
      seed: 8,
      products: ["BTC-USD", "ETH-USD"],
      start: YEAR_AGO * 1000 + 3_000,
      perProduct: 60,
      maxStepMs: 4_000,
    });
    try {
      const producer = spawnCommand("produce", {
        args: ["--source", "coinbase", "--products", "BTC-USD,ETH-USD", "--topic", trades],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, COINBASE_WS_URL: stub.url },
      });
      await producer.waitFor((out) => out.includes("Subscribed to BTC-USD, ETH-USD"));
      for (const trade of script) stub.trade(trade);
      await readTopic(trades, script.length, 60_000);
      producer.kill("SIGTERM");
      const run = await producer.done;
      assert.equal(run.code, 0, run.stdout + run.stderr);
    } finally {
      await stub.close();
    }

    // Candles and alerts of the prices.
    const group = freshTopic("g-record-time");
    const aggregator = spawnCommand("candles", {
      args: ["--topic", topic, "--group", group, "--intervals", "1m", "--from-beginning"],
      env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, CANDLE_TOPIC: candles, ALERT_TOPIC: alerts },
    });
    try {
      await until(
        `${group} to commit ${topic} and publish an alert`,
        async () =>
          await committedAll(TEST_BROKERS, group, topic) &&
          (await bounds(alerts).catch(() => [])).some((p) => p.high > 0),
        120_000,
      );
    } finally {
      aggregator.kill("SIGTERM");
    }
    const aggregated = await aggregator.done;
    assert.equal(aggregated.code, 0, aggregated.stdout + aggregated.stderr);
    const to = Date.now();

    const sizes = new Map<string, number>();
    for (
      const [name, eventTime] of [
        [topic, (v: Record<string, unknown>) => (v.last_updated as number) * 1000],
        [trades, (v: Record<string, unknown>) => Date.parse(v.time as string)],
        [candles, (v: Record<string, unknown>) => Date.parse(v.window_start as string)],
        [alerts, (v: Record<string, unknown>) => Date.parse(v.window_start as string)],
      ] as const
    ) {
      const size = (await bounds(name)).reduce((n, p) => n + p.high, 0);
      sizes.set(name, size);
      assert.ok(size > 0, `${name} is empty`);
      const records = await readTopic(name, size);
      for (const record of records) {
        const at = record.timestamp;
        assert.ok(at >= from && at <= to, `${name}: timestamp ${new Date(at).toISOString()}`);
        const event = eventTime(JSON.parse(record.value!));
        assert.ok(
          event >= YEAR_AGO * 1000 && event < (YEAR_AGO + DAY_S) * 1000,
          `${name}: event time ${new Date(event).toISOString()} in the value`,
        );
      }
      if (kcatInstalled) {
        const stamps = await kcatTimestamps(name);
        assert.deepEqual(
          stamps.sort((a, b) => a - b),
          records.map((r) => r.timestamp).sort((a, b) => a - b),
          `${name}: kcat's %T`,
        );
      } else if (inCi) {
        throw new Error("kcat is not installed (CI=true)");
      }
    }
    assert.equal(sizes.get(topic), prices.length);
    assert.equal(sizes.get(trades), script.length);

    // Still there, from offset 0, well after the broker would have deleted records stamped a year
    // ago.
    for (const name of [topic, trades, candles, alerts]) {
      for (const { low } of await bounds(name)) assert.equal(low, 0, `${name}: records deleted`);
      assert.equal((await bounds(name)).reduce((n, p) => n + p.high, 0), sizes.get(name));
    }
  },
);
