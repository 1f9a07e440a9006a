import assert from "node:assert/strict";
import type { LatestPrice } from "../../../market/latest_price.ts";
import {
  decodeLatestPrice,
  latestPriceJson,
} from "../../../market/messages/latest_price_message.ts";

const PRICE: LatestPrice = {
  symbol: "ETH",
  priceUsd: 3100.25,
  volume24h: 1e9,
  marketCap: null,
  priceChange24h: -1.5,
  eventTime: Date.UTC(2025, 10, 12, 10, 30, 45),
};

Deno.test("decodeLatestPrice() reads back what latestPriceJson() writes", () => {
  const text = JSON.stringify(latestPriceJson(PRICE));
  assert.deepEqual(decodeLatestPrice(null, text, {}), { ok: true, message: PRICE });
});

Deno.test("decodeLatestPrice() names what does not match", () => {
  const value = (changes: Record<string, unknown>) =>
    JSON.stringify({ ...latestPriceJson(PRICE), ...changes });
  const cases: [string, string][] = [
    [value({ price_usd: 0 }), "price_usd is not a finite positive number"],
    [value({ event_time: "soon" }), "event_time, last_updated and timestamp are not a time"],
    [value({ market_cap: "1" }), "market_cap is not a finite number or null"],
  ];
  for (const [text, reason] of cases) {
    assert.deepEqual(decodeLatestPrice(null, text, {}), { ok: false, reason }, text);
  }
});
