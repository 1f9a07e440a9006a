import assert from "node:assert/strict";
import type { Candle, Interval } from "../../market/candle.ts";
import { CandleBook, type CandleBookOptions } from "../../market/candle_book.ts";
import { priceMarket } from "../../market/market.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { type Observation, priceObservation } from "../../market/observation.ts";
import { SeenSet } from "../../market/seen_set.ts";
import {
  priceFromMessage,
  type RawObservation,
  referenceCandles,
  referenceKey,
} from "../support/candle_reference.ts";
import { MemoryStore } from "../support/memory_store.ts";
import { recordedPrice, seeded } from "../support/prices.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 30);
const S = 1_000;
const M = 60_000;
/** The markets of CoinGecko's BTC and ETH prices. */
const BTC = "coingecko:BTC-USD";
const ETH = "coingecko:ETH-USD";
/** The market of Coinbase's BTC-USD trades. */
const COINBASE_BTC = "coinbase:BTC-USD";
const price = (time: number, p: number, symbol = "BTC"): Observation => ({
  ...priceMarket(symbol),
  time,
  price: p,
  size: null,
  taker: null,
  id: time,
});

/** A trade of `product` (Coinbase's maker `side` given: the taker is the other side). */
const trade = (
  time: number,
  p: number,
  size: number,
  id: number,
  options: { product?: string; side?: "buy" | "sell" } = {},
): Observation => ({
  source: "coinbase",
  product: options.product ?? "BTC-USD",
  time,
  price: p,
  size,
  taker: (options.side ?? "buy") === "sell" ? "buy" : "sell",
  id: -(id + 1),
});

/**
 * An observation given to the book as the reference takes it: its identity as the test made it,
 * Coinbase's maker side the other side than the taker the test chose.
 */
const asReference = (o: Observation): RawObservation => ({
  source: o.source,
  product: o.product,
  time: o.time,
  price: o.price,
  size: o.size,
  makerSide: o.taker === null ? null : o.taker === "buy" ? "sell" : "buy",
  identity: String(o.id),
});

function book(options: Partial<CandleBookOptions> = {}): CandleBook {
  const b = new CandleBook({
    intervals: ["1m"],
    outOfOrdernessMs: 10 * S,
    allowedLatenessMs: 60 * S,
    idleTimeoutMs: 120 * S,
    ...options,
  });
  for (const market of [BTC, ETH]) b.claim(market, { state: null, epoch: 1, candles: [] }, 0);
  return b;
}

/** A stream of prices of two symbols, out of order by at most `disorder` ms, with repeats. */
function stream(seed: number, count: number, disorder: number): Observation[] {
  const rnd = seeded(seed);
  const out: Observation[] = [];
  for (let i = 0; i < count; i++) {
    const symbol = rnd() < 0.5 ? "BTC" : "ETH";
    const base = T0 + i * 2 * S;
    const time = Math.max(T0, base - Math.floor(rnd() * disorder / S) * S);
    out.push(price(time, Math.round(1000 + rnd() * 100_000) / 100, symbol));
    if (rnd() < 0.15) out.push({ ...out[Math.floor(rnd() * out.length)]! });
  }
  return out;
}

Deno.test("CandleBook folds out-of-order prices within the out-of-orderness into the candles an independent computation gives", async () => {
  const intervals: Interval[] = ["1m", "5m", "15m"];
  for (const seed of [1, 2, 3]) {
    const observations = stream(seed, 600, 10 * S);
    const b = book({ intervals, idleTimeoutMs: 1e12 });
    const store = new MemoryStore();
    for (const o of observations) {
      b.apply(o, 0);
      await store.write(b.flush(b.dirtyMarkets).write);
    }
    const expected = referenceCandles(observations.map(asReference), intervals);
    const got = store.table();
    assert.equal(got.length, expected.size);
    for (const candle of got) {
      const { closed: _c, revision, ...fields } = candle;
      assert.deepEqual(fields, expected.get(referenceKey(candle)));
      assert.equal(revision, 0, "no observation was late");
    }
    // Repeats of prices whose windows are past the lateness are dropped as late: either way, once.
    assert.equal(b.counts.repeats + b.counts.late, observations.length - b.counts.added);
  }
});

