import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { createClient } from "redis";
import type { Alert } from "../../market/alert.ts";
import { alertJson } from "../../market/messages/alert_message.ts";
import { candleJson } from "../../market/messages/candle_message.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import { latestPriceJson } from "../../market/messages/latest_price_message.ts";
import { RedisPublisher } from "../../store/redis.ts";
import { freePort, freshPrefix, REDIS_TEST_URL, redisTest } from "../support/services.ts";
import { makeCandle } from "./contract.ts";
import { inCi } from "../support/ci.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 30);
const price: LatestPrice = {
  symbol: "BTC",
  priceUsd: 45_234.56,
  volume24h: 28_456_789_012.34,
  marketCap: null,
  priceChange24h: 2.34,
  eventTime: T0 + 45_123,
};
const alert: Alert = {
  symbol: "BTC",
  interval: "1m",
  windowStart: T0,
  kind: "move",
  direction: "up",
  changePct: 6.12,
  zscore: null,
  price: 48_001,
  createdAt: T0 + 61_000,
};

/** A plain client of the test Redis, to look at what the publisher wrote. */
async function inspector() {
  const client = createClient({ url: REDIS_TEST_URL });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** Deletes every key under a prefix. */
async function removeKeys(client: Awaited<ReturnType<typeof inspector>>, prefix: string) {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
    if (keys.length > 0) await client.del(keys);
  }
}

/** Captures the `crypto.redis` log records while `fn` runs. */
async function withLogs(fn: (records: LogRecord[]) => Promise<void>): Promise<void> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: ["crypto", "redis"], lowestLevel: "debug", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    await fn(records);
  } finally {
    await reset();
  }
}

const text = (record: LogRecord) =>
  record.message.map((part) => typeof part === "string" ? part : String(part)).join("");

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

redisTest(
  "RedisPublisher writes the latest price with a 300 s TTL and the current candle",
  async () => {
    const prefix = freshPrefix("redis-keys");
    const client = await inspector();
    const redis = new RedisPublisher(REDIS_TEST_URL, { prefix });
    try {
      await until(() => redis.ready, 5_000, "the connection");
      const current = makeCandle("BTC", "1m", T0 + 60_000, { closed: false });
      const late = makeCandle("BTC", "1m", T0, { revision: 1 });
      redis.latest(price);
      redis.candle(current);
      redis.candle(late);
      redis.candle(makeCandle("BTC", "5m", T0, { volume: 1.5, vwap: 45_000.5 }));
      await redis.flushed();

      const latest = await client.get(`${prefix}crypto:BTC:latest`);
      assert.deepEqual(JSON.parse(latest ?? "null"), latestPriceJson(price));
      const ttl = await client.ttl(`${prefix}crypto:BTC:latest`);
      assert.ok(ttl > 290 && ttl <= 300, `TTL ${ttl}`);
      // The late revision of an older window does not replace the current candle.
      const candle = await client.get(`${prefix}crypto:BTC:candle:1m`);
      assert.deepEqual(JSON.parse(candle ?? "null"), candleJson(current));
      assert.equal(await client.ttl(`${prefix}crypto:BTC:candle:1m`), -1);
      const fiveMinutes = JSON.parse((await client.get(`${prefix}crypto:BTC:candle:5m`)) ?? "null");
      assert.equal(fiveMinutes.window_start, "2025-11-12T10:30:00.000Z");
      assert.equal(fiveMinutes.vwap, 45_000.5);
      assert.deepEqual(redis.counters, { sent: 7, errors: 0, dropped: 0, pending: 0 });
      await redis.ping();
    } finally {
      await redis.close();
      await removeKeys(client, prefix);
      await client.close();
    }
  },
);

