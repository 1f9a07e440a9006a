import assert from "node:assert/strict";
import type { Candle, Interval } from "../../market/candle.ts";
import { CandleBook, type CandleBookOptions, candleOrder } from "../../market/candle_book.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import type { Observation } from "../../market/observation.ts";

/** 2025-11-12 10:30 UTC: the start of a minute and of a five-minute window. */
const T0 = Date.UTC(2025, 10, 12, 10, 30);
const S = 1_000;
const M = 60_000;
const BTC = "coingecko:BTC-USD";
const ETH = "coingecko:ETH-USD";
const COINBASE_BTC = "coinbase:BTC-USD";
const EMPTY = { state: null, epoch: 1, candles: [] };

/** A CoinGecko price: its identity is its time. */
const price = (time: number, p: number, symbol = "BTC"): Observation => ({
  source: "coingecko",
  product: `${symbol}-USD`,
  time,
  price: p,
  size: null,
  taker: null,
  id: time,
});

/** A Coinbase BTC-USD trade taken by `taker`. */
const trade = (
  time: number,
  p: number,
  size: number,
  id: number,
  taker: "buy" | "sell" = "buy",
): Observation => ({
  source: "coinbase",
  product: "BTC-USD",
  time,
  price: p,
  size,
  taker,
  id: -(id + 1),
});

/** A book of BTC and ETH prices and BTC-USD trades, all claimed at wall-clock time 0. */
function book(options: Partial<CandleBookOptions> = {}): CandleBook {
  const b = new CandleBook({
    intervals: ["1m"],
    outOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    idleTimeoutMs: 120 * S,
    ...options,
  });
  for (const market of [BTC, ETH, COINBASE_BTC]) b.claim(market, EMPTY, 0);
  return b;
}

/** A candle with every field given: a one-minute BTC-USD price candle unless told otherwise. */
function candle(fields: Partial<Candle>): Candle {
  return {
    source: "coingecko",
    product: "BTC-USD",
    symbol: "BTC",
    quote: "USD",
    interval: "1m",
    windowStart: T0,
    windowEnd: T0 + M,
    open: 100,
    high: 100,
    low: 100,
    close: 100,
    samples: 1,
    trades: 1,
    volume: null,
    buyVolume: null,
    sellVolume: null,
    vwap: null,
    firstEvent: T0,
    lastEvent: T0,
    closed: false,
    revision: 0,
    ...fields,
  };
}

const latestPrice = (eventTime: number, priceUsd: number): LatestPrice => ({
  source: "coingecko",
  product: "BTC-USD",
  symbol: "BTC",
  priceUsd,
  volume24h: null,
  marketCap: null,
  priceChange24h: null,
  eventTime,
});

Deno.test("CandleBook refuses to be made without an interval", () => {
  assert.throws(
    () =>
      new CandleBook({
        intervals: [],
        outOfOrdernessMs: 0,
        allowedLatenessMs: 0,
        idleTimeoutMs: 1,
      }),
    { name: "RangeError", message: "At least one interval is needed" },
  );
});

Deno.test("CandleBook.horizonMs is the out-of-orderness plus the allowed lateness", () => {
  assert.equal(book({ outOfOrdernessMs: 10 * S, allowedLatenessMs: 60 * S }).horizonMs, 70_000);
});

Deno.test("CandleBook.has() knows a held market by its key and by the market, and drop() lets it go", () => {
  const b = book();
  assert.equal(b.has(BTC), true);
  assert.equal(b.has({ source: "coingecko", product: "BTC-USD" }), true);
  assert.equal(b.has("coingecko:DOGE-USD"), false);
  assert.equal(b.has({ source: "coingecko", product: "DOGE-USD" }), false);
  b.drop(BTC);
  assert.equal(b.has(BTC), false);
  assert.equal(b.has({ source: "coingecko", product: "BTC-USD" }), false);
  assert.deepEqual(b.markets, [ETH, COINBASE_BTC]);
  assert.throws(() => b.apply(price(T0, 100), 0), {
    message: "Market coingecko:BTC-USD was not claimed",
  });
  b.drop({ source: "coinbase", product: "BTC-USD" });
  assert.deepEqual(b.markets, [ETH]);
  // Dropping a market not held does nothing.
  b.drop("coingecko:DOGE-USD");
  b.drop(BTC);
  assert.deepEqual(b.markets, [ETH]);
});