Deno.test("CandleBook closes a window once its market's watermark passes the window's end", () => {
  const b = book();
  b.apply(price(T0 + 5 * S, 100), 0);
  b.apply(price(T0 + M + 9 * S, 101), 0); // watermark T0 + 59 s
  assert.deepEqual(b.flush([BTC]).closed, []);
  b.apply(price(T0 + M + 10 * S, 102), 0); // watermark T0 + 60 s: the first window closes
  const { closed } = b.flush([BTC]);
  assert.equal(closed.length, 1);
  assert.deepEqual(
    [closed[0]!.windowStart, closed[0]!.open, closed[0]!.close, closed[0]!.samples],
    [T0, 100, 100, 1],
  );
  assert.equal(closed[0]!.closed, true);
  assert.equal(b.watermark(BTC), T0 + M);
  assert.equal(b.watermark(ETH), -Infinity, "each market has its own watermark");
});

Deno.test("CandleBook revises a closed candle with a late price within the allowed lateness, and drops and counts a later one", () => {
  const b = book();
  b.apply(price(T0 + 10 * S, 100), 0);
  b.apply(price(T0 + 2 * M, 110), 0); // closes the first window
  const first = b.flush([BTC]);
  assert.deepEqual(first.closed.map((c) => [c.windowStart, c.revision]), [[T0, 0]]);
  // Within the lateness (watermark T0 + 110 s < window end T0 + 60 s + 60 s):
  assert.equal(b.apply(price(T0 + 20 * S, 90), 0), "added");
  const revised = b.flush([BTC]);
  assert.equal(revised.closed.length, 1);
  const [candle] = revised.closed as [Candle];
  assert.deepEqual([candle.revision, candle.samples, candle.low, candle.close], [1, 2, 90, 90]);
  assert.deepEqual(revised.write.publish, [candle]);
  // The watermark moves past the lateness: a price for that window now is dropped and counted.
  b.apply(price(T0 + 2 * M + 10 * S, 111), 0); // watermark T0 + 120 s = end + lateness
  assert.equal(b.apply(price(T0 + 30 * S, 1), 0), "late");
  assert.equal(b.counts.late, 1);
  assert.equal(b.counts.revisions, 1);
});

Deno.test("CandleBook.wouldRevisePending() asks for a write between a close and its revision", () => {
  const b = book();
  b.apply(price(T0 + 10 * S, 100), 0);
  b.apply(price(T0 + 2 * M, 110), 0); // closes T0's window, not yet written
  const late = price(T0 + 20 * S, 90);
  assert.equal(b.wouldRevisePending(late), true);
  assert.equal(b.wouldRevisePending(price(T0 + 2 * M + S, 1)), false, "an open window");
  assert.equal(b.wouldRevisePending(price(T0 + 10 * S, 100)), false, "a repeat");
  b.flush([BTC]);
  assert.equal(b.wouldRevisePending(late), false, "the close is written");
});

Deno.test("CandleBook counts a repeated observation once and changes nothing for it", () => {
  const b = book();
  assert.equal(b.apply(price(T0, 100), 0), "added");
  b.flush([BTC]);
  assert.equal(b.apply(price(T0, 100), 0), "repeat");
  assert.deepEqual(b.flush([BTC]).write.candles, []);
  assert.equal(b.counts.repeats, 1);
});

Deno.test("CandleBook closes an idle market's open windows after the idle timeout of wall-clock time", () => {
  const b = book({ idleTimeoutMs: 120 * S });
  b.apply(price(T0, 100), 1_000);
  b.apply(price(T0, 100, "ETH"), 50_000);
  assert.equal(b.closeIdle(120_999), 0);
  assert.equal(b.closeIdle(121_000), 1, "BTC only: ETH brought a price later");
  const { closed } = b.flush([BTC, ETH]);
  assert.deepEqual(closed.map((c) => c.product), ["BTC-USD"]);
});