redisTest(
  "RedisPublisher publishes on crypto:prices, crypto:candles and crypto:alerts",
  async () => {
    const prefix = freshPrefix("redis-pubsub");
    const subscriber = await inspector();
    const cleaner = await inspector();
    const redis = new RedisPublisher(REDIS_TEST_URL, { prefix });
    const received: [string, unknown][] = [];
    try {
      await subscriber.subscribe(
        [`${prefix}crypto:prices`, `${prefix}crypto:candles`, `${prefix}crypto:alerts`],
        (message, channel) => received.push([channel.slice(prefix.length), JSON.parse(message)]),
      );
      await until(() => redis.ready, 5_000, "the connection");
      const candle = makeCandle("ETH", "15m", T0);
      redis.latest(price);
      redis.candle(candle);
      redis.alert(alert);
      await redis.flushed();
      await until(() => received.length === 3, 5_000, "three messages");
      assert.deepEqual(received, [
        ["crypto:prices", latestPriceJson(price)],
        ["crypto:candles", candleJson(candle)],
        ["crypto:alerts", alertJson(alert)],
      ]);
    } finally {
      await redis.close();
      await subscriber.close();
      await removeKeys(cleaner, prefix);
      await cleaner.close();
    }
  },
);

Deno.test("RedisPublisher never throws or waits while Redis is away, counts errors and bounds its queue", () =>
  withLogs(async (records) => {
    const port = freePort();
    const redis = new RedisPublisher(`redis://:hunter2@127.0.0.1:${port}`, {
      maxQueue: 5,
      timeoutMs: 200,
      maxReconnectDelayMs: 50,
    });
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) {
      redis.latest({ ...price, eventTime: price.eventTime + i });
      redis.candle(makeCandle("BTC", "1m", T0 + i * 60_000));
    }
    redis.alert(alert);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 500, `1,000 calls took ${elapsed.toFixed(0)} ms`);
    await until(() => redis.counters.errors >= 3, 5_000, "reconnection attempts");
    // 2,001 messages with room for 5; the two keys keep only their newest value.
    assert.equal(redis.counters.dropped, 1_996);
    assert.equal(redis.counters.pending, 7);
    assert.equal(redis.counters.sent, 0);
    assert.equal(redis.ready, false);
    await assert.rejects(
      redis.ping(),
      /^Error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable$/,
    );
    const closing = performance.now();
    await redis.close();
    await redis.close();
    assert.ok(performance.now() - closing < 1_000, "close() took too long");
    const warnings = records.filter((r) => r.level === "warning");
    assert.equal(warnings.length, 1, warnings.map(text).join("\n"));
    assert.match(text(warnings[0]!), /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable/);
    assert.ok(records.every((r) => !text(r).includes("hunter2")));
  }));

const redisServer = await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
  .output().then((output) => output.success, () => false);

Deno.test({
  name: "RedisPublisher reconnects when Redis comes up and sends what waited",
  ignore: !redisServer && !inCi,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withLogs(async (records) => {
      const port = freePort();
      const url = `redis://127.0.0.1:${port}`;
      const redis = new RedisPublisher(url, { timeoutMs: 500, maxReconnectDelayMs: 100 });
      let server: Deno.ChildProcess | null = null;
      try {
        redis.latest(price);
        redis.alert(alert);
        await until(() => redis.counters.errors > 0, 5_000, "a failed connection");
        server = new Deno.Command("redis-server", {
          args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
          stdout: "null",
          stderr: "null",
        }).spawn();
        await until(() => redis.ready, 10_000, "the reconnection");
        await redis.flushed();
        assert.equal(redis.counters.pending, 0);
        assert.equal(redis.counters.sent, 3);
        const client = createClient({ url });
        client.on("error", () => {});
        await client.connect();
        assert.deepEqual(
          JSON.parse((await client.get("crypto:BTC:latest")) ?? "null"),
          latestPriceJson(price),
        );
        await client.close();

        // A second outage is warned about again, once.
        server.kill("SIGKILL");
        await server.status;
        server = null;
        await until(() => !redis.ready, 5_000, "the outage to be noticed");
        redis.latest({ ...price, eventTime: price.eventTime + 1 });
        await until(
          () => records.filter((r) => r.level === "warning").length === 2,
          5_000,
          "a warning",
        );
        const messages = records.map(text);
        assert.equal(messages.filter((m) => m.includes("is back")).length, 1, messages.join("\n"));
      } finally {
        server?.kill("SIGKILL");
        await server?.status;
        const closing = performance.now();
        await redis.close();
        assert.ok(performance.now() - closing < 1_500, "close() took too long");
      }
    }),
});
