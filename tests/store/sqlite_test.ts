import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { migrateSqlite, SQLITE_MIGRATIONS } from "../../store/sqlite_schema.ts";
import { BTC, ETH, makeCandle, makeState, storeContract } from "./contract.ts";

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
