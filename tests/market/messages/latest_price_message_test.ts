import assert from "node:assert/strict";
import type { LatestPrice } from "../../../market/latest_price.ts";
import {
  decodeLatestPrice,
  latestPriceJson,
} from "../../../market/messages/latest_price_message.ts";

const PRICE: LatestPrice = {
  source: "coinbase",
  product: "ETH-EUR",
  symbol: "ETH",
  priceUsd: 3100.25,
  volume24h: 1e9,
  marketCap: null,
  priceChange24h: -1.5,
  eventTime: Date.UTC(2025, 10, 12, 10, 30, 45),
};

Deno.test("decodeLatestPrice() reads back what latestPriceJson() writes, market and quote included", () => {
  const json = latestPriceJson(PRICE);
  assert.deepEqual(
    [json.source, json.product, json.symbol, json.quote],
    ["coinbase", "ETH-EUR", "ETH", "EUR"],
  );
  const text = JSON.stringify(json);
  assert.deepEqual(decodeLatestPrice(null, text, {}), { ok: true, message: PRICE });
});

Deno.test("decodeLatestPrice() reads a price message as CoinGecko's price of {symbol}-USD", () => {
  const message = { symbol: "ETH", price_usd: 3100.25, last_updated: 1_762_943_445 };
  assert.deepEqual(decodeLatestPrice(null, JSON.stringify(message), {}), {
    ok: true,
    message: {
      source: "coingecko",
      product: "ETH-USD",
      symbol: "ETH",
      priceUsd: 3100.25,
      volume24h: null,
      marketCap: null,
      priceChange24h: null,
      eventTime: 1_762_943_445_000,
    },
  });
});

Deno.test("decodeLatestPrice() names what does not match", () => {
  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...latestPriceJson(PRICE), ...changes });
  const cases: [string, string][] = [
    [value({ source: "binance" }), "source is not coingecko or coinbase"],
    [value({ product: "BTC-EUR" }), 'product "BTC-EUR" is not a product of ETH'],
    [value({ quote: "USD" }), "quote is not EUR, the quote of ETH-EUR"],
    [value({ price_usd: 0 }), "price_usd is not a finite positive number"],
    [value({ event_time: "soon" }), "event_time, last_updated and timestamp are not a time"],
    [value({ market_cap: "1" }), "market_cap is not a finite number or null"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(decodeLatestPrice(null, text, {}), { ok: false, reason }, text);
  }
});

Deno.test("latestPriceJson() writes an empty quote for a product that is not BASE-QUOTE", () => {
  const json = latestPriceJson({ ...PRICE, source: "coingecko", product: "ethereum" });
  assert.equal(json.quote, "");
  assert.equal(
    JSON.stringify(json),
    '{"source":"coingecko","product":"ethereum","symbol":"ETH","quote":"","price_usd":3100.25,' +
      '"volume_24h":1000000000,"market_cap":null,"price_change_24h":-1.5,' +
      '"event_time":"2025-11-12T10:30:45.000Z"}',
  );
});

Deno.test("decodeLatestPrice() reads a value with only one of source and product as a latest price, not a price message", () => {
  const base = { symbol: "ETH", price_usd: 3100.25, event_time: "2025-11-12T10:30:45.000Z" };
  assert.deepEqual(decodeLatestPrice(null, JSON.stringify({ ...base, source: "coinbase" }), {}), {
    ok: false,
    reason: "product is not BASE-QUOTE of upper-case letters and digits",
  });
  assert.deepEqual(decodeLatestPrice(null, JSON.stringify({ ...base, product: "ETH-EUR" }), {}), {
    ok: false,
    reason: "source is not coingecko or coinbase",
  });
});

Deno.test("decodeLatestPrice() refuses an empty value, a symbol past 64 characters, and a volume or change that is not a number", () => {
  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...latestPriceJson(PRICE), ...changes });
  const cases: [string | null, string][] = [
    [null, "value is empty"],
    ["", "value is empty"],
    ["{", "value is not JSON"],
    [value({ symbol: "E".repeat(65) }), "symbol is not 1-64 characters"],
    [value({ symbol: "" }), "symbol is not 1-64 characters"],
    [value({ symbol: 1 }), "symbol is not 1-64 characters"],
    [value({ volume_24h: "1" }), "volume_24h is not a finite number or null"],
    [value({ price_change_24h: "-1.5" }), "price_change_24h is not a finite number or null"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(decodeLatestPrice(null, text, {}), { ok: false, reason }, String(text));
  }
});
