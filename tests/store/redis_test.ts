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
import { BTC, BTC_EUR, BTC_USD, ETH, makeCandle } from "./contract.ts";
import { inCi } from "../support/ci.ts";
import { settles } from "../support/wait.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 30);
const price: LatestPrice = {
  source: "coingecko",
  product: "BTC-USD",
  symbol: "BTC",
  priceUsd: 45_234.56,
  volume24h: 28_456_789_012.34,
  marketCap: null,
  priceChange24h: 2.34,
  eventTime: T0 + 45_123,
};
const alert: Alert = {
  source: "coinbase",
  product: "BTC-USD",
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
  "RedisPublisher writes the latest price of the market and of the symbol with a 300 s TTL, and the market's current candle",
  async () => {
    const prefix = freshPrefix("redis-keys");
    const client = await inspector();
    const redis = new RedisPublisher(REDIS_TEST_URL, { prefix });
    try {
      await until(() => redis.ready, 5_000, "the connection");
      const current = makeCandle(BTC, "1m", T0 + 60_000, { closed: false });
      const late = makeCandle(BTC, "1m", T0, { revision: 1 });
      const trades = makeCandle(BTC_USD, "1m", T0, {
        samples: 2,
        trades: 2,
        volume: 1.5,
        buyVolume: 1,
        sellVolume: 0.5,
        vwap: 45_000.5,
      });
      redis.latest(price);
      redis.candle(current);
      redis.candle(late);
      redis.candle(trades);
      redis.candle(makeCandle(BTC, "5m", T0));
      await redis.flushed();

      for (const key of ["crypto:coingecko:BTC-USD:latest", "crypto:BTC:latest"]) {
        const latest = await client.get(`${prefix}${key}`);
        assert.deepEqual(JSON.parse(latest ?? "null"), latestPriceJson(price), key);
        const ttl = await client.ttl(`${prefix}${key}`);
        assert.ok(ttl > 290 && ttl <= 300, `TTL of ${key}: ${ttl}`);
      }
      // The late revision of an older window does not replace the current candle.
      const candle = await client.get(`${prefix}crypto:coingecko:BTC-USD:candle:1m`);
      assert.deepEqual(JSON.parse(candle ?? "null"), candleJson(current));
      assert.equal(await client.ttl(`${prefix}crypto:coingecko:BTC-USD:candle:1m`), -1);
      // Another market's candle of the same symbol and window is its own key.
      const coinbase = await client.get(`${prefix}crypto:coinbase:BTC-USD:candle:1m`);
      assert.deepEqual(JSON.parse(coinbase ?? "null"), candleJson(trades));
      const fiveMinutes = await client.get(`${prefix}crypto:coingecko:BTC-USD:candle:5m`);
      assert.equal(JSON.parse(fiveMinutes ?? "null").window_start, "2025-11-12T10:30:00.000Z");
      assert.equal(await client.get(`${prefix}crypto:BTC:candle:1m`), null);
      // Three keys of candles, two of prices, five messages.
      assert.deepEqual(redis.counters, { sent: 10, errors: 0, dropped: 0, pending: 0 });
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
      const candle = makeCandle(ETH, "15m", T0);
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

redisTest(
  "RedisPublisher keeps in crypto:{SYMBOL}:latest the most recent price of any of the symbol's markets",
  async () => {
    const prefix = freshPrefix("redis-symbol");
    const client = await inspector();
    const first = new RedisPublisher(REDIS_TEST_URL, { prefix });
    const second = new RedisPublisher(REDIS_TEST_URL, { prefix });
    const of = (market: typeof BTC, eventTime: number, priceUsd: number): LatestPrice => ({
      ...price,
      ...market,
      priceUsd,
      eventTime,
    });
    const symbolKey = async () => JSON.parse((await client.get(`${prefix}crypto:BTC:latest`))!);
    try {
      await until(() => first.ready && second.ready, 5_000, "the connections");
      const coinbase = of(BTC_USD, T0 + 10_000, 45_010);
      first.latest(coinbase);
      await first.flushed();
      // An older price of another market, from another process: its market's key only.
      const coingecko = of(BTC, T0 + 5_000, 45_005);
      second.latest(coingecko);
      await second.flushed();
      assert.deepEqual(await symbolKey(), latestPriceJson(coinbase));
      assert.deepEqual(
        JSON.parse((await client.get(`${prefix}crypto:coingecko:BTC-USD:latest`))!),
        latestPriceJson(coingecko),
      );
      // Queued together, the newer wins whatever the order.
      const euro = of(BTC_EUR, T0 + 20_000, 41_000);
      first.latest(euro);
      first.latest(of(BTC, T0 + 15_000, 45_015));
      await first.flushed();
      assert.deepEqual(await symbolKey(), latestPriceJson(euro));
      // A newer price of any market replaces it.
      const newest = of(BTC, T0 + 25_000, 45_025);
      second.latest(newest);
      await second.flushed();
      assert.deepEqual(await symbolKey(), latestPriceJson(newest));
      const ttl = await client.ttl(`${prefix}crypto:BTC:latest`);
      assert.ok(ttl > 290 && ttl <= 300, `TTL ${ttl}`);
      assert.deepEqual(
        JSON.parse((await client.get(`${prefix}crypto:coinbase:BTC-EUR:latest`))!),
        latestPriceJson(euro),
      );
    } finally {
      await first.close();
      await second.close();
      await removeKeys(client, prefix);
      await client.close();
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
    for (let i = 0; i < 1_000; i++) {
      redis.latest({ ...price, eventTime: price.eventTime + i });
      redis.candle(makeCandle(BTC, "1m", T0 + i * 60_000));
    }
    redis.alert(alert);
    // Every call returned at once: nothing was sent, everything waits or was dropped.
    assert.equal(redis.counters.sent, 0);
    await until(() => redis.counters.errors >= 3, 5_000, "reconnection attempts");
    // 2,001 messages with room for 5; the three keys keep only their newest value.
    assert.equal(redis.counters.dropped, 1_996);
    assert.equal(redis.counters.pending, 8);
    assert.equal(redis.counters.sent, 0);
    assert.equal(redis.ready, false);
    await assert.rejects(
      redis.ping(),
      /^Error: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is unreachable$/,
    );
    // close() does not wait for Redis: it resolves (the deadline bounds a hang), twice, having
    // dropped what waited, and leaves no timer or connection behind (the test's sanitizers).
    await settles(redis.close(), { message: "close() while Redis is away", timeoutMs: 15_000 });
    await settles(redis.close(), { message: "a second close()", timeoutMs: 15_000 });
    assert.deepEqual(redis.counters, {
      sent: 0,
      errors: redis.counters.errors,
      dropped: 2_001,
      pending: 0,
    });
    // Closed, it queues nothing more.
    redis.alert(alert);
    assert.equal(redis.counters.dropped, 2_002);
    assert.equal(redis.counters.pending, 0);
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
        assert.equal(redis.counters.sent, 4);
        const client = createClient({ url });
        client.on("error", () => {});
        await client.connect();
        for (const key of ["crypto:coingecko:BTC-USD:latest", "crypto:BTC:latest"]) {
          assert.deepEqual(JSON.parse((await client.get(key)) ?? "null"), latestPriceJson(price));
        }
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
        await settles(redis.close(), {
          message: "close() while Redis is away again",
          timeoutMs: 15_000,
        });
      }
      // What waited through the outage (the price's two keys and its message) is dropped.
      assert.equal(redis.counters.pending, 0);
      assert.equal(redis.counters.dropped, 1);
      assert.equal(redis.counters.sent, 4);
      assert.equal(redis.ready, false);
    }),
});
