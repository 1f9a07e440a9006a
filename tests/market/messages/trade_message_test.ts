import assert from "node:assert/strict";
import {
  decodeTrade,
  encodeTrade,
  type TradeMessage,
} from "../../../market/messages/trade_message.ts";

const TRADE: TradeMessage = {
  symbol: "BTC",
  product_id: "BTC-USD",
  trade_id: 7,
  price: 1.5,
  size: 2,
  side: "buy",
  time: "2025-01-01T00:00:00.000Z",
  sequence: 1,
  received_at: "2025-01-01T00:00:00.010Z",
  source: "coinbase",
};

/** When the trades of these tests are read. */
const READ = { now: Date.parse("2026-01-01T00:00:00Z"), maxAheadMs: 300_000 };

function decode(key: string | null, value: string | null, notUtf8?: ("key" | "value")[]) {
  return decodeTrade(key, value, {}, READ, notUtf8);
}

const reason = (key: string | null, value: unknown, notUtf8?: ("key" | "value")[]) => {
  const decoded = decode(
    key,
    typeof value === "string" || value === null ? value : JSON.stringify(value),
    notUtf8,
  );
  assert.equal(decoded.ok, false, `accepted: ${JSON.stringify(value)}`);
  return decoded.ok ? "" : decoded.reason;
};

Deno.test("encodeTrade() keys the trade by symbol, its fields in the message's order, its time as timestamp", () => {
  const encoded = encodeTrade({ ...TRADE, source: "coinbase" });
  assert.equal(encoded.key, "BTC");
  assert.deepEqual(Object.keys(JSON.parse(encoded.value)), Object.keys(TRADE));
  assert.deepEqual(encoded.headers, {
    "content-type": "application/json",
    schema: "crypto-trade/v1",
  });
  assert.equal(encoded.timestamp, Date.parse(TRADE.time));
  assert.equal(encodeTrade(TRADE, 5).timestamp, 5);
  assert.equal(encodeTrade(TRADE).headers, encodeTrade(TRADE).headers, "one shared object");
});

Deno.test("decodeTrade() accepts what encodeTrade writes, with or without a key", () => {
  const decoded = decode("BTC", encodeTrade(TRADE).value);
  assert.deepEqual(decoded, { ok: true, message: TRADE });
  assert.equal(decode(null, encodeTrade(TRADE).value).ok, true);
  assert.equal(decode("BTC", JSON.stringify({ ...TRADE, sequence: null })).ok, true);
});

Deno.test("decodeTrade() refuses what does not match, with the reason", () => {
  const cases: [string | null, unknown, string, ("key" | "value")[]?][] = [
    ["BTC", TRADE, "value not UTF-8", ["value"]],
    ["BTC", TRADE, "key and value not UTF-8", ["key", "value"]],
    ["BTC", null, "value is empty"],
    ["BTC", "", "value is empty"],
    ["BTC", "{", "value is not JSON"],
    ["BTC", "[1]", "value is not a JSON object"],
    ["BTC", "null", "value is not a JSON object"],
    ["BTC", { ...TRADE, side: undefined, time: undefined }, "missing side, time"],
    ["BTC", { ...TRADE, symbol: "btc" }, "symbol is not 1-15 upper-case letters and digits"],
    [
      "BTC",
      { ...TRADE, symbol: "X".repeat(16) },
      "symbol is not 1-15 upper-case letters and digits",
    ],
    ["ETH", TRADE, "key does not match symbol"],
    ["BTC", { ...TRADE, trade_id: 1.5 }, "trade_id is not a whole number"],
    ["BTC", { ...TRADE, trade_id: -1 }, "trade_id is not a whole number"],
    ["BTC", { ...TRADE, trade_id: "7" }, "trade_id is not a whole number"],
    ["BTC", { ...TRADE, price: 0 }, "price is not a positive number"],
    ["BTC", { ...TRADE, price: "1.5" }, "price is not a positive number"],
    ["BTC", { ...TRADE, size: -2 }, "size is not a positive number"],
    ["BTC", { ...TRADE, side: "hold" }, "side is not buy or sell"],
    ["BTC", { ...TRADE, time: "later" }, "time is not an ISO-8601 time"],
    ["BTC", { ...TRADE, time: 5 }, "time is not an ISO-8601 time"],
    ["BTC", { ...TRADE, received_at: "later" }, "received_at is not an ISO-8601 time"],
    ["BTC", { ...TRADE, sequence: "1" }, "sequence is not a number"],
    ["BTC", { ...TRADE, product_id: 1 }, "product_id or source is not text"],
    ["BTC", { ...TRADE, source: null }, "product_id or source is not text"],
  ];
  for (const [key, value, expected, notUtf8] of cases) {
    assert.equal(reason(key, value, notUtf8), expected, JSON.stringify(value));
  }
});

Deno.test("decodeTrade() accepts a sell, a trade id of 0, and an empty list of parts not UTF-8", () => {
  const sell = { ...TRADE, side: "sell" as const, trade_id: 0 };
  assert.deepEqual(decode("BTC", JSON.stringify(sell)), { ok: true, message: sell });
  assert.deepEqual(decode("BTC", JSON.stringify(TRADE), []), { ok: true, message: TRADE });
});

Deno.test("decodeTrade() refuses a symbol that is not text, a day past its month's end, and a product that only starts with the symbol", () => {
  assert.equal(
    reason(null, { ...TRADE, symbol: 123 }),
    "symbol is not 1-15 upper-case letters and digits",
  );
  assert.equal(
    reason("BTC", { ...TRADE, time: "2025-02-30T00:00:00Z" }),
    'time "2025-02-30T00:00:00Z" is not a date: February 2025 has 28 days',
  );
  assert.equal(
    reason("BTC", { ...TRADE, product_id: "BTCX-USD" }),
    'product_id "BTCX-USD" is not a product of BTC',
  );
});
