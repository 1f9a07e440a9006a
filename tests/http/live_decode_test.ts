import assert from "node:assert/strict";
import { decodeLiveMessage } from "../../http/live_decode.ts";

const PRICE = {
  source: "coinbase",
  product: "BTC-EUR",
  symbol: "BTC",
  quote: "EUR",
  price_usd: 45234.56,
  volume_24h: 28456789012.34,
  market_cap: null,
  price_change_24h: 2.34,
  event_time: "2025-11-12T10:30:45.000Z",
};

const CANDLE = {
  source: "coingecko",
  product: "BTC-USD",
  symbol: "BTC",
  quote: "USD",
  interval: "1m",
  window_start: "2025-11-12T10:30:00.000Z",
  window_end: "2025-11-12T10:31:00.000Z",
  open: 45234.56,
  high: 45300,
  low: 45200.12,
  close: 45250,
  samples: 6,
  trades: 6,
  volume: null,
  buy_volume: null,
  sell_volume: null,
  vwap: null,
  first_event: "2025-11-12T10:30:05.000Z",
  last_event: "2025-11-12T10:30:55.000Z",
  closed: true,
  revision: 0,
};

const ALERT = {
  source: "coinbase",
  product: "BTC-EUR",
  symbol: "BTC",
  interval: "1m",
  window_start: "2025-11-12T10:31:00.000Z",
  kind: "anomaly",
  direction: "up",
  change_pct: 6.12,
  zscore: 5.3,
  price: 48001,
  created_at: "2025-11-12T10:32:00.000Z",
};

const text = (value: unknown) => JSON.stringify(value);
const T = Date.parse("2025-11-12T10:30:45.000Z");

Deno.test("decodeLiveMessage() reads a latest price, its missing numbers as null", () => {
  assert.deepEqual(decodeLiveMessage("price", text(PRICE)), {
    type: "price",
    price: {
      source: "coinbase",
      product: "BTC-EUR",
      symbol: "BTC",
      priceUsd: 45234.56,
      volume24h: 28456789012.34,
      marketCap: null,
      priceChange24h: 2.34,
      eventTime: T,
    },
  });
  const bare = decodeLiveMessage(
    "price",
    '{"symbol":"ETH","price_usd":2,"event_time":"1970-01-01T00:00:01Z"}',
  );
  // A price that names no market (a price message of the price topic) is CoinGecko's, in USD.
  assert.deepEqual(bare, {
    type: "price",
    price: {
      source: "coingecko",
      product: "ETH-USD",
      symbol: "ETH",
      priceUsd: 2,
      volume24h: null,
      marketCap: null,
      priceChange24h: null,
      eventTime: 1000,
    },
  });
});

Deno.test("decodeLiveMessage() reads a price message's event time from last_updated, else timestamp", () => {
  const message = { ...PRICE, event_time: undefined, last_updated: 1699876543 };
  const fromLastUpdated = decodeLiveMessage("price", text(message));
  assert.equal(fromLastUpdated?.type === "price" && fromLastUpdated.price.eventTime, 1699876543000);
  const stamped = { ...message, last_updated: null, timestamp: "2025-11-12T10:30:45.123Z" };
  const fromTimestamp = decodeLiveMessage("price", text(stamped));
  assert.equal(fromTimestamp?.type === "price" && fromTimestamp.price.eventTime, T + 123);
  // An event_time that is no time falls back to the message's times.
  const fallback = decodeLiveMessage("price", text({ ...message, event_time: "soon" }));
  assert.equal(fallback?.type === "price" && fallback.price.eventTime, 1699876543000);
});

Deno.test("decodeLiveMessage() refuses a price that does not match", () => {
  const refused: unknown[] = [
    { ...PRICE, symbol: "" },
    { ...PRICE, symbol: "X".repeat(65) },
    { ...PRICE, symbol: 7 },
    { ...PRICE, price_usd: 0 },
    { ...PRICE, price_usd: -1 },
    { ...PRICE, price_usd: "1" },
    { ...PRICE, price_usd: null },
    { ...PRICE, volume_24h: "1" },
    { ...PRICE, market_cap: false },
    { ...PRICE, price_change_24h: {} },
    { ...PRICE, event_time: "soon" },
    { ...PRICE, event_time: undefined, timestamp: "soon" },
    { ...PRICE, event_time: 5 },
    { ...PRICE, source: "kraken" },
  ];
  for (const value of refused) {
    assert.equal(decodeLiveMessage("price", text(value)), null, text(value));
  }
  const { source: _s, product: _p, quote: _q, ...unmarked } = PRICE;
  // A price of no market names one from its symbol, which must then make a product.
  assert.equal(decodeLiveMessage("price", text({ ...unmarked, symbol: "X".repeat(64) })), null);
  assert.notEqual(decodeLiveMessage("price", text(unmarked)), null);
  for (const bad of ["<html>", "", "[1]", "null", '"BTC"', "{"]) {
    assert.equal(decodeLiveMessage("price", bad), null, bad);
  }
});

