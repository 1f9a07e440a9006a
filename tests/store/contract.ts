/**
 * The behaviour every candle store must show (docs/candles.md#where-candles-go), registered
 * once per implementation by its own test file: `storeContract("SqliteCandleStore", open)`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Alert } from "../../market/alert.ts";
import { type Candle, type Interval, intervalMs } from "../../market/candle.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import { type Market, marketKey, productParts } from "../../market/market.ts";
import type { MarketState } from "../../market/market_state.ts";
import type { StoreWrite } from "../../market/store_write.ts";

/** A store opened for one test, and how to get rid of it. */
export interface OpenedStore {
  /** The store, empty. */
  store: CandleStore;
  /** Closes the store and removes its database. */
  cleanup: () => Promise<void>;
}

/** Options for {@linkcode storeContract}. */
export interface ContractOptions {
  /** Registers one test. @default {Deno.test} */
  test?: (name: string, fn: () => Promise<void>) => void;
}

const T0 = Date.UTC(2025, 10, 12, 10, 0);
const MINUTE = 60_000;

/** CoinGecko's market of a symbol's prices: `coingecko` / `{symbol}-USD`. */
export const gecko = (symbol: string): Market => ({
  source: "coingecko",
  product: `${symbol}-USD`,
});

/** Coinbase's BTC-USD. */
export const BTC_USD: Market = { source: "coinbase", product: "BTC-USD" };
/** Coinbase's BTC-EUR. */
export const BTC_EUR: Market = { source: "coinbase", product: "BTC-EUR" };
/** CoinGecko's BTC (USD). */
export const BTC: Market = gecko("BTC");
/** CoinGecko's ETH (USD). */
export const ETH: Market = gecko("ETH");

/** A market's source and product, with its symbol and quote. */
function marketFields(market: Market) {
  const parts = productParts(market.product)!;
  return { source: market.source, product: market.product, ...parts };
}

/**
 * A candle with plausible values: of price snapshots (no volume) unless `fields` say otherwise.
 *
 * @param market The market.
 * @param interval The interval.
 * @param windowStart The window's start.
 * @param fields Fields to set.
 * @returns The candle.
 */
export function makeCandle(
  market: Market,
  interval: Interval,
  windowStart: number,
  fields: Partial<Candle> = {},
): Candle {
  return {
    ...marketFields(market),
    interval,
    windowStart,
    windowEnd: windowStart + intervalMs(interval),
    open: 100,
    high: 110,
    low: 90,
    close: 105,
    samples: 3,
    trades: fields.samples ?? 3,
    volume: null,
    buyVolume: null,
    sellVolume: null,
    vwap: null,
    firstEvent: windowStart + 1,
    lastEvent: windowStart + 2,
    closed: true,
    revision: 0,
    ...fields,
  };
}

/**
 * The order-flow fields of a candle of trades.
 *
 * @param buyVolume The buyer-initiated volume.
 * @param sellVolume The seller-initiated volume.
 * @param trades The trades.
 * @returns `trades`, `samples`, `volume`, `buyVolume`, `sellVolume` and `vwap`.
 */
export function tradeFields(buyVolume: number, sellVolume: number, trades = 4): Partial<Candle> {
  return {
    trades,
    samples: trades,
    volume: buyVolume + sellVolume,
    buyVolume,
    sellVolume,
    vwap: 101.25,
  };
}

/**
 * A market state.
 *
 * @param market The market.
 * @param epoch The owner's epoch.
 * @param maxEvent The latest event time.
 * @returns The state.
 */
export function makeState(market: Market, epoch = 1, maxEvent = T0): MarketState {
  const key = marketKey(market);
  return { market: key, epoch, maxEvent, seen: `seen ${key} ${epoch}` };
}

/**
 * A latest price.
 *
 * @param market The market.
 * @param eventTime Its event time.
 * @param priceUsd The price.
 * @returns The latest price, with a 24 h volume and change.
 */
export function makeLatest(market: Market, eventTime: number, priceUsd: number): LatestPrice {
  const { source, product, symbol } = marketFields(market);
  return {
    source,
    product,
    symbol,
    priceUsd,
    eventTime,
    volume24h: 1e9,
    marketCap: null,
    priceChange24h: -1.5,
  };
}

function makeAlert(market: Market, windowStart: number, fields: Partial<Alert> = {}): Alert {
  return {
    source: market.source,
    product: market.product,
    symbol: productParts(market.product)!.symbol,
    interval: "1m",
    windowStart,
    kind: "move",
    direction: "up",
    changePct: 6.12,
    zscore: null,
    price: 48001,
    createdAt: windowStart + MINUTE + 5,
    ...fields,
  };
}

/** A write with every part empty but those given. */
function writeOf(parts: Partial<StoreWrite>): StoreWrite {
  return { states: [], candles: [], latest: [], publish: [], ...parts };
}

