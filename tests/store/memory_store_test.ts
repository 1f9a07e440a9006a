import assert from "node:assert/strict";
import { marketKey } from "../../market/market.ts";
import { StoreRefusedError } from "../../store/store_error.ts";
import { MemoryStore } from "../support/memory_store.ts";
import { BTC, ETH, makeCandle, makeState, storeContract } from "./contract.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 0);

// The in-memory store the actor and candle-book tests write to shows the real stores' behaviour.
storeContract("MemoryStore", () => {
  const store = new MemoryStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});

Deno.test("MemoryStore refuses a market's write whole when told to, and writes nothing of it", async () => {
  const store = new MemoryStore();
  store.refuses.set(marketKey(ETH), "new row violates check constraint");
  const write = {
    states: [makeState(BTC), makeState(ETH)],
    candles: [makeCandle(BTC, "1m", T0), makeCandle(ETH, "1m", T0)],
    latest: [],
    publish: [],
  };
  await assert.rejects(store.write(write), StoreRefusedError, "new row violates check constraint");
  assert.equal(store.refusals, 1);
  assert.deepEqual(store.table(), []);
  store.refuses.clear();
  assert.deepEqual(await store.write(write), []);
  assert.equal(store.table().length, 2);
});

Deno.test("MemoryStore refuses a market's claim when told to, and every call while down", async () => {
  const store = new MemoryStore();
  store.refusesClaim.set(marketKey(BTC), "permission denied");
  await assert.rejects(store.loadMarket(BTC, 60_000), StoreRefusedError, "permission denied");
  assert.equal((await store.loadMarket(ETH, 60_000)).epoch, 1);
  store.failing = true;
  await assert.rejects(store.ping(), Error, "connection refused");
  await assert.rejects(store.latest(), Error, "connection refused");
  store.failing = false;
  await store.ping();
});
