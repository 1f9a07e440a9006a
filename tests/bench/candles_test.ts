import assert from "node:assert/strict";
import { candleTrades, scaleProducts } from "../../bench/candles.ts";
import { productParts } from "../../market/market.ts";
import { decodeTrade } from "../../market/messages/trade_message.ts";

Deno.test("scaleProducts() makes distinct BASE-QUOTE products with prices above 0", () => {
  const products = scaleProducts(1000);
  assert.equal(products.length, 1000);
  assert.equal(new Set(products.map(([p]) => p)).size, 1000);
  assert.deepEqual(products.slice(0, 2).map(([p]) => p), ["C0001-USD", "C0002-USD"]);
  assert.equal(products.at(-1)![0], "C1000-USD");
  for (const [product, price] of products) {
    assert.notEqual(productParts(product), null, product);
    assert.ok(price > 0, product);
  }
});

Deno.test("candleTrades() over made-up products: every record a trade the candles take, one closing per product", () => {
  const products = scaleProducts(50);
  const { records, closing } = candleTrades(2_000, products);
  assert.equal(records.length, 2_000);
  assert.equal(closing, 50);
  const read = { now: Date.UTC(2026, 0, 1), maxAheadMs: 300_000 };
  const seen = new Set<string>();
  for (const record of records) {
    const decoded = decodeTrade(record.key, record.value, record.headers, read);
    assert.ok(decoded.ok, decoded.ok ? "" : decoded.reason);
    seen.add(decoded.message.product_id);
  }
  assert.equal(seen.size, 50);
  // The last one per product comes two hours after the others.
  const time = (i: number) => Date.parse(JSON.parse(records[i]!.value).time);
  assert.ok(time(records.length - closing) - time(records.length - closing - 1) >= 7_200_000);
});

Deno.test("candleTrades() keeps its 10 real products by default", () => {
  const { records, closing } = candleTrades(100);
  assert.equal(closing, 10);
  assert.equal(JSON.parse(records[0]!.value).product_id, "BTC-USD");
});