Deno.test("CandleBook.due() writes an open candle at most once a second and a closed one at once", () => {
  const b = book();
  b.apply(price(T0, 100), 0);
  assert.deepEqual(b.due(999), []);
  assert.deepEqual(b.due(1_000), [BTC]);
  b.flush([BTC]);
  b.apply(price(T0 + 2 * M, 100), 1_100); // closes T0's window
  assert.deepEqual(b.due(1_100), [BTC]);
});

Deno.test("CandleBook keeps trades' volume and VWAP", () => {
  const b = book();
  b.claim(COINBASE_BTC, { state: null, epoch: 1, candles: [] }, 0);
  b.apply(trade(T0, 100, 2, 1), 0);
  b.apply(trade(T0, 110, 1, 2), 0); // same millisecond: the later trade closes
  b.apply(trade(T0 + S, 90, 1, 3), 0);
  const [candle] = b.flush([COINBASE_BTC]).write.candles as [Candle];
  assert.deepEqual(
    [candle.open, candle.close, candle.volume, candle.samples, candle.trades],
    [100, 90, 4, 3, 3],
  );
  assert.ok(Math.abs(candle.vwap! - (200 + 110 + 90) / 4) < 1e-12);
});

Deno.test("SeenSet round-trips through its text form and lets old identities go", () => {
  const set = new SeenSet();
  for (const t of [T0, T0 + S, T0 + 7 * S]) set.add(t, t);
  set.add(-(123_456 + 1), T0 + 2 * S);
  const copy = SeenSet.decode(set.encode());
  assert.equal(copy.size, 4);
  assert.ok(copy.has(-123_457) && copy.has(T0 + 7 * S));
  assert.equal(copy.pruneBefore(T0 + 2 * S), 2);
  assert.ok(!copy.has(T0) && copy.has(-123_457));
  assert.throws(() => SeenSet.decode("zz:??"), SyntaxError);
});

Deno.test("A write from a process that lost the market to another is stale and changes nothing", async () => {
  const store = new MemoryStore();
  const a = new CandleBook({
    intervals: ["1m"],
    outOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    idleTimeoutMs: 1e12,
  });
  a.claim(BTC, await store.loadMarket(priceMarket("BTC"), a.horizonMs), 0);
  a.apply(price(T0, 100), 0);
  await store.write(a.flush([BTC]).write);
  const b = new CandleBook({
    intervals: ["1m"],
    outOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    idleTimeoutMs: 1e12,
  });
  b.claim(BTC, await store.loadMarket(priceMarket("BTC"), b.horizonMs), 0);
  a.apply(price(T0 + S, 999), 0);
  assert.deepEqual(await store.write(a.flush([BTC]).write), [BTC]);
  assert.equal(store.table()[0]!.close, 100);
  b.apply(price(T0 + S, 101), 0);
  assert.deepEqual(await store.write(b.flush([BTC]).write), []);
  assert.deepEqual([store.table()[0]!.close, store.table()[0]!.samples], [101, 2]);
});

Deno.test("CandleBook refuses a trade that would make a candle's volume or VWAP sums not finite, and changes nothing", () => {
  const b = book();
  b.claim(COINBASE_BTC, { state: null, epoch: 1, candles: [] }, 0);
  assert.equal(b.apply(trade(T0, 1e150, 1e150, 1), 0), "added");
  // A second such trade in the same window: price × size sums to Infinity.
  assert.equal(b.apply(trade(T0 + S, Number.MAX_VALUE, 1e10, 2), 0), "refused");
  assert.equal(b.apply(trade(T0 + S, 1, Infinity, 3), 0), "refused");
  assert.equal(b.apply(trade(T0 + S, NaN, 1, 4), 0), "refused");
  assert.equal(b.counts.refused, 3);
  const { changed } = b.flush([COINBASE_BTC]);
  assert.equal(changed.length, 1);
  assert.equal(changed[0]!.samples, 1);
  assert.ok(changed.every((c) => Number.isFinite(c.vwap) && Number.isFinite(c.volume)));
  // The refused ones were not seen: the watermark did not move and they are not repeats.
  assert.equal(b.watermark(COINBASE_BTC), T0 - 10 * S);
  assert.equal(b.apply(trade(T0 + S, 2, 3, 2), 0), "added");
});

