import assert from "node:assert/strict";
import type { Candle } from "../../../market/candle.ts";
import {
  CANDLE_HEADERS,
  decodeCandle,
  encodeCandle,
} from "../../../market/messages/candle_message.ts";

const START = Date.UTC(2025, 10, 12, 10, 30);
const CANDLE: Candle = {
  symbol: "BTC",
  interval: "1m",
  windowStart: START,
  windowEnd: START + 60_000,
  open: 45234.56,
  high: 45300,
  low: 45200.12,
  close: 45250,
  samples: 6,
  volume: 1.25,
  vwap: 45240.5,
  firstEvent: START + 5_000,
  lastEvent: START + 55_000,
  closed: true,
  revision: 2,
};

Deno.test("encodeCandle() keys by symbol, stamps the window's end, and decodeCandle() reads it back", () => {
  const encoded = encodeCandle(CANDLE);
  assert.equal(encoded.key, "BTC");
  assert.equal(encoded.timestamp, START + 60_000);
  assert.deepEqual(encoded.headers, { ...CANDLE_HEADERS });
  assert.notEqual(encoded.headers, encodeCandle(CANDLE).headers, "each record its own headers");
  assert.deepEqual(Object.keys(JSON.parse(encoded.value)), [
    "symbol",
    "interval",
    "window_start",
    "window_end",
    "open",
    "high",
    "low",
    "close",
    "samples",
    "volume",
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
});

Deno.test("decodeCandle() names the first field that does not match", () => {
  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...JSON.parse(encodeCandle(CANDLE).value), ...changes });
  const cases: [string | null, string][] = [
    [null, "value is empty"],
    ["[]", "value is not a JSON object"],
    ["{", "value is not JSON"],
    [value({ symbol: "" }), "symbol is not 1-64 characters"],
    [value({ interval: "2m" }), "interval is not an interval"],
    [value({ last_event: "later" }), "last_event is not an ISO-8601 time"],
    [value({ samples: "6" }), "samples is not a finite number"],
    [value({ vwap: "1" }), "vwap is not a finite number or null"],
    [value({ closed: 1 }), "closed is not true or false"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(decodeCandle(null, text, {}), { ok: false, reason }, String(text));
  }
});
