import assert from "node:assert/strict";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { priceEventTime, priceObservation, tradeIdentity } from "../../market/observation.ts";
import { priceFromMessage } from "../support/market_reference.ts";
import { recordedPrice } from "../support/prices.ts";

const message = (lastUpdated: number | null, timestamp: string): PriceMessage => ({
  ...recordedPrice("ETH", 0, 3_000.5),
  last_updated: lastUpdated,
  timestamp,
});

Deno.test("A price whose last_updated is null counts at its timestamp, in the window of its timestamp", () => {
  const m = message(null, "2025-11-12T10:30:59.999Z");
  const time = Date.UTC(2025, 10, 12, 10, 30, 59, 999);
  assert.equal(priceEventTime(m), time);
  const observation = priceObservation(m);
  assert.deepEqual(observation, {
    source: "coingecko",
    product: "ETH-USD",
    time,
    price: 3_000.5,
    size: null,
    taker: null,
    id: time,
  });
  // Its minute is the one of 10:30, as the reference works it out from the message alone.
  assert.equal(Math.floor(observation.time / 60_000) * 60_000, Date.UTC(2025, 10, 12, 10, 30));
  assert.equal(priceFromMessage(m).time, observation.time);
});

Deno.test("A price with a last_updated counts at it, to the nearest millisecond, whatever its timestamp", () => {
  const cases: [number, string, number][] = [
    [1_762_943_459, "2025-11-12T10:31:10.700Z", Date.UTC(2025, 10, 12, 10, 30, 59)],
    [1_762_943_459.9996, "2025-11-12T10:31:10.700Z", Date.UTC(2025, 10, 12, 10, 31, 0)],
    [1_762_943_459.1234, "2025-11-12T10:29:00.000Z", Date.UTC(2025, 10, 12, 10, 30, 59, 123)],
  ];
  for (const [lastUpdated, timestamp, time] of cases) {
    const m = message(lastUpdated, timestamp);
    assert.equal(priceObservation(m).time, time, `${lastUpdated}`);
    assert.equal(priceFromMessage(m).time, time, `${lastUpdated}, the reference`);
  }
});

Deno.test("A trade's identity is minus its trade id plus one: negative, one per trade, apart from every price's", () => {
  assert.equal(tradeIdentity(0), -1);
  assert.equal(tradeIdentity(41), -42);
  assert.equal(tradeIdentity(1_000_000_000), -1_000_000_001);
});
