/**
 * `deno task candles --redis` over a replayed recording, against the real broker and Redis: the
 * market's current candle under `crypto:{source}:{product}:candle:{interval}`, the closed one on
 * `crypto:candles`, and the latest price under `crypto:{source}:{product}:latest` and
 * `crypto:{SYMBOL}:latest` with their five-minute TTL. The expected values are worked out here
 * from the recording's numbers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { freshTopic, kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { recordedPrice, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { REDIS_TEST_URL } from "../support/services.ts";
import { waitFor } from "../support/wait.ts";

/** Puts a recording on a new topic through `produce --source replay:FILE`. */
async function replayToTopic(prices: readonly PriceMessage[]): Promise<string> {
  const topic = freshTopic("it-candles-redis");
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

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

kafkaTest(
  "candles --redis: the current candle under crypto:coingecko:{SYMBOL}-USD:candle:1m, the closed one on crypto:candles, the latest price under its market's and its symbol's keys with a TTL of at most 300 s",
  async () => {
    // A symbol of this run only: the keys and the channel are shared with whatever else uses
    // this Redis.
    const symbol = `R${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36).toUpperCase()}`;
    const product = `${symbol}-USD`;
    // Ten minutes ago, on the minute (Unix seconds).
    const t0 = Math.floor(Date.now() / 60_000) * 60 - 600;
    // Minute 0: 100, 105, 98, 101. Minute 1: 102, then 103 at +80 s, which takes the watermark
    // (10 s behind) to +70 s, past minute 0's end: minute 0 closes, minute 1 stays open.
    const prices = [
      recordedPrice(symbol, t0 + 5, 100),
      recordedPrice(symbol, t0 + 20, 105),
      recordedPrice(symbol, t0 + 40, 98),
      recordedPrice(symbol, t0 + 55, 101),
      recordedPrice(symbol, t0 + 65, 102),
      recordedPrice(symbol, t0 + 80, 103),
    ];
    const topic = await replayToTopic(prices);

    const subscriber = createClient({ url: REDIS_TEST_URL });
    const reader = createClient({ url: REDIS_TEST_URL });
    await Promise.all([subscriber.connect(), reader.connect()]);
    const published: Record<string, unknown>[] = [];
    await subscriber.subscribe("crypto:candles", (message) => {
      // Other processes may publish on the channel: only this symbol's candles are kept.
      if (message.includes(`"symbol":"${symbol}"`)) published.push(JSON.parse(message));
    });
    const run = spawnCommand("candles", {
      args: [
        "--topic",
        topic,
        "--group",
        freshTopic("g"),
        "--intervals",
        "1m",
        "--from-beginning",
        "--idle-timeout",
        "3600",
        "--redis",
        REDIS_TEST_URL,
      ],
      env: {
        KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
        CANDLE_TOPIC: `${topic}-candles`,
        ALERT_TOPIC: `${topic}-alerts`,
      },
    });
    const candleKey = `crypto:coingecko:${product}:candle:1m`;
    const marketKey = `crypto:coingecko:${product}:latest`;
    const symbolKey = `crypto:${symbol}:latest`;
    try {
      const closed = {
        source: "coingecko",
        product,
        symbol,
        quote: "USD",
        interval: "1m",
        window_start: iso(t0),
        window_end: iso(t0 + 60),
        open: 100,
        high: 105,
        low: 98,
        close: 101,
        samples: 4,
        trades: 4,
        volume: null,
        buy_volume: null,
        sell_volume: null,
        vwap: null,
        first_event: iso(t0 + 5),
        last_event: iso(t0 + 55),
        closed: true,
        revision: 0,
      };
      const current = {
        ...closed,
        window_start: iso(t0 + 60),
        window_end: iso(t0 + 120),
        open: 102,
        high: 103,
        low: 102,
        close: 103,
        samples: 2,
        trades: 2,
        first_event: iso(t0 + 65),
        last_event: iso(t0 + 80),
        closed: false,
      };
      const latest = {
        source: "coingecko",
        product,
        symbol,
        quote: "USD",
        price_usd: 103,
        volume_24h: null,
        market_cap: null,
        price_change_24h: null,
        event_time: iso(t0 + 80),
      };
      const json = async (key: string) => {
        const text = await reader.get(key);
        return text === null ? null : JSON.parse(text);
      };
      await waitFor(
        () => published.some((c) => c.closed === true),
        { message: `the closed candle of ${symbol} on crypto:candles`, timeoutMs: 60_000 },
      );
      await waitFor(
        async () => (await json(candleKey))?.last_event === current.last_event,
        { message: `${candleKey} to hold the candle of the last price`, timeoutMs: 30_000 },
      );
      assert.deepEqual(await json(candleKey), current);
      // The current candle has no time-to-live.
      assert.equal(await reader.ttl(candleKey), -1);
      assert.deepEqual(published.filter((c) => c.closed === true), [closed]);

      await waitFor(
        async () => (await json(symbolKey))?.event_time === latest.event_time,
        { message: `${symbolKey} to hold the last price`, timeoutMs: 30_000 },
      );
      for (const key of [marketKey, symbolKey]) {
        assert.deepEqual(await json(key), latest, key);
        const ttl = await reader.ttl(key);
        assert.ok(ttl > 0 && ttl <= 300, `${key}: TTL ${ttl} s`);
      }
    } finally {
      run.kill("SIGTERM");
      const end = await run.done;
      await subscriber.close();
      await reader.del([candleKey, marketKey, symbolKey]);
      await reader.close();
      assert.equal(end.code, 0, end.stdout + end.stderr);
    }
  },
);
