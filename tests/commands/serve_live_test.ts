/**
 * `deno task serve`'s live stream fed by the other processes, as a user runs it: from Redis
 * pub/sub (`--redis`) the prices, candles and alerts `candles` publishes there, and without Redis
 * from the Kafka candle and price topics; each event arriving on `/api/v1/stream` with its
 * source and product.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import { alertJson } from "../../market/messages/alert_message.ts";
import { candleJson } from "../../market/messages/candle_message.ts";
import { latestPriceJson } from "../../market/messages/latest_price_message.ts";
import { freshTopic, kafkaTest, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { followStream, type RunningServe, startServe } from "../support/live_stream.ts";
import { recordedPrice } from "../support/prices.ts";
import { REDIS_TEST_URL, redisTest } from "../support/services.ts";
import { waitFor } from "../support/wait.ts";

const MINUTE = 60_000;

/**
 * A symbol no other run uses: Redis channels and the candle topic are shared, so the stream is
 * asked for this symbol only.
 */
function freshSymbol(): string {
  return `T${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36).toUpperCase()}`;
}

/** The current minute's start, ms. */
const thisMinute = () => Math.floor(Date.now() / MINUTE) * MINUTE;

/** A Coinbase candle of `symbol`-EUR, closed, of the minute before `start`. */
function tradeCandle(symbol: string, start: number, revision: number): Candle {
  return {
    source: "coinbase",
    product: `${symbol}-EUR`,
    symbol,
    quote: "EUR",
    interval: "1m",
    windowStart: start,
    windowEnd: start + MINUTE,
    open: 41_000.5,
    high: 41_020,
    low: 40_990.25,
    close: 41_010,
    samples: 4,
    trades: 4,
    volume: 2.5,
    buyVolume: 1.5,
    sellVolume: 1,
    vwap: 41_005.1,
    firstEvent: start + 3_000,
    lastEvent: start + 57_000,
    closed: true,
    revision,
  };
}

/** Stops `serve`, expecting exit 0. */
async function stopped(serve: RunningServe): Promise<string> {
  const end = await serve.stop();
  assert.equal(end.code, 0, end.stdout + end.stderr);
  return end.stdout;
}

redisTest(
  "serve --redis: a price, a candle and an alert published on crypto:prices, crypto:candles and crypto:alerts reach /api/v1/stream with their source and product",
  async () => {
    const symbol = freshSymbol();
    const start = thisMinute() - MINUTE;
    const serve = await startServe({ REDIS_URL: REDIS_TEST_URL });
    const publisher = createClient({ url: REDIS_TEST_URL });
    await publisher.connect();
    const stream = await followStream(serve.base, `symbols=${symbol}`);
    try {
      // As `candles` writes them: the product's JSON of each kind.
      const price = (n: number): LatestPrice => ({
        source: "coinbase",
        product: `${symbol}-EUR`,
        symbol,
        priceUsd: 41_000 + n,
        volume24h: null,
        marketCap: null,
        priceChange24h: null,
        eventTime: start + n * 1000,
      });
      // serve prints "Listening" before its Redis subscription is made: a price is published
      // each look until one comes through.
      let n = 0;
      await waitFor(async () => {
        await publisher.publish("crypto:prices", JSON.stringify(latestPriceJson(price(++n))));
        return stream.events.some((e) => e.event === "price");
      }, { message: "a price from crypto:prices on the stream", timeoutMs: 30_000, everyMs: 200 });
      const firstPrice = stream.events.find((e) => e.event === "price")!;
      assert.equal(firstPrice.data.source, "coinbase");
      assert.equal(firstPrice.data.product, `${symbol}-EUR`);
      assert.equal(firstPrice.data.quote, "EUR");
      assert.ok(
        Array.from({ length: n }, (_, i) => JSON.stringify(latestPriceJson(price(i + 1))))
          .includes(JSON.stringify(firstPrice.data)),
        `the price as published: ${JSON.stringify(firstPrice.data)}`,
      );

      const candle = tradeCandle(symbol, start, 0);
      const alert: Alert = {
        source: "coingecko",
        product: `${symbol}-USD`,
        symbol,
        interval: "1m",
        windowStart: start,
        kind: "anomaly",
        direction: "down",
        changePct: -3.25,
        zscore: -4.5,
        price: 39_900.75,
        createdAt: start + MINUTE + 500,
      };
      await publisher.publish("crypto:candles", JSON.stringify(candleJson(candle)));
      await publisher.publish("crypto:alerts", JSON.stringify(alertJson(alert)));
      await waitFor(
        () => stream.events.some((e) => e.event === "alert"),
        { message: "the alert from crypto:alerts on the stream" },
      );
      const candles = stream.events.filter((e) => e.event === "candle");
      const alerts = stream.events.filter((e) => e.event === "alert");
      assert.equal(candles.length, 1);
      assert.equal(alerts.length, 1);
      assert.deepEqual(candles[0]!.data, {
        source: "coinbase",
        product: `${symbol}-EUR`,
        symbol,
        quote: "EUR",
        interval: "1m",
        window_start: new Date(start).toISOString(),
        window_end: new Date(start + MINUTE).toISOString(),
        open: 41_000.5,
        high: 41_020,
        low: 40_990.25,
        close: 41_010,
        samples: 4,
        trades: 4,
        volume: 2.5,
        buy_volume: 1.5,
        sell_volume: 1,
        vwap: 41_005.1,
        first_event: new Date(start + 3_000).toISOString(),
        last_event: new Date(start + 57_000).toISOString(),
        closed: true,
        revision: 0,
      });
      assert.deepEqual(alerts[0]!.data, {
        source: "coingecko",
        product: `${symbol}-USD`,
        symbol,
        interval: "1m",
        window_start: new Date(start).toISOString(),
        kind: "anomaly",
        direction: "down",
        change_pct: -3.25,
        zscore: -4.5,
        price: 39_900.75,
        created_at: new Date(start + MINUTE + 500).toISOString(),
      });
      // Each event has its own id, in the order published.
      const ids = stream.events.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length);
      assert.ok(stream.events.indexOf(candles[0]!) < stream.events.indexOf(alerts[0]!));
    } finally {
      await stream.close();
      await publisher.close();
      const out = await stopped(serve);
      assert.match(out, /^Live events: Redis pub\/sub$/m);
    }
  },
);