Deno.test("CandleBook answers for a market it does not hold: no watermark, not claimed, nothing pending, nothing to write", () => {
  const b = book({ outOfOrdernessMs: 10 * S });
  assert.equal(b.watermark("coingecko:DOGE-USD"), -Infinity);
  assert.throws(() => b.apply(price(T0, 1, "DOGE"), 0), {
    name: "Error",
    message: "Market coingecko:DOGE-USD was not claimed",
  });
  assert.equal(b.wouldRevisePending(price(T0, 1, "DOGE")), false);
  assert.deepEqual(b.flush(["coingecko:DOGE-USD"]).write, {
    states: [],
    candles: [],
    latest: [],
    publish: [],
  });
});

Deno.test("CandleBook.claim() names the key that is no market", () => {
  assert.throws(() => book().claim("BTC", EMPTY, 0), {
    name: "RangeError",
    message: "Cannot claim BTC: not a market",
  });
});

Deno.test("CandleBook's watermark never moves back for an older observation", () => {
  const b = book({ outOfOrdernessMs: 10 * S, allowedLatenessMs: 60 * S });
  b.apply(price(T0 + 60 * S, 100), 0);
  assert.equal(b.apply(price(T0 + 30 * S, 99), 0), "added");
  assert.equal(b.watermark(BTC), T0 + 50 * S);
});

Deno.test("CandleBook closes at once a new candle whose window the watermark has already passed, within the lateness", () => {
  const b = book({ allowedLatenessMs: 60 * S });
  b.apply(price(T0 + M, 101), 0); // watermark T0 + 60 s: exactly the end of T0's window
  assert.equal(b.apply(price(T0 + 10 * S, 100), 0), "added");
  const { closed } = b.flush([BTC]);
  assert.deepEqual(
    closed.map((c) => [c.windowStart, c.open, c.samples, c.closed, c.revision]),
    [[T0, 100, 1, true, 0]],
  );
  assert.equal(b.counts.closed, 1);
  assert.equal(b.counts.revisions, 0);
});

Deno.test("CandleBook counts each window it closes, by the watermark and by idleness", () => {
  const b = book({ intervals: ["1m", "5m"] });
  b.apply(price(T0 + 10 * S, 100), 0);
  b.apply(price(T0 + 70 * S, 101), 0); // closes T0's minute
  assert.equal(b.counts.closed, 1);
  // Idle: the second minute and the first five minutes.
  assert.equal(b.closeIdle(1_000_000), 2);
  assert.equal(b.counts.closed, 3);
});

Deno.test("CandleBook hands over the latest price it was given, when newer or as new as the one it holds, once", () => {
  const b = book({ allowedLatenessMs: 10 * M });
  b.apply(price(T0, 100), 0);
  assert.deepEqual(b.flush([BTC]).write.latest, [], "no latest price given");
  b.apply(price(T0 + S, 101), 0, latestPrice(T0 + S, 101));
  assert.deepEqual(b.dirtyMarkets, [BTC]);
  assert.deepEqual(b.flush([BTC]).write.latest, [latestPrice(T0 + S, 101)]);
  // Written once: the next write of the market carries no latest price.
  b.apply(price(T0 + 2 * S, 102), 0);
  assert.deepEqual(b.flush([BTC]).write.latest, []);
  // An older one is not kept.
  b.apply(price(T0 + 3 * S, 103), 0, latestPrice(T0, 99));
  assert.deepEqual(b.flush([BTC]).write.latest, []);
  // A newer one is, and one as new replaces it.
  b.apply(price(T0 + 4 * S, 104), 0, latestPrice(T0 + 4 * S, 104));
  b.apply(price(T0 + 5 * S, 105), 0, latestPrice(T0 + 4 * S, 104.5));
  b.apply(price(T0 + 6 * S, 106), 0, latestPrice(T0 + 2 * S, 98));
  assert.deepEqual(b.flush([BTC]).write.latest, [latestPrice(T0 + 4 * S, 104.5)]);
  assert.deepEqual(b.dirtyMarkets, []);
});

