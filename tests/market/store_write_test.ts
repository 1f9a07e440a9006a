import assert from "node:assert/strict";
import type { Candle } from "../../market/candle.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import type { Source } from "../../market/market.ts";
import type { MarketState } from "../../market/market_state.ts";
import { marketsOfWrite, partOfWrite, type StoreWrite } from "../../market/store_write.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 30);

function candle(source: Source, product: string, minute: number, close: number): Candle {
  const windowStart = T0 + minute * 60_000;
  const [symbol, quote] = product.split("-") as [string, string];
  return {
    source,
    product,
    symbol,
    quote,
    interval: "1m",
    windowStart,
    windowEnd: windowStart + 60_000,
    open: close,
    high: close,
    low: close,
    close,
    samples: 1,
    trades: 1,
    volume: null,
    buyVolume: null,
    sellVolume: null,
    vwap: null,
    firstEvent: windowStart,
    lastEvent: windowStart,
    closed: true,
    revision: 0,
  };
}

function latest(source: Source, product: string, priceUsd: number): LatestPrice {
  return {
    source,
    product,
    symbol: product.split("-")[0]!,
    priceUsd,
    volume24h: null,
    marketCap: null,
    priceChange24h: null,
    eventTime: T0,
  };
}

const state = (market: string, epoch: number): MarketState => ({
  market,
  maxEvent: T0,
  seen: "",
  epoch,
});

// Three markets: Coinbase's BTC-USD and ETH-USD, and CoinGecko's BTC-USD (the same product from
// another source, so another market).
const write: StoreWrite = {
  states: [
    state("coinbase:BTC-USD", 1),
    state("coingecko:BTC-USD", 2),
    state("coinbase:ETH-USD", 3),
  ],
  candles: [
    candle("coinbase", "BTC-USD", 0, 100),
    candle("coingecko", "BTC-USD", 0, 101),
    candle("coinbase", "ETH-USD", 0, 10),
    candle("coinbase", "BTC-USD", 1, 102),
  ],
  latest: [
    latest("coingecko", "BTC-USD", 101),
    latest("coinbase", "BTC-USD", 102),
    latest("coinbase", "ETH-USD", 10),
  ],
  publish: [candle("coinbase", "ETH-USD", 0, 10), candle("coinbase", "BTC-USD", 0, 100)],
  examine: [candle("coingecko", "BTC-USD", 0, 101), candle("coinbase", "BTC-USD", 0, 100)],
};

Deno.test("marketsOfWrite() names each market of a write once, in the order it first appears", () => {
  assert.deepEqual(marketsOfWrite(write), [
    "coinbase:BTC-USD",
    "coingecko:BTC-USD",
    "coinbase:ETH-USD",
  ]);
  // A market with only candles to examine is one of the write's too.
  assert.deepEqual(
    marketsOfWrite({
      states: [],
      candles: [],
      latest: [],
      publish: [],
      examine: [candle("coinbase", "SOL-USD", 0, 5)],
    }),
    ["coinbase:SOL-USD"],
  );
});

Deno.test("partOfWrite() keeps every change of the markets asked for and nothing of the others", () => {
  const part = partOfWrite(write, new Set(["coinbase:BTC-USD"]));
  assert.deepEqual(part, {
    states: [state("coinbase:BTC-USD", 1)],
    candles: [candle("coinbase", "BTC-USD", 0, 100), candle("coinbase", "BTC-USD", 1, 102)],
    latest: [latest("coinbase", "BTC-USD", 102)],
    publish: [candle("coinbase", "BTC-USD", 0, 100)],
    examine: [candle("coinbase", "BTC-USD", 0, 100)],
  });
  const two = partOfWrite(write, new Set(["coingecko:BTC-USD", "coinbase:ETH-USD"]));
  assert.deepEqual(two, {
    states: [state("coingecko:BTC-USD", 2), state("coinbase:ETH-USD", 3)],
    candles: [candle("coingecko", "BTC-USD", 0, 101), candle("coinbase", "ETH-USD", 0, 10)],
    latest: [latest("coingecko", "BTC-USD", 101), latest("coinbase", "ETH-USD", 10)],
    publish: [candle("coinbase", "ETH-USD", 0, 10)],
    examine: [candle("coingecko", "BTC-USD", 0, 101)],
  });
  // All the markets: the whole write; none of them: an empty one.
  assert.deepEqual(
    partOfWrite(write, new Set(["coinbase:BTC-USD", "coingecko:BTC-USD", "coinbase:ETH-USD"])),
    write,
  );
  assert.deepEqual(partOfWrite(write, new Set()), {
    states: [],
    candles: [],
    latest: [],
    publish: [],
    examine: [],
  });
});

Deno.test("partOfWrite() of a write with no candles to examine has none either, and an empty list stays one", () => {
  const { examine: _, ...unexamined } = write;
  const part = partOfWrite(unexamined, new Set(["coinbase:ETH-USD"]));
  assert.equal("examine" in part, false);
  assert.deepEqual(part, {
    states: [state("coinbase:ETH-USD", 3)],
    candles: [candle("coinbase", "ETH-USD", 0, 10)],
    latest: [latest("coinbase", "ETH-USD", 10)],
    publish: [candle("coinbase", "ETH-USD", 0, 10)],
  });
  assert.deepEqual(partOfWrite({ ...unexamined, examine: [] }, new Set(["coinbase:ETH-USD"])), {
    ...part,
    examine: [],
  });
});