/** Trades of two products of one base currency and CoinGecko prices of it, interleaved. */
function mixedStream(seed: number, count: number): Observation[] {
  const rnd = seeded(seed);
  const out: Observation[] = [];
  let id = 0;
  for (let i = 0; i < count; i++) {
    const time = T0 + i * 700 + Math.floor(rnd() * 500);
    const pick = rnd();
    if (pick < 0.2) out.push(price(time, Math.round(45_000 + rnd() * 1_000)));
    else {
      const product = pick < 0.6 ? "BTC-USD" : "BTC-EUR";
      const level = product === "BTC-USD" ? 45_000 : 41_000;
      const size = Math.round(rnd() * 1e8) / 1e8 + 1e-8;
      const side = rnd() < 0.5 ? "buy" : "sell";
      out.push(trade(time, Math.round(level + rnd() * 1_000) / 1, size, id++, { product, side }));
    }
    if (rnd() < 0.1) out.push({ ...out[Math.floor(rnd() * out.length)]! });
  }
  return out;
}

Deno.test("CandleBook never puts BTC-USD trades, BTC-EUR trades and CoinGecko's BTC price in one candle", async () => {
  const intervals: Interval[] = ["1m", "5m"];
  const observations = mixedStream(7, 900);
  const b = new CandleBook({
    intervals,
    outOfOrdernessMs: 10 * S,
    allowedLatenessMs: 60 * S,
    idleTimeoutMs: 1e12,
  });
  const store = new MemoryStore();
  for (const o of observations) {
    if (!b.has(o)) b.claim(o, { state: null, epoch: 1, candles: [] }, 0);
    b.apply(o, 0);
    await store.write(b.flush(b.dirtyMarkets).write);
  }
  assert.deepEqual(b.markets.sort(), ["coinbase:BTC-EUR", "coinbase:BTC-USD", "coingecko:BTC-USD"]);
  const expected = referenceCandles(observations.map(asReference), intervals);
  const table = store.table();
  assert.equal(table.length, expected.size);
  for (const { closed: _c, revision: _r, ...fields } of table) {
    assert.deepEqual(fields, expected.get(referenceKey(fields)));
  }
  // Each window of each interval has a candle of each market, each with its own prices.
  const first = table.filter((c) => c.interval === "1m" && c.windowStart === T0);
  assert.deepEqual(
    first.map((c) => [c.source, c.product, c.quote, c.volume === null]).sort(),
    [
      ["coinbase", "BTC-EUR", "EUR", false],
      ["coinbase", "BTC-USD", "USD", false],
      ["coingecko", "BTC-USD", "USD", true],
    ],
  );
  const euro = first.find((c) => c.product === "BTC-EUR")!;
  assert.ok(euro.high < 42_001 && euro.low >= 41_000, "no dollar price in the euro candle");
  const prices = first.find((c) => c.source === "coingecko")!;
  assert.deepEqual(
    [prices.trades, prices.buyVolume, prices.sellVolume, prices.vwap],
    [prices.samples, null, null, null],
  );
});