Deno.test("CandleBook.wouldRevisePending() is false for a window past its lateness even if its close is not written", () => {
  const b = book();
  b.apply(price(T0 + 10 * S, 100), 0);
  b.apply(price(T0 + M, 101), 0); // watermark T0 + 60 s = end of T0's window + lateness 0
  const late = price(T0 + 20 * S, 90);
  assert.equal(b.wouldRevisePending(late), false);
  assert.equal(b.apply(late, 0), "late");
});

Deno.test("CandleBook.closeIdle() of a market with nothing to write leaves it not due", () => {
  const b = book();
  assert.equal(b.closeIdle(200_000), 0);
  assert.deepEqual(b.due(300_000), []);
  b.apply(price(T0, 100), 300_000);
  b.flush([BTC]);
  assert.equal(b.closeIdle(500_000), 1);
  b.flush([BTC]);
  assert.equal(b.closeIdle(600_000), 0);
  assert.deepEqual(b.due(700_000), []);
});

Deno.test("CandleBook.due() counts the open-flush delay from the first unwritten change", () => {
  const b = book();
  b.apply(price(T0, 100), 5_000);
  b.apply(price(T0 + S, 100), 5_500);
  assert.deepEqual(b.due(5_999), []);
  assert.deepEqual(b.due(6_000), [BTC]);
});

Deno.test("CandleBook.due() with no open-flush delay names only the markets with changes", () => {
  const b = book({ openFlushMs: 0 });
  assert.deepEqual(b.due(0), []);
  b.apply(price(T0, 100, "ETH"), 0);
  assert.deepEqual(b.due(0), [ETH]);
  b.flush([ETH]);
  assert.deepEqual(b.due(10), []);
});

Deno.test("CandleBook.dirtyMarkets names only the markets with unwritten changes", () => {
  const b = book();
  assert.deepEqual(b.dirtyMarkets, []);
  b.apply(price(T0, 100, "ETH"), 0);
  assert.deepEqual(b.dirtyMarkets, [ETH]);
  b.flush([ETH]);
  assert.deepEqual(b.dirtyMarkets, []);
});

Deno.test("CandleBook.flush() writes nothing, not even a state, for a market without changes", () => {
  const b = book();
  b.apply(price(T0, 100), 0);
  const { write } = b.flush([ETH, COINBASE_BTC]);
  assert.deepEqual(write, { states: [], candles: [], latest: [], publish: [] });
  assert.equal(b.flush([BTC]).write.states.length, 1);
});

Deno.test("CandleBook.flush() hands the closed candles over by window end, interval and product, whatever the order asked", () => {
  const b = book({ intervals: ["5m", "1m"] });
  b.apply(price(T0 + 10 * S, 200, "ETH"), 0);
  b.apply(price(T0 + 10 * S, 100), 0);
  b.apply(price(T0 + 4 * M + 10 * S, 201, "ETH"), 0);
  b.apply(price(T0 + 4 * M + 10 * S, 101), 0);
  b.apply(price(T0 + 5 * M, 202, "ETH"), 0);
  b.apply(price(T0 + 5 * M, 102), 0);
  const { closed, write } = b.flush([ETH, BTC]);
  assert.deepEqual(closed.map((c) => [c.windowEnd - T0, c.interval, c.product]), [
    [M, "1m", "BTC-USD"],
    [M, "1m", "ETH-USD"],
    [5 * M, "1m", "BTC-USD"],
    [5 * M, "1m", "ETH-USD"],
    [5 * M, "5m", "BTC-USD"],
    [5 * M, "5m", "ETH-USD"],
  ]);
  assert.deepEqual(write.publish, closed);
});

Deno.test("CandleBook refuses a price that is not a finite positive number, or has no finite time", () => {
  const b = book();
  for (const p of [0, -1, Infinity, NaN]) assert.equal(b.apply(price(T0, p), 0), "refused");
  assert.equal(b.apply(price(NaN, 100), 0), "refused");
  assert.equal(b.apply(price(Infinity, 100), 0), "refused");
  assert.equal(b.counts.refused, 6);
  assert.deepEqual(b.flush([BTC]).write.candles, []);
  assert.equal(b.apply(price(T0, 100), 0), "added");
});

