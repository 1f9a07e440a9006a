import assert from "node:assert/strict";
import { decodeLiveMessage } from "../../http/live_decode.ts";

const PRICE = {
  symbol: "BTC",
  price_usd: 45234.56,
  volume_24h: 28456789012.34,
  market_cap: null,
  price_change_24h: 2.34,
  event_time: "2025-11-12T10:30:45.000Z",
};

const CANDLE = {
  symbol: "BTC",
  interval: "1m",
  window_start: "2025-11-12T10:30:00.000Z",
  window_end: "2025-11-12T10:31:00.000Z",
  open: 45234.56,
  high: 45300,
  low: 45200.12,
  close: 45250,
  samples: 6,
  volume: null,
  vwap: null,
  first_event: "2025-11-12T10:30:05.000Z",
  last_event: "2025-11-12T10:30:55.000Z",
  closed: true,
  revision: 0,
};

const ALERT = {
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
  assert.deepEqual(bare, {
    type: "price",
    price: {
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
  ];
  for (const value of refused) {
    assert.equal(decodeLiveMessage("price", text(value)), null, text(value));
  }
  assert.notEqual(decodeLiveMessage("price", text({ ...PRICE, symbol: "X".repeat(64) })), null);
  for (const bad of ["<html>", "", "[1]", "null", '"BTC"', "{"]) {
    assert.equal(decodeLiveMessage("price", bad), null, bad);
  }
});

Deno.test("decodeLiveMessage() reads a candle, its missing volume and VWAP as null", () => {
  assert.deepEqual(decodeLiveMessage("candle", text(CANDLE)), {
    type: "candle",
    candle: {
      symbol: "BTC",
      interval: "1m",
      windowStart: Date.parse(CANDLE.window_start),
      windowEnd: Date.parse(CANDLE.window_end),
      open: 45234.56,
      high: 45300,
      low: 45200.12,
      close: 45250,
      samples: 6,
      volume: null,
      vwap: null,
      firstEvent: Date.parse(CANDLE.first_event),
      lastEvent: Date.parse(CANDLE.last_event),
      closed: true,
      revision: 0,
    },
  });
  const traded = decodeLiveMessage("candle", text({ ...CANDLE, volume: 3, vwap: 45240 }));
  assert.ok(
    traded?.type === "candle" && traded.candle.volume === 3 && traded.candle.vwap === 45240,
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
  ];
  for (const value of refused) {
    assert.equal(decodeLiveMessage("alert", text(value)), null, text(value));
  }
  assert.equal(decodeLiveMessage("alert", "not json"), null);
});