Deno.test("decodeLiveMessage() reads a candle, its missing volume and VWAP as null", () => {
  assert.deepEqual(decodeLiveMessage("candle", text(CANDLE)), {
    type: "candle",
    candle: {
      source: "coingecko",
      product: "BTC-USD",
      symbol: "BTC",
      quote: "USD",
      interval: "1m",
      windowStart: Date.parse(CANDLE.window_start),
      windowEnd: Date.parse(CANDLE.window_end),
      open: 45234.56,
      high: 45300,
      low: 45200.12,
      close: 45250,
      samples: 6,
      trades: 6,
      volume: null,
      buyVolume: null,
      sellVolume: null,
      vwap: null,
      firstEvent: Date.parse(CANDLE.first_event),
      lastEvent: Date.parse(CANDLE.last_event),
      closed: true,
      revision: 0,
    },
  });
  const traded = decodeLiveMessage(
    "candle",
    text({
      ...CANDLE,
      source: "coinbase",
      product: "BTC-EUR",
      quote: "EUR",
      trades: 4,
      volume: 3,
      buy_volume: 2,
      sell_volume: 1,
      vwap: 45240,
    }),
  );
  assert.ok(traded?.type === "candle");
  assert.deepEqual(
    [traded.candle.source, traded.candle.product, traded.candle.quote, traded.candle.trades],
    ["coinbase", "BTC-EUR", "EUR", 4],
  );
  assert.deepEqual(
    [traded.candle.volume, traded.candle.buyVolume, traded.candle.sellVolume, traded.candle.vwap],
    [3, 2, 1, 45240],
  );
  const bare = { ...CANDLE, volume: undefined, vwap: undefined };
  const read = decodeLiveMessage("candle", text(bare));
  assert.ok(read?.type === "candle" && read.candle.volume === null && read.candle.vwap === null);
});

Deno.test("decodeLiveMessage() refuses a candle that does not match", () => {
  const refused: unknown[] = [
    { ...CANDLE, symbol: "" },
    { ...CANDLE, interval: "2m" },
    { ...CANDLE, interval: 1 },
    { ...CANDLE, window_start: "then" },
    { ...CANDLE, window_end: undefined },
    { ...CANDLE, first_event: null },
    { ...CANDLE, last_event: 5 },
    { ...CANDLE, open: "1" },
    { ...CANDLE, high: null },
    { ...CANDLE, low: undefined },
    { ...CANDLE, close: {} },
    { ...CANDLE, samples: "6" },
    { ...CANDLE, volume: "1" },
    { ...CANDLE, vwap: true },
    { ...CANDLE, closed: "true" },
    { ...CANDLE, revision: null },
    { ...CANDLE, source: "kraken" },
  ];
  for (const value of refused) {
    assert.equal(decodeLiveMessage("candle", text(value)), null, text(value));
  }
  // Numbers are only finite, not positive: the live stream shows what the pipeline wrote.
  assert.notEqual(decodeLiveMessage("candle", text({ ...CANDLE, open: -1, samples: 0.5 })), null);
  assert.equal(decodeLiveMessage("candle", "[]"), null);
});

Deno.test("decodeLiveMessage() reads an alert, a missing z-score as null", () => {
  assert.deepEqual(decodeLiveMessage("alert", text(ALERT)), {
    type: "alert",
    alert: {
      source: "coinbase",
      product: "BTC-EUR",
      symbol: "BTC",
      interval: "1m",
      windowStart: Date.parse(ALERT.window_start),
      kind: "anomaly",
      direction: "up",
      changePct: 6.12,
      zscore: 5.3,
      price: 48001,
      createdAt: Date.parse(ALERT.created_at),
    },
  });
  const move = decodeLiveMessage("alert", text({ ...ALERT, kind: "move", zscore: undefined }));
  assert.ok(move?.type === "alert" && move.alert.zscore === null && move.alert.kind === "move");
});

Deno.test("decodeLiveMessage() refuses an alert that does not match", () => {
  const refused: unknown[] = [
    { ...ALERT, symbol: "X".repeat(65) },
    { ...ALERT, interval: "1w" },
    { ...ALERT, window_start: "then" },
    { ...ALERT, created_at: undefined },
    { ...ALERT, kind: "spike" },
    { ...ALERT, direction: "sideways" },
    { ...ALERT, change_pct: null },
    { ...ALERT, zscore: "5" },
    { ...ALERT, price: "48001" },
    { ...ALERT, source: "kraken" },
  ];
  for (const value of refused) {
    assert.equal(decodeLiveMessage("alert", text(value)), null, text(value));
  }
  assert.equal(decodeLiveMessage("alert", "not json"), null);
});

Deno.test("decodeLiveMessage() reads a candle or alert of a process before markets as of the market it came from", () => {
  const {
    source: _s,
    product: _p,
    quote: _q,
    trades: _t,
    buy_volume: _b,
    sell_volume: _v,
    ...old
  } = CANDLE;
  const prices = decodeLiveMessage("candle", text(old));
  assert.ok(prices?.type === "candle");
  assert.deepEqual(
    [prices.candle.source, prices.candle.product, prices.candle.quote, prices.candle.trades],
    ["coingecko", "BTC-USD", "USD", 6],
  );
  assert.deepEqual([prices.candle.buyVolume, prices.candle.sellVolume], [null, null]);
  const { source: _as, product: _ap, ...oldAlert } = ALERT;
  const alert = decodeLiveMessage("alert", text(oldAlert));
  assert.ok(alert?.type === "alert");
  assert.deepEqual([alert.alert.source, alert.alert.product], ["coingecko", "BTC-USD"]);
  // Still refused when it does not match otherwise.
  assert.equal(decodeLiveMessage("candle", text({ ...old, interval: "2m" })), null);
  assert.equal(decodeLiveMessage("alert", text({ ...oldAlert, kind: "spike" })), null);
});
