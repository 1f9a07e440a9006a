import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { candleJson } from "../../market/messages/candle_message.ts";
import { latestPriceJson } from "../../market/messages/latest_price_message.ts";
import type { CandleQuery } from "../../store/candle_store.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { migrateSqlite, SQLITE_MIGRATIONS } from "../../store/sqlite_schema.ts";
import {
  BTC,
  BTC_EUR,
  BTC_USD,
  ETH,
  makeCandle,
  makeLatest,
  makeState,
  storeContract,
  tradeFields,
} from "./contract.ts";

storeContract("SqliteCandleStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crypto-store-" });
  const store = SqliteCandleStore.open(`${dir}/market.db`);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

/** A temporary folder for one test, removed after it. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "crypto-store-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SqliteCandleStore.open() creates the folder, uses WAL and records the migrations", () =>
  withDir(async (dir) => {
    const path = `${dir}/nested/.data/market.db`;
    const store = SqliteCandleStore.open(path);
    assert.equal(store.description, `sqlite:${path}`);
    await store.close();
    const db = new DatabaseSync(path);
    try {
      assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
      const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
      assert.deepEqual(versions.map((row) => row.version), SQLITE_MIGRATIONS.map((m) => m.version));
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all().map((row) => row.name);
      assert.deepEqual(tables, [
        "alert_outbox",
        "alert_queue",
        "alerts",
        "candle_outbox",
        "candle_state",
        "candles",
        "latest_prices",
        "schema_migrations",
      ]);
      const stored = db.prepare("SELECT window_start FROM candles").all();
      assert.deepEqual(stored, []);
    } finally {
      db.close();
    }
  }));

Deno.test("SqliteCandleStore keeps times as ISO-8601 text and reopens with its rows", () =>
  withDir(async (dir) => {
    const path = `${dir}/market.db`;
    const candle = makeCandle(BTC, "1m", Date.UTC(2025, 10, 12, 10, 30), {
      firstEvent: Date.UTC(2025, 10, 12, 10, 30, 5, 123),
    });
    const first = SqliteCandleStore.open(path);
    await first.write({
      states: [makeState(BTC)],
      candles: [candle],
      latest: [],
      publish: [],
    });
    await first.close();
    const db = new DatabaseSync(path);
    try {
      const row = db.prepare("SELECT window_start, first_event, closed FROM candles").get();
      assert.deepEqual({ ...row }, {
        window_start: "2025-11-12T10:30:00.000Z",
        first_event: "2025-11-12T10:30:05.123Z",
        closed: 1,
      });
    } finally {
      db.close();
    }
    const again = SqliteCandleStore.open(path);
    try {
      assert.deepEqual(await again.candles({ ...BTC, interval: "1m" }), [candle]);
    } finally {
      await again.close();
    }
  }));

Deno.test("SqliteCandleStore.candlesJson() gives what candles() gives through candleJson", () =>
  withDir(async (dir) => {
    const path = `${dir}/market.db`;
    const start = Date.UTC(2025, 10, 12, 10, 0);
    const minute = 60_000;
    const eur = Array.from({ length: 12 }, (_, i) =>
      makeCandle(BTC_EUR, "1m", start + i * minute, {
        ...tradeFields(1.25 + i, 0.5, 3 + i),
        open: 41_000.5 + i,
        high: 41_020 + i,
        low: 40_990.25 - i,
        close: 41_005 + i / 3,
        vwap: 41_003.75 + i,
        firstEvent: start + i * minute + 1_234,
        lastEvent: start + i * minute + 59_999,
        closed: i < 11,
        revision: i % 3,
      }));
    const btc = [makeCandle(BTC, "1m", start), makeCandle(BTC, "5m", start, { close: 1e-7 })];
    const store = SqliteCandleStore.open(path);
    try {
      await store.write({
        states: [makeState(BTC_EUR), makeState(BTC)],
        candles: [...eur, ...btc],
        latest: [],
        publish: [],
      });
      const same = async (query: CandleQuery) => {
        const expected = (await store.candles(query)).map(candleJson);
        const json = await store.candlesJson(query);
        assert.equal(JSON.stringify(json), JSON.stringify(expected));
        return json.length;
      };
      assert.equal(await same({ ...BTC_EUR, interval: "1m" }), 12);
      assert.equal(await same({ ...BTC_EUR, interval: "1m", limit: 5 }), 5);
      assert.equal(await same({ ...BTC_EUR, interval: "1m", from: start + 3 * minute }), 9);
      assert.equal(await same({ ...BTC_EUR, interval: "1m", to: start + 3 * minute + 1 }), 4);
      assert.equal(
        await same({ ...BTC_EUR, interval: "1m", from: start, to: start + 6 * minute, limit: 2 }),
        2,
      );
      assert.equal(await same({ ...BTC, interval: "5m" }), 1);
      assert.equal(await same({ ...ETH, interval: "1m" }), 0);
      await assert.rejects(store.candlesJson({ ...BTC, interval: "1m", limit: 0 }), RangeError);
    } finally {
      await store.close();
    }
    // Times stored otherwise than `toISOString` writes them are answered as it writes them.
    const db = new DatabaseSync(path);
    try {
      const update = db.prepare(
        `UPDATE candles SET first_event = ?, last_event = ? WHERE product = 'BTC-EUR' AND window_start = ?`,
      );
      update.run("2025-11-12T10:00:05Z", "2025-11-12T10:00:59.9+00:00", "2025-11-12T10:00:00.000Z");
      update.run(
        "2025-11-12T10:01:05.000Z",
        "2024-02-30T00:00:00.000Z",
        "2025-11-12T10:01:00.000Z",
      );
    } finally {
      db.close();
    }
    const again = SqliteCandleStore.open(path);
    try {
      const query: CandleQuery = { ...BTC_EUR, interval: "1m", limit: 12 };
      const json = await again.candlesJson(query);
      assert.deepEqual(
        [json[0]!.first_event, json[0]!.last_event, json[1]!.last_event],
        ["2025-11-12T10:00:05.000Z", "2025-11-12T10:00:59.900Z", "2024-03-01T00:00:00.000Z"],
      );
      assert.deepEqual(json, (await again.candles(query)).map(candleJson));
    } finally {
      await again.close();
    }
  }));

Deno.test("SqliteCandleStore.latestJson() gives what latest() gives through latestPriceJson", () =>
  withDir(async (dir) => {
    const path = `${dir}/market.db`;
    const at = Date.UTC(2025, 10, 12, 10, 30, 45, 678);
    const prices = [
      makeLatest(BTC_EUR, at, 41_800.5),
      { ...makeLatest(BTC, at - 1, 45_234.56), marketCap: 8.8e11, priceChange24h: null },
      { ...makeLatest(ETH, at + 1, 0.000012345), volume24h: null },
    ];
    const store = SqliteCandleStore.open(path);
    try {
      await store.write({ states: [], candles: [], latest: prices, publish: [] });
      const all = await store.latestJson();
      assert.equal(
        JSON.stringify(all),
        JSON.stringify((await store.latest()).map(latestPriceJson)),
      );
      assert.deepEqual(all.map((p) => p.product), ["BTC-EUR", "BTC-USD", "ETH-USD"]);
      const one = await store.latestJson(BTC_EUR);
      assert.equal(
        JSON.stringify(one),
        JSON.stringify((await store.latest(BTC_EUR)).map(latestPriceJson)),
      );
      assert.deepEqual(one.map((p) => [p.quote, p.event_time]), [[
        "EUR",
        new Date(at).toISOString(),
      ]]);
      assert.deepEqual(await store.latestJson(BTC_USD), []);
    } finally {
      await store.close();
    }
    // An event time stored otherwise than `toISOString` writes it is answered as it writes it.
    const db = new DatabaseSync(path);
    try {
      db.prepare("UPDATE latest_prices SET event_time = ? WHERE product = 'ETH-USD'")
        .run("2025-11-12T10:30:45Z");
    } finally {
      db.close();
    }
    const again = SqliteCandleStore.open(path);
    try {
      const [eth] = await again.latestJson(ETH);
      assert.equal(eth!.event_time, "2025-11-12T10:30:45.000Z");
      assert.deepEqual(await again.latestJson(), (await again.latest()).map(latestPriceJson));
    } finally {
      await again.close();
    }
  }));

Deno.test("SqliteCandleStore lets two connections share one file", () =>
  withDir(async (dir) => {
    const path = `${dir}/market.db`;
    const [a, b] = [SqliteCandleStore.open(path), SqliteCandleStore.open(path)];
    try {
      const start = Date.UTC(2025, 10, 12, 10, 30);
      await Promise.all([
        a.write({
          states: [makeState(BTC)],
          candles: [makeCandle(BTC, "1m", start)],
          latest: [],
          publish: [],
        }),
        b.write({
          states: [makeState(ETH)],
          candles: [makeCandle(ETH, "1m", start)],
          latest: [],
          publish: [],
        }),
      ]);
      assert.equal((await a.candles({ ...ETH, interval: "1m" })).length, 1);
      assert.equal((await b.candles({ ...BTC, interval: "1m" })).length, 1);
    } finally {
      await a.close();
      await b.close();
    }
  }));

Deno.test("SqliteCandleStore.open() brings a database of schema 1 up to date, keeping its rows", () =>
  withDir(async (dir) => {
    const path = `${dir}/market.db`;
    const db = new DatabaseSync(path);
    migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 1));
    db.close();
    const candle = makeCandle(BTC, "1m", Date.UTC(2025, 10, 12, 10, 30));
    const first = SqliteCandleStore.open(path);
    await first.write({ states: [makeState(BTC)], candles: [candle], latest: [], publish: [] });
    await first.close();
    const again = SqliteCandleStore.open(path);
    try {
      assert.deepEqual(await again.candles({ ...BTC, interval: "1m" }), [candle]);
      assert.deepEqual(await again.peekCandlesToExamine(10), []);
    } finally {
      await again.close();
    }
  }));

Deno.test("migrateSqlite() refuses a database whose schema is newer than the program", () => {
  const db = new DatabaseSync(":memory:");
  try {
    migrateSqlite(db);
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'from the future', '')").run();
    assert.throws(
      () => migrateSqlite(db),
      new RegExp(
        `schema is at version 99, newer than this program's ${SQLITE_MIGRATIONS.at(-1)!.version}`,
      ),
    );
    assert.equal(db.isTransaction, false);
  } finally {
    db.close();
  }
});

Deno.test("SqliteCandleStore.open() names the path and the reason when it cannot open", () =>
  withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "not a folder");
    assert.throws(
      () => SqliteCandleStore.open(`${dir}/file/market.db`),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal(error.name, "StoreUnavailableError");
        assert.match(error.message, /^Cannot open the SQLite store .*file\/market\.db: /);
        return true;
      },
    );
  }));

Deno.test("SqliteCandleStore writes a database file on a thread of its own: while a write waits for another connection's lock the program goes on, and the write lands once the lock is let go", () =>
  withDir(async (dir) => {
    const path = `${dir}/market.db`;
    const store = SqliteCandleStore.open(path, { busyTimeoutMs: 30_000 });
    const other = new DatabaseSync(path);
    try {
      other.exec("BEGIN IMMEDIATE");
      const candle = makeCandle(BTC, "1m", Date.UTC(2025, 10, 12, 10, 30));
      let written = false;
      const writing = store.write({
        states: [makeState(BTC)],
        candles: [candle],
        latest: [],
        publish: [],
      }).then(() => (written = true));
      // Timers of the program's own thread fire while the write waits: it is not waiting with it.
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (++ticks === 5) (clearInterval(timer), resolve());
        }, 20);
      });
      assert.equal(written, false, "the write went through another connection's lock");
      // Reads go on meanwhile, on the program's connection.
      assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), []);
      other.exec("COMMIT");
      await writing;
      assert.deepEqual(await store.candles({ ...BTC, interval: "1m" }), [candle]);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
    }
  }));

Deno.test("SqliteCandleStore.write() on a file whose lock another connection keeps past the busy timeout fails as a store that is away, and goes through once it is let go", () =>
  withDir(async (dir) => {
    const path = `${dir}/market.db`;
    const store = SqliteCandleStore.open(path, { busyTimeoutMs: 50 });
    const other = new DatabaseSync(path);
    const write = {
      states: [makeState(BTC)],
      candles: [makeCandle(BTC, "1m", Date.UTC(2025, 10, 12, 10, 30))],
      latest: [],
      publish: [],
    };
    try {
      other.exec("BEGIN IMMEDIATE");
      await assert.rejects(store.write(write), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal(error.name, "StoreUnavailableError");
        assert.match(error.message, /database is locked/);
        return true;
      });
      other.exec("COMMIT");
      assert.deepEqual(await store.write(write), []);
      assert.equal((await store.candles({ ...BTC, interval: "1m" })).length, 1);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
    }
  }));

Deno.test("SqliteCandleStore.write() after close() is refused with the store's name", () =>
  withDir(async (dir) => {
    const store = SqliteCandleStore.open(`${dir}/market.db`);
    await store.write({ states: [makeState(BTC)], candles: [], latest: [], publish: [] });
    await store.close();
    await assert.rejects(
      store.write({ states: [makeState(BTC)], candles: [], latest: [], publish: [] }),
      /The store sqlite:.*market\.db is closed/,
    );
  }));
