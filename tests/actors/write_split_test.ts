import assert from "node:assert/strict";
import { isolateRefusals } from "../../actors/write_split.ts";
import { CandleBook } from "../../market/candle_book.ts";
import { marketKey, priceMarket } from "../../market/market.ts";
import { marketsOfWrite, partOfWrite } from "../../market/store_write.ts";
import { StoreRefusedError, StoreUnavailableError } from "../../store/store_error.ts";
import { MemoryStore } from "../support/memory_store.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 30);
const SYMBOLS = ["ADA", "BTC", "DOGE", "ETH", "LINK", "SOL", "XRP", "DOT"];
/** CoinGecko's market of each symbol, by key. */
const MARKETS = SYMBOLS.map((s) => marketKey(priceMarket(s)));
const [, , , ETH, , , XRP] = MARKETS as [string, string, string, string, string, string, string];

/** A write of a minute of prices of each symbol, as the candle book makes it. */
function flushOf(symbols: readonly string[]) {
  const book = new CandleBook({
    intervals: ["1m", "5m"],
    outOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    idleTimeoutMs: 60_000,
  });
  for (const symbol of symbols) {
    const market = priceMarket(symbol);
    book.claim(market, { state: null, epoch: 1, candles: [] }, 0);
    for (let s = 0; s < 70; s += 10) {
      const time = T0 + s * 1_000;
      book.apply({ ...market, time, price: 100 + s, size: null, taker: null, id: time }, 0, {
        ...market,
        symbol,
        priceUsd: 100 + s,
        volume24h: null,
        marketCap: null,
        priceChange24h: null,
        eventTime: time,
      });
    }
  }
  return book.flush(book.markets);
}

Deno.test("partOfWrite() splits a write by market into parts that together are the whole", () => {
  const { write } = flushOf(SYMBOLS);
  assert.deepEqual(marketsOfWrite(write).sort(), [...MARKETS].sort());
  const halves = [new Set(MARKETS.slice(0, 3)), new Set(MARKETS.slice(3))];
  const parts = halves.map((half) => partOfWrite(write, half));
  for (const field of ["states", "candles", "latest", "publish"] as const) {
    assert.equal(parts[0]![field].length + parts[1]![field].length, write[field].length, field);
  }
  for (const [i, part] of parts.entries()) {
    assert.ok(marketsOfWrite(part).every((m) => halves[i]!.has(m)));
  }
});

Deno.test("isolateRefusals() finds the markets a store refuses for good and writes every other one", async () => {
  const store = new MemoryStore();
  store.refuses.set(ETH, "new row violates check constraint refuse_eth");
  store.refuses.set(XRP, "value out of range");
  const { write } = flushOf(SYMBOLS);
  let attempts = 0;
  const refusals = await isolateRefusals(marketsOfWrite(write), async (keys) => {
    attempts++;
    await store.write(partOfWrite(write, new Set(keys)));
  });
  assert.deepEqual(refusals.map((r) => r.keys), [[ETH], [XRP]]);
  assert.deepEqual(refusals.map((r) => r.error.message), [
    "new row violates check constraint refuse_eth",
    "value out of range",
  ]);
  // Every other market is in the store, whole.
  assert.deepEqual(
    [...store.states.keys()].sort(),
    ["ADA", "BTC", "DOGE", "DOT", "LINK", "SOL"].map((s) => `coingecko:${s}-USD`),
  );
  const written = [...store.rows.values()];
  assert.equal(written.length, write.candles.length - 2 * 3);
  assert.ok(!written.some((c) => c.symbol === "ETH" || c.symbol === "XRP"));
  // Two refused among eight: the first write, then a few halves each.
  assert.ok(attempts <= 1 + 2 * 2 * 3, `${attempts} writes`);
});

Deno.test("isolateRefusals() writes once when nothing is refused, and refuses each market alone when all are", async () => {
  const store = new MemoryStore();
  const { write } = flushOf(SYMBOLS);
  let attempts = 0;
  const attempt = async (keys: readonly string[]) => {
    attempts++;
    await store.write(partOfWrite(write, new Set(keys)));
  };
  assert.deepEqual(await isolateRefusals(marketsOfWrite(write), attempt), []);
  assert.equal(attempts, 1);
  for (const market of MARKETS) store.refuses.set(market, `no ${market}`);
  const refusals = await isolateRefusals(marketsOfWrite(write), attempt);
  assert.deepEqual(refusals.map((r) => r.keys[0]), marketsOfWrite(write));
  assert.ok(refusals.every((r) => r.keys.length === 1 && r.error instanceof StoreRefusedError));
});

Deno.test("isolateRefusals() does not split on a transient error: it is the caller's to retry", async () => {
  let attempts = 0;
  await assert.rejects(
    isolateRefusals(SYMBOLS, () => {
      attempts++;
      return Promise.reject(new StoreUnavailableError("connection refused"));
    }),
    StoreUnavailableError,
  );
  assert.equal(attempts, 1);
  await assert.rejects(isolateRefusals(SYMBOLS, () => Promise.reject(new Error("bug"))), /bug/);
});