Deno.test("CandleBook refuses a trade whose size is not a finite positive number or whose price × size is not finite", () => {
  const b = book();
  let id = 0;
  for (const size of [0, -1, Infinity, NaN]) {
    assert.equal(b.apply(trade(T0, 100, size, id++), 0), "refused");
  }
  assert.equal(b.apply(trade(T0, 1e200, 1e200, id++), 0), "refused");
  assert.equal(b.counts.refused, 5);
  assert.deepEqual(b.flush([COINBASE_BTC]).write.candles, []);
  assert.equal(b.apply(trade(T0, 100, 1, id++), 0), "added");
});

Deno.test("CandleBook refuses a trade that would make its candle's price × size sum overflow", () => {
  const b = book({ allowedLatenessMs: 60 * S });
  assert.equal(b.apply(trade(T0 + S, 1e300, 1e8, 1), 0), "added");
  assert.equal(b.apply(trade(T0 + 2 * S, 1e300, 1e8, 2), 0), "refused");
  assert.equal(b.counts.refused, 1);
  const [c] = b.flush([COINBASE_BTC]).write.candles as [Candle];
  assert.deepEqual([c.samples, c.volume, c.vwap], [1, 1e8, 1e300]);
});

Deno.test("CandleBook refuses a trade that would make its candle's volume overflow", () => {
  const b = book({ allowedLatenessMs: 60 * S });
  assert.equal(b.apply(trade(T0 + S, 1e-10, 1e308, 1), 0), "added");
  assert.equal(b.apply(trade(T0 + 2 * S, 1e-10, 1e308, 2), 0), "refused");
  const [c] = b.flush([COINBASE_BTC]).write.candles as [Candle];
  assert.deepEqual([c.samples, c.volume], [1, 1e308]);
});

Deno.test("CandleBook drops as late, not refused, an overflowing trade for a window past its lateness", () => {
  const b = book();
  b.apply(trade(T0 + S, 1e300, 1e8, 1), 0);
  b.apply(trade(T0 + M, 1, 1, 2), 0); // watermark T0 + 60 s = T0's window end + lateness 0
  assert.equal(b.apply(trade(T0 + 2 * S, 1e300, 1e8, 3), 0), "late");
  assert.deepEqual([b.counts.late, b.counts.refused], [1, 0]);
});

Deno.test("CandleBook makes the later of two trades of one millisecond the close", () => {
  const b = book();
  b.apply(trade(T0 + S, 100, 1, 1), 0);
  b.apply(trade(T0 + S, 110, 1, 2), 0);
  b.apply(trade(T0 + S - 1, 90, 1, 3), 0);
  const [c] = b.flush([COINBASE_BTC]).write.candles as [Candle];
  assert.deepEqual([c.open, c.close, c.high, c.low, c.firstEvent, c.lastEvent], [
    90,
    110,
    110,
    90,
    T0 + S - 1,
    T0 + S,
  ]);
});

Deno.test("CandleBook goes on from a restored trade candle's volume and VWAP", () => {
  const b = book({ allowedLatenessMs: 60 * S });
  b.claim(COINBASE_BTC, {
    state: { market: COINBASE_BTC, maxEvent: T0 + 2 * S, seen: "", epoch: 3 },
    epoch: 4,
    candles: [
      candle({
        source: "coinbase",
        samples: 2,
        trades: 2,
        volume: 2,
        buyVolume: 1.5,
        sellVolume: 0.5,
        vwap: 100,
        firstEvent: T0 + S,
        lastEvent: T0 + 2 * S,
      }),
      // A candle of an interval the book does not make is left alone.
      candle({ source: "coinbase", interval: "5m", windowEnd: T0 + 5 * M, volume: 9 }),
    ],
  }, 0);
  assert.equal(b.apply(trade(T0 + 3 * S, 110, 2, 7, "buy"), 0), "added");
  const { write } = b.flush([COINBASE_BTC]);
  assert.deepEqual(write.candles, [
    candle({
      source: "coinbase",
      close: 110,
      high: 110,
      samples: 3,
      trades: 3,
      volume: 4,
      buyVolume: 3.5,
      sellVolume: 0.5,
      vwap: 105,
      firstEvent: T0 + S,
      lastEvent: T0 + 3 * S,
    }),
  ]);
  assert.deepEqual(
    write.states.map((s) => [s.market, s.maxEvent, s.epoch]),
    [[COINBASE_BTC, T0 + 3 * S, 4]],
  );
});

