import assert from "node:assert/strict";
import type { Candle } from "../../../market/candle.ts";
import {
  CANDLE_HEADERS,
  decodeCandle,
  encodeCandle,
} from "../../../market/messages/candle_message.ts";

const START = Date.UTC(2025, 10, 12, 10, 30);
const CANDLE: Candle = {
  source: "coinbase",
  product: "BTC-EUR",
  symbol: "BTC",
  quote: "EUR",
  interval: "1m",
  windowStart: START,
  windowEnd: START + 60_000,
  open: 45234.56,
  high: 45300,
  low: 45200.12,
  close: 45250,
  samples: 6,
  trades: 6,
  volume: 1.25,
  buyVolume: 1,
  sellVolume: 0.25,
  vwap: 45240.5,
  firstEvent: START + 5_000,
  lastEvent: START + 55_000,
  closed: true,
  revision: 2,
};

Deno.test("encodeCandle() keys by market, stamps the window's end, and decodeCandle() reads it back", () => {
  const encoded = encodeCandle(CANDLE);
  assert.equal(encoded.key, "coinbase:BTC-EUR");
  assert.equal(encoded.timestamp, START + 60_000);
  assert.deepEqual(encoded.headers, { ...CANDLE_HEADERS });
  assert.notEqual(encoded.headers, encodeCandle(CANDLE).headers, "each record its own headers");
  assert.deepEqual(Object.keys(JSON.parse(encoded.value)), [
    "source",
    "product",
    "symbol",
    "quote",
    "interval",
    "window_start",
    "window_end",
    "open",
    "high",
    "low",
    "close",
    "samples",
    "trades",
    "volume",
    "buy_volume",
    "sell_volume",
    "vwap",
    "first_event",
    "last_event",
    "closed",
    "revision",
  ]);
  assert.deepEqual(decodeCandle(encoded.key, encoded.value, encoded.headers), {
    ok: true,
    message: CANDLE,
  });
  const prices: Candle = {
    ...CANDLE,
    source: "coingecko",
    product: "BTC-USD",
    quote: "USD",
    volume: null,
    buyVolume: null,
    sellVolume: null,
    vwap: null,
  };
  const again = encodeCandle(prices);
  assert.equal(again.key, "coingecko:BTC-USD");
  assert.deepEqual(decodeCandle(again.key, again.value, again.headers), {
    ok: true,
    message: prices,
  });
});

Deno.test("decodeCandle() names the first field that does not match", () => {
  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...JSON.parse(encodeCandle(CANDLE).value), ...changes });
  const cases: [string | null, string][] = [
    [null, "value is empty"],
    ["[]", "value is not a JSON object"],
    ["{", "value is not JSON"],
    [value({ symbol: "" }), "symbol is not 1-64 characters"],
    [value({ source: "binance" }), "source is not coingecko or coinbase"],
    [value({ source: undefined }), "source is not coingecko or coinbase"],
    [value({ product: "BTCEUR" }), "product is not BASE-QUOTE of upper-case letters and digits"],
    [value({ product: "ETH-EUR" }), 'product "ETH-EUR" is not a product of BTC'],
    [value({ quote: "USD" }), "quote is not EUR, the quote of BTC-EUR"],
    [value({ interval: "2m" }), "interval is not an interval"],
    [value({ last_event: "later" }), "last_event is not an ISO-8601 time"],
    [value({ samples: "6" }), "samples is not a finite number"],
    [value({ trades: null }), "trades is not a finite number"],
    [value({ buy_volume: "1" }), "buy_volume is not a finite number or null"],
    [value({ vwap: "1" }), "vwap is not a finite number or null"],
    [value({ closed: 1 }), "closed is not true or false"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(decodeCandle(null, text, {}), { ok: false, reason }, String(text));
  }
});

Deno.test("encodeCandle() writes the crypto-candle/v1 headers", () => {
  const expected = { "content-type": "application/json", "schema": "crypto-candle/v1" };
  assert.deepEqual(encodeCandle(CANDLE).headers, expected);
  assert.deepEqual(CANDLE_HEADERS, expected);
});