Deno.test("CandleBook counts a trade's size as buy volume when Coinbase's maker side is sell, and the volumes add up exactly", () => {
  const b = book();
  b.claim(COINBASE_BTC, { state: null, epoch: 1, candles: [] }, 0);
  b.apply(trade(T0, 100, 1.25, 1, { side: "sell" }), 0); // a buyer took a resting sell order
  b.apply(trade(T0 + S, 101, 0.75, 2, { side: "buy" }), 0); // a seller hit a resting buy order
  b.apply(trade(T0 + 2 * S, 102, 0.5, 3, { side: "sell" }), 0);
  const [candle] = b.flush([COINBASE_BTC]).write.candles as [Candle];
  assert.deepEqual(
    [candle.trades, candle.buyVolume, candle.sellVolume, candle.volume],
    [3, 1.75, 0.75, 2.5],
  );
  // Over many trades of awkward sizes, buy + sell is the volume to the last bit.
  const many = book();
  many.claim(COINBASE_BTC, { state: null, epoch: 1, candles: [] }, 0);
  const rnd = seeded(5);
  for (let i = 0; i < 500; i++) {
    const size = Math.round(rnd() * 1e8) / 1e8 + 1e-8;
    many.apply(
      trade(T0 + (i % 60) * S, 100, size, 10 + i, { side: rnd() < 0.5 ? "buy" : "sell" }),
      0,
    );
  }
  const [big] = many.flush([COINBASE_BTC]).write.candles as [Candle];
  assert.equal(big.trades, 500);
  assert.equal(big.buyVolume! + big.sellVolume!, big.volume);
  assert.ok(big.buyVolume! > 0 && big.sellVolume! > 0);
});

Deno.test("CandleBook refuses a trade that does not say who took it, and a claim of a key that is no market", () => {
  const b = book();
  b.claim(COINBASE_BTC, { state: null, epoch: 1, candles: [] }, 0);
  assert.equal(b.apply({ ...trade(T0, 100, 1, 1), taker: null }, 0), "refused");
  assert.deepEqual(b.flush([COINBASE_BTC]).write.candles, []);
  assert.throws(() => b.claim("BTC", { state: null, epoch: 1, candles: [] }, 0), RangeError);
  assert.throws(
    () => b.claim("binance:BTC-USD", { state: null, epoch: 1, candles: [] }, 0),
    RangeError,
  );
});

Deno.test("CandleBook puts a price whose last_updated is null in the window of its timestamp, and counts its repeat once", () => {
  const message = (lastUpdated: number | null, timestamp: string, price: number): PriceMessage => ({
    ...recordedPrice("BTC", 0, price),
    last_updated: lastUpdated,
    timestamp,
  });
  const messages = [
    message(Date.UTC(2025, 10, 12, 10, 30, 50) / 1000, "2025-11-12T10:30:50.700Z", 100),
    // No time from CoinGecko: it counts when it was read, 10:31:00.250, the next minute.
    message(null, "2025-11-12T10:31:00.250Z", 101),
    message(null, "2025-11-12T10:31:00.250Z", 101),
    // Read at 10:31:10.7 but dated 10:30:55 by CoinGecko: the 10:30 window.
    message(Date.UTC(2025, 10, 12, 10, 30, 55) / 1000, "2025-11-12T10:31:10.700Z", 99),
  ];
  const b = book({ intervals: ["1m"] });
  assert.deepEqual(messages.map((m) => b.apply(priceObservation(m), 0)), [
    "added",
    "added",
    "repeat",
    "added",
  ]);
  const candles = b.flush([BTC]).write.candles.sort((x, y) => x.windowStart - y.windowStart);
  assert.deepEqual(
    candles.map((c) => [new Date(c.windowStart).toISOString(), c.open, c.close, c.samples]),
    [
      ["2025-11-12T10:30:00.000Z", 100, 99, 2],
      ["2025-11-12T10:31:00.000Z", 101, 101, 1],
    ],
  );
  assert.equal(candles[1]!.firstEvent, Date.UTC(2025, 10, 12, 10, 31, 0, 250));
  // The reference, reading the messages on its own, agrees on every field.
  const expected = referenceCandles(messages.map(priceFromMessage), ["1m"]);
  assert.equal(expected.size, candles.length);
  for (const { closed: _c, revision: _r, ...fields } of candles) {
    assert.deepEqual(fields, expected.get(referenceKey(fields)));
  }
});