Deno.test("CandleBook adds a trade to the volume alone of a restored candle stored without buy and sell volumes", () => {
  const b = book({ allowedLatenessMs: 60 * S });
  b.claim(COINBASE_BTC, {
    state: null,
    epoch: 1,
    candles: [candle({ source: "coinbase", volume: 5, vwap: 100 })],
  }, 0);
  b.apply(trade(T0 + S, 107, 2, 1, "sell"), 0);
  const [c] = b.flush([COINBASE_BTC]).write.candles as [Candle];
  assert.deepEqual([c.volume, c.buyVolume, c.sellVolume, c.vwap], [7, null, null, 102]);
});

Deno.test("CandleBook forgets, once written, the identities no window can take any more", () => {
  const b = book();
  b.apply(price(T0 + 10 * S, 100), 0);
  b.apply(price(T0 + 2 * M, 101), 0);
  const { write } = b.flush([BTC]);
  // The stored state knows the newer price only: a book restored from it takes it as a repeat.
  const restored = book();
  restored.claim(BTC, { state: write.states[0]!, epoch: 2, candles: [] }, 0);
  assert.equal(restored.watermark(BTC), T0 + 2 * M);
  assert.equal(restored.apply(price(T0 + 2 * M, 101), 0), "repeat");
  // The older one is past every window's lateness: late now, no longer a repeat.
  assert.equal(b.apply(price(T0 + 10 * S, 100), 0), "late");
  assert.equal(b.apply(price(T0 + 2 * M, 101), 0), "repeat");
});

Deno.test("CandleBook keeps the identities that its longest interval's open window can still take, whatever the order of its intervals", () => {
  const b = book({ intervals: ["5m", "1m"] });
  b.apply(price(T0 + 10 * S, 100), 0);
  b.apply(price(T0 + 2 * M, 101), 0); // closes T0's minute, past its lateness; T0's 5 minutes open
  const { write } = b.flush([BTC]);
  assert.equal(b.apply(price(T0 + 10 * S, 100), 0), "repeat");
  const restored = book({ intervals: ["5m", "1m"] });
  restored.claim(BTC, { state: write.states[0]!, epoch: 2, candles: [] }, 0);
  assert.equal(restored.apply(price(T0 + 10 * S, 100), 0), "repeat");
});

Deno.test("candleOrder() orders candles by window end, then interval, then product, then source", () => {
  const sign = (a: Candle, b: Candle) => Math.sign(candleOrder(a, b));
  const base = candle({});
  const later = candle({ windowStart: T0 + M, windowEnd: T0 + 2 * M });
  assert.equal(sign(base, later), -1);
  assert.equal(sign(later, base), 1);
  const five = candle({ interval: "5m" as Interval, windowStart: T0 - 4 * M });
  assert.equal(sign(base, five), -1);
  assert.equal(sign(five, base), 1);
  const eth = candle({ product: "ETH-USD", symbol: "ETH" });
  assert.equal(sign(base, eth), -1);
  assert.equal(sign(eth, base), 1);
  const coinbase = candle({ source: "coinbase" });
  assert.equal(sign(coinbase, base), -1);
  assert.equal(sign(base, coinbase), 1);
  assert.equal(candleOrder(base, candle({})), 0);
  // The window end outranks the interval, the interval the product, the product the source.
  assert.equal(sign(candle({ interval: "5m", windowStart: T0 - 4 * M }), later), -1);
  assert.equal(sign(candle({ product: "ETH-USD", source: "coinbase" }), base), 1);
});
