/**
 * Each store says whether an error is worth retrying: a refused value, type or constraint is a
 * {@linkcode StoreRefusedError} (`transient: false`), a lost connection or a lock a
 * {@linkcode StoreUnavailableError} (`transient: true`); the writers ask the error, never its
 * message.
 */
import assert from "node:assert/strict";
import { PostgresCandleStore } from "../../store/postgres.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import {
  isPermanentStoreError,
  isRefusedSqlState,
  sqliteErrorKind,
  StoreRefusedError,
  StoreUnavailableError,
} from "../../store/store_error.ts";
import type { StoreWrite } from "../../market/store_write.ts";
import { createTestDatabase, freePort, postgresTest } from "../support/services.ts";
import { refuseSymbol } from "../support/store_refusal.ts";
import { BTC, gecko, makeCandle, makeState } from "./contract.ts";

const T0 = Date.UTC(2025, 10, 12, 10, 30);

function writeOf(symbols: string[]): StoreWrite {
  return {
    states: symbols.map((s) => makeState(gecko(s))),
    candles: symbols.map((s) => makeCandle(gecko(s), "1m", T0)),
    latest: [],
    publish: [],
  };
}

Deno.test("the two kinds are told apart by the error itself: transient or not", () => {
  const refused = new StoreRefusedError("SQLite refused it: CHECK constraint failed");
  const away = new StoreUnavailableError("Lost the connection");
  assert.equal(refused.transient, false);
  assert.equal(away.transient, true);
  assert.ok(refused instanceof RangeError, "a refused value is a RangeError");
  assert.ok(isPermanentStoreError(refused));
  for (const other of [away, new Error("x"), new RangeError("x"), "text", null]) {
    assert.ok(!isPermanentStoreError(other), String(other));
  }
});

Deno.test("PostgreSQL's SQLSTATE classes 22, 23 and 42 are refusals; connection and conflict classes are not", () => {
  for (const code of ["22003", "22P02", "23505", "23514", "23502", "42703", "42P01"]) {
    assert.ok(isRefusedSqlState(code), code);
  }
  for (const code of ["08006", "57P01", "40001", "40P01", "53300", "XX000", "", "23"]) {
    assert.ok(!isRefusedSqlState(code), code);
  }
});

Deno.test("SQLite's constraint, datatype and size errors are refusals; locked, busy and I/O are transient", () => {
  for (
    const message of [
      "CHECK constraint failed: symbol <> 'ETH'",
      "NOT NULL constraint failed: candles.open",
      "UNIQUE constraint failed: candles.symbol",
      "cannot store TEXT value in REAL column candles.open",
      "datatype mismatch",
      "string or blob too big",
    ]
  ) assert.equal(sqliteErrorKind(message), "refused", message);
  for (const message of ["database is locked", "database table is locked", "disk I/O error"]) {
    assert.equal(sqliteErrorKind(message), "transient", message);
  }
  assert.equal(sqliteErrorKind("out of memory"), null);
});

/** Checks a store that refuses ETH's candles: a write with them is refused for good, others pass. */
async function refusesOneSymbol(store: CandleStore): Promise<void> {
  await assert.rejects(store.write(writeOf(["BTC", "ETH"])), (error: unknown) => {
    assert.ok(isPermanentStoreError(error), String(error));
    assert.match((error as Error).message, /refuse_eth_candles/);
    assert.doesNotMatch((error as Error).message, /\n/);
    return true;
  });
  // Nothing of the refused write was kept: it was one transaction.
  assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), []);
  assert.deepEqual(await store.write(writeOf(["BTC", "SOL"])), []);
  assert.equal((await store.candles({ ...BTC, interval: "1m" })).length, 1);
  // A value no store can keep is a refusal too.
  const infinite = writeOf(["ADA"]);
  infinite.candles[0]!.vwap = Infinity;
  await assert.rejects(store.write(infinite), StoreRefusedError);
}

Deno.test("SqliteCandleStore: a CHECK constraint's refusal is a StoreRefusedError; other markets are written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crypto-store-" });
  try {
    const path = `${dir}/market.db`;
    await SqliteCandleStore.open(path).close();
    await refuseSymbol(`sqlite:${path}`, "candles", "ETH");
    const store = SqliteCandleStore.open(path);
    try {
      await refusesOneSymbol(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

postgresTest(
  "PostgresCandleStore: a CHECK constraint's refusal is a StoreRefusedError; other markets are written",
  async () => {
    const database = await createTestDatabase();
    try {
      await (await PostgresCandleStore.connect(database.url)).close();
      await refuseSymbol(database.url, "candles", "ETH");
      const store = await PostgresCandleStore.connect(database.url);
      try {
        await refusesOneSymbol(store);
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  },
);

Deno.test("PostgresCandleStore: a store that cannot be reached is transient", async () => {
  const port = freePort();
  await assert.rejects(
    PostgresCandleStore.connect(`postgres://u@127.0.0.1:${port}/market`, {
      connectTimeoutMs: 300,
    }),
    (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError && error.transient);
      assert.ok(!isPermanentStoreError(error));
      return true;
    },
  );
});
