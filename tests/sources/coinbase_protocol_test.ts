import assert from "node:assert/strict";
import {
  MAX_FRAME_LENGTH,
  parseFeedFrame,
  productSymbol,
  subscribeFrame,
  tradeMessage,
} from "../../sources/coinbase_protocol.ts";

const match = {
  type: "match",
  trade_id: 10,
  sequence: 50,
  maker_order_id: "ac928c66-ca53-498f-9c13-a110027a60e8",
  taker_order_id: "132fb6ae-456b-4654-b4e0-d681ac05cea1",
  time: "2014-11-07T08:19:27.028459Z",
  product_id: "BTC-USD",
  size: "5.23512",
  price: "400.23",
  side: "sell",
};

Deno.test("subscribeFrame() asks for the matches and heartbeat channels of the products", () => {
  assert.deepEqual(JSON.parse(subscribeFrame(["BTC-USD", "ETH-USD"])), {
    type: "subscribe",
    product_ids: ["BTC-USD", "ETH-USD"],
    channels: ["matches", "heartbeat"],
  });
});

Deno.test("parseFeedFrame() reads a match of the feed's documented form, prices and sizes as numbers", () => {
  assert.deepEqual(parseFeedFrame(JSON.stringify(match)), {
    type: "trade",
    trade: {
      productId: "BTC-USD",
      tradeId: 10,
      price: 400.23,
      size: 5.23512,
      side: "sell",
      time: "2014-11-07T08:19:27.028459Z",
      timeMs: Date.UTC(2014, 10, 7, 8, 19, 27, 28),
      sequence: 50,
      last: false,
    },
  });
  const last = parseFeedFrame(JSON.stringify({ ...match, type: "last_match" }));
  assert.equal(last.type === "trade" && last.trade.last, true);
  const noSequence = parseFeedFrame(JSON.stringify({ ...match, sequence: undefined }));
  assert.equal(noSequence.type === "trade" && noSequence.trade.sequence, null);
});

Deno.test("parseFeedFrame() reads subscriptions, heartbeats and errors, and ignores other types", () => {
  assert.deepEqual(
    parseFeedFrame(JSON.stringify({
      type: "subscriptions",
      channels: [{ name: "heartbeat", product_ids: ["X-Y"] }, {
        name: "matches",
        product_ids: ["BTC-USD", "ETH-USD"],
      }],
    })),
    { type: "subscriptions", products: ["BTC-USD", "ETH-USD"] },
  );
  assert.deepEqual(
    parseFeedFrame(JSON.stringify({
      type: "heartbeat",
      sequence: 90,
      last_trade_id: 20,
      product_id: "BTC-USD",
      time: "2014-11-07T08:19:28.464459Z",
    })),
    { type: "heartbeat", productId: "BTC-USD", lastTradeId: 20 },
  );
  assert.deepEqual(
    parseFeedFrame(JSON.stringify({
      type: "error",
      message: "Failed to subscribe",
      reason: "NOPE-USD is not a valid product",
    })),
    { type: "error", message: "Failed to subscribe", reason: "NOPE-USD is not a valid product" },
  );
  assert.deepEqual(parseFeedFrame('{"type":"ticker"}'), { type: "ignored", kind: "ticker" });
});

Deno.test("parseFeedFrame() calls malformed, with the reason, every frame that is not what the feed sends", () => {
  const cases: [unknown, RegExp][] = [
    ["{not json", /^not JSON: /],
    ["[1]", /^not a JSON object/],
    ['"text"', /^not a JSON object/],
    ["{}", /^no type/],
    [new Uint8Array([1, 2]), /^a binary frame$/],
    ["x".repeat(MAX_FRAME_LENGTH + 1), /^a frame of \d+ characters$/],
    [JSON.stringify({ ...match, product_id: "btc-usd" }), /product_id "btc-usd"/],
    [JSON.stringify({ ...match, trade_id: "10" }), /trade_id "10"/],
    [JSON.stringify({ ...match, trade_id: -1 }), /trade_id -1/],
    [JSON.stringify({ ...match, trade_id: 1.5 }), /trade_id 1.5/],
    [JSON.stringify({ ...match, price: "0" }), /price "0"/],
    [JSON.stringify({ ...match, price: "-5" }), /price "-5"/],
    [JSON.stringify({ ...match, price: "1e3" }), /price "1e3"/],
    [JSON.stringify({ ...match, price: null }), /price null/],
    [JSON.stringify({ ...match, size: "abc" }), /size "abc"/],
    [JSON.stringify({ ...match, side: "hold" }), /side "hold"/],
    [JSON.stringify({ ...match, time: "yesterday" }), /time "yesterday"/],
    [JSON.stringify({ ...match, time: "2014-11-07" }), /time "2014-11-07"/],
    [JSON.stringify({ ...match, sequence: "5" }), /sequence "5"/],
    [JSON.stringify({ type: "heartbeat" }), /heartbeat with product_id/],
  ];
  for (const [frame, reason] of cases) {
    const event = parseFeedFrame(frame);
    assert.equal(event.type, "malformed", `${String(frame).slice(0, 60)} was taken`);
    if (event.type === "malformed") assert.match(event.reason, reason);
  }
});

Deno.test("tradeMessage() makes the trade message: the base currency as symbol, source coinbase", () => {
  const event = parseFeedFrame(JSON.stringify(match));
  assert.equal(event.type, "trade");
  if (event.type !== "trade") return;
  assert.deepEqual(tradeMessage(event.trade, "2014-11-07T08:19:27.031Z"), {
    symbol: "BTC",
    product_id: "BTC-USD",
    trade_id: 10,
    price: 400.23,
    size: 5.23512,
    side: "sell",
    time: "2014-11-07T08:19:27.028459Z",
    sequence: 50,
    received_at: "2014-11-07T08:19:27.031Z",
    source: "coinbase",
  });
  assert.equal(productSymbol("USDT-EUR"), "USDT");
});