/**
 * Registers the contract's tests for one store implementation.
 *
 * @param name The implementation, the prefix of every test name.
 * @param open Opens a fresh, empty store for one test.
 * @param options How to register a test.
 */
export function storeContract(
  name: string,
  open: () => Promise<OpenedStore>,
  options: ContractOptions = {},
): void {
  const register = options.test ?? ((n: string, fn: () => Promise<void>) => Deno.test(n, fn));
  const test = (behaviour: string, body: (store: CandleStore) => Promise<void>) =>
    register(`${name} ${behaviour}`, async () => {
      const { store, cleanup } = await open();
      try {
        await body(store);
      } finally {
        await cleanup();
      }
    });

  test("write() applied twice leaves the same rows", async (store) => {
    const closed = makeCandle(BTC, "1m", T0);
    const write = writeOf({
      states: [makeState(BTC)],
      candles: [
        closed,
        makeCandle(BTC, "1m", T0 + MINUTE, { closed: false, volume: 2.5, vwap: 101.25 }),
        makeCandle(BTC, "5m", T0),
      ],
      latest: [makeLatest(BTC, T0 + 90_000, 105)],
      publish: [closed],
      examine: [closed],
    });
    await store.write(write);
    const before = await snapshot(store);
    await store.write(write);
    assert.deepEqual(await snapshot(store), before);
    assert.equal(before.candles1m.length, 2);
    assert.equal(before.candles5m.length, 1);
    assert.equal(before.outbox.length, 1);
    assert.equal(before.alertQueue.length, 1);
  });

  test("write() of a later revision overwrites the candle", async (store) => {
    await store.write(writeOf({
      states: [makeState(ETH)],
      candles: [makeCandle(ETH, "1m", T0)],
    }));
    const revised = makeCandle(ETH, "1m", T0, { close: 99.5, samples: 4, revision: 1 });
    await store.write(writeOf({
      states: [makeState(ETH)],
      candles: [revised],
    }));
    assert.deepEqual(await store.candles({ ...ETH, interval: "1m" }), [revised]);
  });

  test("write() keeps the last of repeated keys in one write", async (store) => {
    const last = makeCandle(ETH, "1m", T0, { close: 120, high: 120, revision: 2 });
    await store.write(writeOf({
      states: [makeState(ETH, 1, T0), makeState(ETH, 1, T0 + 5)],
      candles: [makeCandle(ETH, "1m", T0, { revision: 1 }), last],
      latest: [makeLatest(ETH, T0 + 2, 2), makeLatest(ETH, T0 + 1, 1)],
      publish: [last, last],
    }));
    assert.deepEqual(await store.candles({ ...ETH, interval: "1m" }), [last]);
    assert.equal((await store.latest(ETH))[0]?.priceUsd, 2);
    assert.equal((await store.loadMarket(ETH, 0)).state?.maxEvent, T0 + 5);
    assert.deepEqual(await store.peekCandleOutbox(10), [last]);
  });

  test("loadMarket() claims a market: its epoch rises by one for each claim, from 1", async (store) => {
    assert.equal((await store.loadMarket(BTC, MINUTE)).epoch, 1);
    assert.equal((await store.loadMarket(BTC, MINUTE)).epoch, 2);
    await store.write(writeOf({ states: [makeState(BTC, 2)] }));
    const third = await store.loadMarket(BTC, MINUTE);
    assert.equal(third.epoch, 3);
    assert.equal(third.state?.epoch, 3);
    assert.equal((await store.loadMarket(ETH, MINUTE)).epoch, 1, "each market its own");
  });

  test("write() skips the state, candles, latest price and queued keys of a market claimed since, and says which", async (store) => {
    const a = await store.loadMarket(BTC, MINUTE);
    const first = makeCandle(BTC, "1m", T0, { close: 1 });
    assert.deepEqual(
      await store.write(writeOf({ states: [makeState(BTC, a.epoch)], candles: [first] })),
      [],
    );
    // Another process takes BTC over; the first one's next write is stale.
    const b = await store.loadMarket(BTC, MINUTE);
    await store.loadMarket(ETH, MINUTE);
    const staleCandle = makeCandle(BTC, "1m", T0, { close: 2, revision: 1 });
    const freshCandle = makeCandle(ETH, "1m", T0, { close: 7 });
    const stale = await store.write(writeOf({
      states: [makeState(BTC, a.epoch, T0 + 9), makeState(ETH, 1)],
      candles: [staleCandle, freshCandle],
      latest: [makeLatest(BTC, T0 + 9, 9)],
      publish: [staleCandle, freshCandle],
      examine: [staleCandle, freshCandle],
    }));
    assert.deepEqual(stale, ["coingecko:BTC-USD"]);
    assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), [first]);
    assert.deepEqual(await store.candles({ ...ETH, interval: "1m" }), [freshCandle]);
    assert.deepEqual(await store.latest(BTC), []);
    assert.deepEqual(await store.peekCandleOutbox(10), [freshCandle]);
    assert.deepEqual(await store.peekCandlesToExamine(10), [freshCandle]);

    // The new owner's writes apply, the same epoch again too (a write repeated after a crash).
    const same = makeCandle(BTC, "1m", T0, { close: 3 });
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(
        await store.write(writeOf({ states: [makeState(BTC, b.epoch)], candles: [same] })),
        [],
      );
    }
    assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), [same]);
  });

  test("write() refuses an epoch that is not a whole number from 1", async (store) => {
    for (const epoch of [0, 1.5, -1, Number.NaN]) {
      await assert.rejects(store.write(writeOf({ states: [makeState(BTC, epoch)] })), RangeError);
    }
  });

  test("write() ignores a latest price older than the one stored", async (store) => {
    await store.write(writeOf({ latest: [makeLatest(BTC, T0 + 2_000, 2)] }));
    await store.write(writeOf({ latest: [makeLatest(BTC, T0 + 1_000, 1)] }));
    assert.deepEqual(await store.latest(BTC), [makeLatest(BTC, T0 + 2_000, 2)]);
    await store.write(writeOf({
      latest: [makeLatest(BTC, T0 + 3_000, 3), makeLatest(gecko("ADA"), T0, 0.45)],
    }));
    assert.deepEqual(await store.latest(), [
      makeLatest(gecko("ADA"), T0, 0.45),
      makeLatest(BTC, T0 + 3_000, 3),
    ]);
    assert.deepEqual(await store.latest(gecko("DOGE")), []);
  });

  test("write() rejects a value it cannot store and writes nothing", async (store) => {
    await assert.rejects(
      store.write(writeOf({
        states: [makeState(BTC)],
        candles: [makeCandle(BTC, "1m", T0), makeCandle(BTC, "1m", T0 + MINUTE, { high: NaN })],
      })),
      RangeError,
    );
    assert.equal((await store.loadMarket(BTC, MINUTE)).state, null);
    assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), []);
  });

  test("loadMarket() gives the state and the candles ending after the horizon", async (store) => {
    assert.deepEqual(await store.loadMarket(BTC, MINUTE), { state: null, epoch: 1, candles: [] });
    const maxEvent = T0 + 10 * MINUTE + 30_000;
    const state: MarketState = {
      market: "coingecko:BTC-USD",
      maxEvent,
      seen: '{"1699876543123":true} ünïcødé',
      epoch: 1,
    };
    const horizon = 2 * MINUTE;
    // 1m windows ending at maxEvent - horizon (excluded) and one ms later (included).
    const edge = maxEvent - horizon;
    const candles = [
      makeCandle(BTC, "1m", edge - MINUTE),
      makeCandle(BTC, "1m", edge - MINUTE + 1),
      makeCandle(BTC, "1m", T0 + 10 * MINUTE, { closed: false }),
      makeCandle(BTC, "5m", T0 + 5 * MINUTE),
      makeCandle(BTC, "5m", T0),
      makeCandle(BTC, "1h", T0),
    ];
    await store.write(writeOf({
      states: [state, makeState(ETH, 1, maxEvent)],
      candles: [...candles, makeCandle(ETH, "1m", T0 + 10 * MINUTE)],
    }));
    const loaded = await store.loadMarket(BTC, horizon);
    assert.deepEqual(loaded.state, { ...state, epoch: 2 }, "claimed again: epoch 2");
    const key = (c: Candle) => `${c.interval} ${c.windowStart}`;
    assert.deepEqual(
      loaded.candles.map(key).sort(),
      [candles[1]!, candles[2]!, candles[3]!, candles[5]!].map(key).sort(),
    );
    const open = loaded.candles.find((c) => !c.closed);
    assert.deepEqual(open, candles[2]);
  });

  test("candles() takes from inclusive, to exclusive and the latest limit, ascending", async (store) => {
    const all = Array.from({ length: 10 }, (_, i) => makeCandle(BTC, "1m", T0 + i * MINUTE));
    await store.write(writeOf({
      states: [makeState(BTC), makeState(ETH)],
      candles: [
        ...all.toReversed(),
        makeCandle(BTC, "5m", T0),
        makeCandle(ETH, "1m", T0),
      ],
    }));
    const starts = (candles: Candle[]) => candles.map((c) => (c.windowStart - T0) / MINUTE);
    assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), all);
    assert.deepEqual(starts(await store.candles({ ...BTC, interval: "1m", limit: 3 })), [
      7,
      8,
      9,
    ]);
    const from = T0 + 2 * MINUTE;
    const to = T0 + 6 * MINUTE;
    assert.deepEqual(starts(await store.candles({ ...BTC, interval: "1m", from })), [
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
    ]);
    assert.deepEqual(starts(await store.candles({ ...BTC, interval: "1m", to })), [
      0,
      1,
      2,
      3,
      4,
      5,
    ]);
    assert.deepEqual(
      starts(await store.candles({ ...BTC, interval: "1m", from, to, limit: 2 })),
      [4, 5],
    );
    assert.deepEqual(
      starts(await store.candles({ ...BTC, interval: "1m", from: from + 1, to: to + 1 })),
      [3, 4, 5, 6],
    );
    assert.deepEqual(
      await store.candles({ ...BTC, interval: "1m", from: to, to: from }),
      [],
    );
    assert.deepEqual(await store.candles({ ...BTC, interval: "15m" }), []);
    assert.deepEqual(await store.candles({ ...gecko("SOL"), interval: "1m" }), []);
    await assert.rejects(store.candles({ ...BTC, interval: "1m", limit: 0 }), RangeError);
  });

  test("candles() returns 500 when no limit is given", async (store) => {
    const all = Array.from({ length: 501 }, (_, i) => makeCandle(BTC, "1m", T0 + i * MINUTE));
    await store.write(writeOf({ states: [makeState(BTC)], candles: all }));
    const got = await store.candles({ ...BTC, interval: "1m" });
    assert.equal(got.length, 500);
    assert.equal(got[0]?.windowStart, all[1]?.windowStart);
    assert.equal(got.at(-1)?.windowStart, all[500]?.windowStart);
  });

  test("peekCandleOutbox() gives each queued revision as it was queued, oldest first, until ackCandleOutbox()", async (store) => {
    const a = makeCandle(BTC, "1m", T0);
    const b = makeCandle(ETH, "1m", T0);
    const c = makeCandle(BTC, "5m", T0);
    await store.write(writeOf({
      states: [makeState(BTC), makeState(ETH)],
      candles: [a, b],
      publish: [a, b],
    }));
    await store.write(writeOf({
      states: [makeState(BTC)],
      candles: [c],
      publish: [c, c],
    }));
    assert.deepEqual(await store.peekCandleOutbox(10), [a, b, c]);
    assert.deepEqual(await store.peekCandleOutbox(2), [a, b]);

    // A revision lands before revision 0 was published: both go out, each as it was.
    const a1 = { ...a, close: 111, high: 111, samples: 2, revision: 1 };
    await store.write(writeOf({ states: [makeState(BTC)], candles: [a1], publish: [a1] }));
    assert.deepEqual(await store.peekCandleOutbox(10), [a, b, c, a1]);
    await store.ackCandleOutbox([a, b]);
    assert.deepEqual(await store.peekCandleOutbox(10), [c, a1]);
    // Queued again (a write repeated after a crash), a revision is still there once.
    await store.write(writeOf({ states: [makeState(BTC)], candles: [a1], publish: [a1] }));
    await store.ackCandleOutbox([a1, c]);
    assert.deepEqual(await store.peekCandleOutbox(10), []);
    await assert.rejects(store.peekCandleOutbox(0), RangeError);
  });

  test("insertAlerts() stores each key once and alerts() gives the newest first", async (store) => {
    const a1 = makeAlert(BTC, T0);
    const a2 = makeAlert(BTC, T0, {
      kind: "anomaly",
      zscore: -5.25,
      direction: "down",
      changePct: -0.5,
    });
    const a3 = makeAlert(ETH, T0 + MINUTE, { interval: "5m", createdAt: T0 + 10 * MINUTE });
    assert.deepEqual(await store.insertAlerts([a1, a2, { ...a1, price: 1 }]), [a1, a2]);
    assert.deepEqual(await store.insertAlerts([{ ...a1, changePct: 9 }, a3, a2]), [a3]);
    assert.deepEqual(await store.insertAlerts([]), []);
    assert.deepEqual(await store.alerts({ limit: 10 }), [a3, a2, a1]);
    assert.deepEqual(await store.alerts({ limit: 1 }), [a3]);
    assert.deepEqual(await store.alerts({ symbol: "BTC", limit: 10 }), [a2, a1]);
    assert.deepEqual(await store.alerts({ since: T0 + 10 * MINUTE, limit: 10 }), [a3]);
    assert.deepEqual(await store.alerts({ symbol: "BTC", since: T0 + 10 * MINUTE, limit: 10 }), []);
  });

  test("peekCandlesToExamine() gives each candle revision queued by write()'s examine, oldest first, until insertAlerts() names it examined", async (store) => {
    const a = makeCandle(BTC, "1m", T0);
    const b = makeCandle(ETH, "1m", T0);
    const c = makeCandle(BTC, "5m", T0);
    await store.write(writeOf({
      states: [makeState(BTC), makeState(ETH)],
      candles: [a, b],
      examine: [a, b],
    }));
    await store.write(writeOf({ states: [makeState(BTC)], candles: [c], examine: [c, c] }));
    // Queuing for the Alerter is its own: the candle topic's outbox is left alone.
    assert.deepEqual(await store.peekCandleOutbox(10), []);
    assert.deepEqual(await store.peekCandlesToExamine(10), [a, b, c]);
    assert.deepEqual(await store.peekCandlesToExamine(2), [a, b]);

    // A revision lands before revision 0 was examined: both are queued, each as it was.
    const a1 = { ...a, close: 111, high: 111, samples: 4, revision: 1 };
    await store.write(writeOf({ states: [makeState(BTC)], candles: [a1], examine: [a1] }));
    assert.deepEqual(await store.peekCandlesToExamine(10), [a, b, c, a1]);
    assert.deepEqual(await store.insertAlerts([], [a, b]), []);
    assert.deepEqual(await store.peekCandlesToExamine(10), [c, a1]);
    // Queued again (a write repeated after a crash), a revision is there once.
    await store.write(writeOf({ states: [makeState(BTC)], candles: [a1], examine: [a1] }));
    await store.insertAlerts([], [a1, c, a1]);
    assert.deepEqual(await store.peekCandlesToExamine(10), []);
    await assert.rejects(store.peekCandlesToExamine(0), RangeError);
  });

  test("insertAlerts() queues the new alerts for the alert topic and takes the examined candles off the alert queue at once; ackAlertOutbox() empties the outbox", async (store) => {
    const candle = makeCandle(BTC, "1m", T0);
    const other = makeCandle(ETH, "1m", T0);
    await store.write(writeOf({
      states: [makeState(BTC), makeState(ETH)],
      candles: [candle, other],
      examine: [candle, other],
    }));
    const move = makeAlert(BTC, T0);
    const anomaly = makeAlert(BTC, T0, { kind: "anomaly", zscore: 5.3 });
    assert.deepEqual(await store.insertAlerts([move, anomaly], [candle]), [move, anomaly]);
    assert.deepEqual(await store.peekCandlesToExamine(10), [other]);
    assert.deepEqual(await store.peekAlertOutbox(10), [move, anomaly]);
    assert.deepEqual(await store.peekAlertOutbox(1), [move]);

    // Examined again (a restart before the queue was emptied): nothing new, nothing queued twice.
    assert.deepEqual(await store.insertAlerts([{ ...move, createdAt: T0 + 9 * MINUTE }]), []);
    assert.deepEqual(await store.peekAlertOutbox(10), [move, anomaly]);

    // A value the store cannot keep rejects the whole call: nothing stored, nothing taken off.
    const bad = makeAlert(ETH, T0, { zscore: Number.NaN, kind: "anomaly" });
    await assert.rejects(store.insertAlerts([makeAlert(ETH, T0), bad], [other]), RangeError);
    assert.deepEqual(await store.peekCandlesToExamine(10), [other]);
    assert.deepEqual(await store.alerts({ symbol: "ETH", limit: 10 }), []);

    await store.ackAlertOutbox([move]);
    assert.deepEqual(await store.peekAlertOutbox(10), [anomaly]);
    await store.ackAlertOutbox([anomaly, move]);
    assert.deepEqual(await store.peekAlertOutbox(10), []);
    // Published alerts stay stored, and still count as raised.
    assert.deepEqual(await store.insertAlerts([move]), []);
    assert.equal((await store.alerts({ symbol: "BTC", limit: 10 })).length, 2);
    await assert.rejects(store.peekAlertOutbox(0), RangeError);
  });

  test("markets() lists the markets with a latest price or a candle, by source then product, with their intervals shortest first", async (store) => {
    assert.deepEqual(await store.markets(), []);
    await store.write(writeOf({
      // A state alone makes no market known.
      states: [makeState(gecko("SOL")), makeState(BTC_EUR)],
      candles: [
        makeCandle(BTC_EUR, "1h", T0),
        makeCandle(BTC_EUR, "15m", T0),
        makeCandle(BTC_EUR, "1m", T0),
        makeCandle(BTC_EUR, "1m", T0 + MINUTE),
        makeCandle(BTC_EUR, "5m", T0),
        makeCandle(ETH, "1d", T0 - T0 % 86_400_000),
      ],
      latest: [makeLatest(BTC, T0, 45_000), makeLatest(ETH, T0 + 1, 3_000)],
    }));
    await store.write(writeOf({
      latest: [{ ...makeLatest(BTC_USD, T0 + 2, 45_010), volume24h: null, priceChange24h: null }],
      candles: [makeCandle(BTC_USD, "1m", T0, tradeFields(1, 2))],
    }));
    assert.deepEqual(await store.markets(), [
      {
        source: "coinbase",
        product: "BTC-EUR",
        symbol: "BTC",
        quote: "EUR",
        priceUsd: null,
        eventTime: null,
        intervals: ["1m", "5m", "15m", "1h"],
      },
      {
        source: "coinbase",
        product: "BTC-USD",
        symbol: "BTC",
        quote: "USD",
        priceUsd: 45_010,
        eventTime: T0 + 2,
        intervals: ["1m"],
      },
      {
        source: "coingecko",
        product: "BTC-USD",
        symbol: "BTC",
        quote: "USD",
        priceUsd: 45_000,
        eventTime: T0,
        intervals: [],
      },
      {
        source: "coingecko",
        product: "ETH-USD",
        symbol: "ETH",
        quote: "USD",
        priceUsd: 3_000,
        eventTime: T0 + 1,
        intervals: ["1d"],
      },
    ]);
  });

  test("keeps the markets of one symbol apart: Coinbase's BTC-USD and BTC-EUR and CoinGecko's BTC-USD never mix", async (store) => {
    const markets = [BTC_USD, BTC_EUR, BTC];
    const byMarket = markets.map((market, n) => ({
      market,
      candle: makeCandle(market, "1m", T0, {
        close: 100 + n,
        ...(market.source === "coinbase" ? tradeFields(n + 1, n + 2) : {}),
      }),
      latest: makeLatest(market, T0 + 30_000 + n, 100 + n),
      alert: makeAlert(market, T0, { price: 100 + n, createdAt: T0 + 2 * MINUTE + n }),
    }));
    for (const { market } of byMarket) {
      assert.equal((await store.loadMarket(market, MINUTE)).epoch, 1, marketKey(market));
    }
    await store.write(writeOf({
      states: markets.map((market) => makeState(market)),
      candles: byMarket.map((m) => m.candle),
      latest: byMarket.map((m) => m.latest),
      publish: byMarket.map((m) => m.candle),
      examine: byMarket.map((m) => m.candle),
    }));
    assert.deepEqual(
      await store.insertAlerts(byMarket.map((m) => m.alert)),
      byMarket.map((m) => m.alert),
    );
    for (const { market, candle, latest } of byMarket) {
      assert.deepEqual(await store.candles({ ...market, interval: "1m" }), [candle]);
      assert.deepEqual(await store.latest(market), [latest]);
      assert.deepEqual(await store.alerts({ ...market, limit: 10 }), [
        byMarket.find((m) => m.market === market)!.alert,
      ]);
      const loaded = await store.loadMarket(market, MINUTE);
      assert.equal(loaded.state?.market, marketKey(market));
      assert.deepEqual(loaded.candles, [candle]);
    }
    assert.deepEqual(
      (await store.latest()).map((p) => marketKey(p)),
      ["coinbase:BTC-EUR", "coinbase:BTC-USD", "coingecko:BTC-USD"],
    );
    assert.deepEqual(
      (await store.markets()).map((m) => [marketKey(m), m.quote, m.priceUsd]),
      [["coinbase:BTC-EUR", "EUR", 101], ["coinbase:BTC-USD", "USD", 100], [
        "coingecko:BTC-USD",
        "USD",
        102,
      ]],
    );
    const alertKeys = (alerts: Alert[]) => alerts.map((a) => marketKey(a));
    assert.deepEqual(alertKeys(await store.alerts({ symbol: "BTC", limit: 10 })), [
      "coingecko:BTC-USD",
      "coinbase:BTC-EUR",
      "coinbase:BTC-USD",
    ]);
    assert.deepEqual(alertKeys(await store.alerts({ source: "coinbase", limit: 10 })), [
      "coinbase:BTC-EUR",
      "coinbase:BTC-USD",
    ]);
    assert.deepEqual(alertKeys(await store.alerts({ product: "BTC-USD", limit: 10 })), [
      "coingecko:BTC-USD",
      "coinbase:BTC-USD",
    ]);
    assert.deepEqual(await store.alerts({ symbol: "ETH", limit: 10 }), []);
    // One alert of a kind per market and window: the same key in another market is its own.
    assert.deepEqual(await store.insertAlerts(byMarket.map((m) => m.alert)), []);

    // Queued per market, taken off per market.
    assert.deepEqual(await store.peekCandleOutbox(10), byMarket.map((m) => m.candle));
    await store.ackCandleOutbox([byMarket[1]!.candle]);
    assert.deepEqual(await store.peekCandleOutbox(10), [byMarket[0]!.candle, byMarket[2]!.candle]);
    await store.insertAlerts([], [byMarket[2]!.candle]);
    assert.deepEqual(
      await store.peekCandlesToExamine(10),
      [byMarket[0]!.candle, byMarket[1]!.candle],
    );
    await store.ackAlertOutbox([byMarket[0]!.alert]);
    assert.deepEqual(await store.peekAlertOutbox(10), [byMarket[1]!.alert, byMarket[2]!.alert]);

    // A market taken over elsewhere is stale; the others of its symbol are not.
    await store.loadMarket(BTC_EUR, MINUTE);
    const revised = byMarket.map((m) => ({ ...m.candle, close: 1, low: 1, revision: 1 }));
    const stale = await store.write(writeOf({
      states: markets.map((market) => makeState(market, 2)),
      candles: revised,
    }));
    assert.deepEqual(stale, ["coinbase:BTC-EUR"]);
    assert.deepEqual(await store.candles({ ...BTC_EUR, interval: "1m" }), [byMarket[1]!.candle]);
    assert.deepEqual(await store.candles({ ...BTC_USD, interval: "1m" }), [revised[0]]);
    assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), [revised[2]]);
  });

  test("candles keep their order flow: trades, volume, buy and sell volume, VWAP", async (store) => {
    const trades = makeCandle(BTC_USD, "1m", T0, {
      ...tradeFields(0.123_456_789, 2.5e-8, 7),
      vwap: 45_234.567_891_23,
    });
    const onlySells = makeCandle(BTC_EUR, "5m", T0, { ...tradeFields(0, 3.75, 2), closed: false });
    const prices = makeCandle(BTC, "1m", T0, { samples: 5, trades: 5 });
    await store.write(writeOf({
      states: [makeState(BTC_USD), makeState(BTC_EUR), makeState(BTC)],
      candles: [trades, onlySells, prices],
      publish: [trades],
    }));
    assert.deepEqual(await store.candles({ ...BTC_USD, interval: "1m" }), [trades]);
    assert.deepEqual(await store.candles({ ...BTC_EUR, interval: "5m" }), [onlySells]);
    assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), [prices]);
    assert.deepEqual(await store.peekCandleOutbox(10), [trades]);
    // A revision that changes only the order flow is written.
    const revised = { ...trades, ...tradeFields(0.2, 0.1, 8), revision: 1 };
    await store.write(writeOf({ states: [makeState(BTC_USD)], candles: [revised] }));
    assert.deepEqual(await store.candles({ ...BTC_USD, interval: "1m" }), [revised]);
  });

  test("write() refuses a market it cannot key and writes nothing", async (store) => {
    const good = makeCandle(BTC_USD, "1m", T0);
    const cases: [string, Partial<StoreWrite>][] = [
      ["an unknown source", { candles: [{ ...good, source: "binance" as "coinbase" }] }],
      ["a product that is not BASE-QUOTE", { candles: [{ ...good, product: "btc-usd" }] }],
      ["a symbol other than the product's base", { candles: [{ ...good, symbol: "ETH" }] }],
      ["a quote other than the product's", { candles: [{ ...good, quote: "EUR" }] }],
      ["non-finite buy volume", {
        candles: [{ ...good, ...tradeFields(1, 1), buyVolume: Number.POSITIVE_INFINITY }],
      }],
      ["trades that are not a whole number", { candles: [{ ...good, trades: 1.5 }] }],
      ["a state keyed by symbol", { states: [{ ...makeState(BTC_USD), market: "BTC" }] }],
      ["a latest price of an unknown source", {
        latest: [{ ...makeLatest(BTC_USD, T0, 1), source: "kraken" as "coinbase" }],
      }],
      ["a latest price whose symbol is not its base", {
        latest: [{ ...makeLatest(BTC_USD, T0, 1), symbol: "BTCUSD" }],
      }],
    ];
    for (const [what, parts] of cases) {
      await assert.rejects(
        store.write(writeOf({ states: [makeState(BTC_USD)], candles: [good], ...parts })),
        RangeError,
        what,
      );
    }
    assert.deepEqual(await store.candles({ ...BTC_USD, interval: "1m" }), []);
    assert.deepEqual(await store.latest(), []);
    assert.equal((await store.loadMarket(BTC_USD, MINUTE)).state, null);
    await assert.rejects(
      store.insertAlerts([{ ...makeAlert(BTC_USD, T0), product: "BTC" }]),
      RangeError,
    );
    assert.deepEqual(await store.alerts({ limit: 10 }), []);
  });

  test("write() takes a batch of 5,000 candles in one write", async (store) => {
    const symbols = ["BTC", "ETH", "SOL", "ADA", "XRP"];
    const candles = symbols.flatMap((symbol) =>
      Array.from(
        { length: 1_000 },
        (_, i) => makeCandle(gecko(symbol), "1m", T0 + i * MINUTE, { close: 100 + i / 7 }),
      )
    );
    const states = symbols.map((symbol) => makeState(gecko(symbol)));
    await store.write(writeOf({ states, candles }));
    const revised = candles.map((c) => ({ ...c, revision: 1, close: c.close + 1 }));
    const started = performance.now();
    await store.write(writeOf({ states, candles: revised }));
    const elapsed = performance.now() - started;
    for (const symbol of symbols) {
      const got = await store.candles({ ...gecko(symbol), interval: "1m", limit: 5_000 });
      assert.deepEqual(got, revised.filter((c) => c.symbol === symbol));
    }
    assert.ok(elapsed < 10_000, `5,000 upserts took ${elapsed.toFixed(0)} ms`);
  });

  test("values round-trip exactly: floats, nulls, booleans and times to the ms", async (store) => {
    const candles = [
      makeCandle(BTC, "1m", 0, {
        open: 0.1 + 0.2,
        high: 1.7976931348623157e308,
        low: 5e-324,
        close: 45_234.56,
        volume: 1e-300,
        vwap: 123_456_789.123_456_78,
        samples: 2_147_483_647,
        firstEvent: 1,
        lastEvent: 59_999,
        revision: 2_147_483_647,
      }),
      makeCandle(BTC, "1d", 253_402_214_400_000, {
        windowEnd: 253_402_300_799_999,
        firstEvent: 253_402_300_799_998,
        lastEvent: 253_402_300_799_999,
        closed: false,
        open: 0.000012345,
        high: 0.000012346,
        low: 0.000012344,
        close: 0.000012345,
      }),
      makeCandle(BTC, "4h", 1_699_876_800_000 - 1_699_876_800_000 % 14_400_000, {
        firstEvent: 1_699_876_543_123,
        lastEvent: 1_699_876_543_999,
        volume: 0,
        vwap: -0.5,
      }),
    ];
    const latest: LatestPrice = {
      source: "coingecko",
      product: "BTC-USD",
      symbol: "BTC",
      priceUsd: 0.1 + 0.7,
      volume24h: null,
      marketCap: 886_543_210_987.65,
      priceChange24h: null,
      eventTime: 1_699_876_543_001,
    };
    await store.write(writeOf({
      states: [makeState(BTC, 1, 1_699_876_543_999)],
      candles,
      latest: [latest],
    }));
    for (const candle of candles) {
      assert.deepEqual(
        await store.candles({ ...BTC, interval: candle.interval }),
        [candle],
      );
    }
    assert.deepEqual(await store.latest(BTC), [latest]);
    const alert = makeAlert(BTC, 0, {
      changePct: -1e-9,
      zscore: 4.000000000000001,
      createdAt: 7,
    });
    await store.insertAlerts([alert]);
    assert.deepEqual(await store.alerts({ limit: 1 }), [alert]);
  });

  test("write() keeps texts as given: seen sets with quotes, backslashes, commas, braces, blanks or nothing, a symbol NULL", async (store) => {
    const odd = gecko("NULL");
    const states = [
      { ...makeState(odd), seen: 'a "b" \\c\\\\, {d,e} NULL\n\t"' },
      { ...makeState(ETH), seen: "" },
      { ...makeState(BTC), seen: "NULL" },
    ];
    const candle = makeCandle(odd, "1m", T0);
    await store.write(writeOf({
      states,
      candles: [candle],
      latest: [makeLatest(odd, T0, 1)],
      publish: [candle],
      examine: [candle],
    }));
    for (const state of states) {
      const market = { source: "coingecko" as const, product: state.market.split(":")[1]! };
      assert.equal((await store.loadMarket(market, MINUTE)).state?.seen, state.seen);
    }
    assert.deepEqual(await store.candles({ ...odd, interval: "1m" }), [candle]);
    assert.deepEqual(await store.latest(odd), [makeLatest(odd, T0, 1)]);
    assert.deepEqual(await store.peekCandleOutbox(10), [candle]);
    assert.deepEqual(await store.peekCandlesToExamine(10), [candle]);
  });

  test("ping() resolves and close() may be called twice", async (store) => {
    await store.ping();
    assert.ok(!/:[^:@/]+@/.test(store.description), store.description);
    await store.close();
    await store.close();
  });
}

/** Everything a store holds about CoinGecko's BTC, through the interface. */
async function snapshot(store: CandleStore) {
  return {
    candles1m: await store.candles({ ...BTC, interval: "1m" }),
    candles5m: await store.candles({ ...BTC, interval: "5m" }),
    latest: await store.latest(),
    // Loading claims the market, raising its epoch: everything else must stay as it was.
    loaded: await store.loadMarket(BTC, 3_600_000).then(({ state, candles }) => ({
      state: state && { ...state, epoch: 0 },
      candles,
    })),
    outbox: await store.peekCandleOutbox(100),
    alertQueue: await store.peekCandlesToExamine(100),
    alertOutbox: await store.peekAlertOutbox(100),
    markets: await store.markets(),
  };
}
