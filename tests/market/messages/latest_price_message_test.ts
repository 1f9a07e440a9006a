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