/** Writes records to a topic (the record's Kafka timestamp: the time of writing). */
async function writeRecords(
  topic: string,
  records: { key: string | null; value: string; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: records });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Runs `serve` without Redis over a fresh price topic and `env`, and writes a Coinbase candle
 * of a fresh symbol to `candleTopic` and a CoinGecko price message to the price topic, each
 * look until the stream shows both; returns what the stream showed.
 */
async function kafkaLive(candleTopic: string, env: Record<string, string>) {
  const symbol = freshSymbol();
  const prices = freshTopic("it-serve-prices");
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      // The shared crypto-candles too: on a new broker nothing has made it yet (one that exists
      // is left as it is).
      topics: [prices, candleTopic].map((topic) => ({
        topic,
        numPartitions: 3,
      })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const serve = await startServe({
    KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
    KAFKA_TOPIC: prices,
    ...env,
  });
  const stream = await followStream(serve.base, `symbols=${symbol}`);
  const start = thisMinute() - MINUTE;
  try {
    // The feed's groups join and find the topics' ends in the background: a candle (another
    // revision each time) and a price are written each look until both come through.
    let revision = -1;
    await waitFor(async () => {
      revision++;
      const candle = tradeCandle(symbol, start, revision);
      await writeRecords(candleTopic, [{
        key: `coinbase:${candle.product}`,
        value: JSON.stringify(candleJson(candle)),
        headers: { "content-type": "application/json", "schema": "crypto-candle/v1" },
      }]);
      const price = recordedPrice(symbol, Math.floor(start / 1000) + revision, 100 + revision);
      await writeRecords(prices, [{ key: symbol, value: JSON.stringify(price) }]);
      return ["candle", "price"].every((kind) => stream.events.some((e) => e.event === kind));
    }, {
      message: `a candle of ${candleTopic} and a price of the price topic on the stream`,
      timeoutMs: 60_000,
      everyMs: 1_000,
    });
    return { symbol, start, events: [...stream.events] };
  } finally {
    await stream.close();
    await stopped(serve);
  }
}

kafkaTest(
  "serve without Redis: a candle record of crypto-candles and a price record of its price topic reach /api/v1/stream, with their source and product",
  async () => {
    const { symbol, start, events } = await kafkaLive("crypto-candles", {});
    const candle = events.find((e) => e.event === "candle")!;
    const { revision, ...fields } = candle.data;
    assert.equal(typeof revision, "number");
    assert.deepEqual(fields, {
      source: "coinbase",
      product: `${symbol}-EUR`,
      symbol,
      quote: "EUR",
      interval: "1m",
      window_start: new Date(start).toISOString(),
      window_end: new Date(start + MINUTE).toISOString(),
      open: 41_000.5,
      high: 41_020,
      low: 40_990.25,
      close: 41_010,
      samples: 4,
      trades: 4,
      volume: 2.5,
      buy_volume: 1.5,
      sell_volume: 1,
      vwap: 41_005.1,
      first_event: new Date(start + 3_000).toISOString(),
      last_event: new Date(start + 57_000).toISOString(),
      closed: true,
    });
    // A price message names no market: it is CoinGecko's, of the symbol in USD.
    const price = events.find((e) => e.event === "price")!;
    assert.equal(price.data.source, "coingecko");
    assert.equal(price.data.product, `${symbol}-USD`);
    assert.equal(price.data.symbol, symbol);
    const offset = (Date.parse(price.data.event_time as string) - start) / 1000;
    assert.ok(Number.isInteger(offset) && offset >= 0, `event time ${price.data.event_time}`);
    assert.equal(price.data.price_usd, 100 + offset);
  },
);

kafkaTest(
  "serve without Redis: a candle written to the CANDLE_TOPIC candles writes to reaches /api/v1/stream",
  async () => {
    const candles = freshTopic("it-serve-candles");
    const { symbol, events } = await kafkaLive(candles, { CANDLE_TOPIC: candles });
    const candle = events.find((e) => e.event === "candle")!;
    assert.equal(candle.data.source, "coinbase");
    assert.equal(candle.data.product, `${symbol}-EUR`);
  },
);
