import assert from "node:assert/strict";
import { parseMarketKey, productParts } from "../../market/market.ts";

Deno.test("productParts() takes only a whole BASE-QUOTE of 1-15 capitals or digits each", () => {
  assert.deepEqual(productParts("BTC-EUR"), { symbol: "BTC", quote: "EUR" });
  assert.deepEqual(productParts("1INCH-USDT"), { symbol: "1INCH", quote: "USDT" });
  assert.deepEqual(productParts("ABCDEFGHIJKLMNO-X"), { symbol: "ABCDEFGHIJKLMNO", quote: "X" });
  for (
    const text of [
      "BTC-USD-EUR", // one more part after the quote
      "BTC-USDx",
      "BTC-USD ",
      "xBTC-USD", // something before the base
      " BTC-USD",
      "eth/BTC-USD",
      "ABCDEFGHIJKLMNOP-USD", // a base of 16
      "BTC-ABCDEFGHIJKLMNOP",
      "btc-usd",
      "BTC",
      "-USD",
    ]
  ) {
    assert.equal(productParts(text), null, text);
  }
});

Deno.test("parseMarketKey() takes a known source and a product, and nothing else", () => {
  assert.deepEqual(parseMarketKey("coinbase:BTC-EUR"), { source: "coinbase", product: "BTC-EUR" });
  assert.deepEqual(parseMarketKey("coingecko:ETH-USD"), {
    source: "coingecko",
    product: "ETH-USD",
  });
  for (
    const key of [
      "coinbase:btc-eur",
      "coinbase:BTC",
      "coinbase:",
      "coinbase:BTC-EUR:x",
      "binance:BTC-EUR",
      ":BTC-EUR",
      "coinbaseBTC-EUR",
      "BTC-EUR",
    ]
  ) {
    assert.equal(parseMarketKey(key), null, key);
  }
});
