import assert from "node:assert/strict";
import postgres from "postgres";
import { PostgresCandleStore } from "../../store/postgres.ts";
import { POSTGRES_MIGRATIONS } from "../../store/postgres_schema.ts";
import { StoreRefusedError, StoreUnavailableError } from "../../store/store_error.ts";
import {
  createTestDatabase,
  freePort,
  POSTGRES_TEST_URL,
  postgresTest,
} from "../support/services.ts";
import { BTC, makeCandle, makeState, storeContract } from "./contract.ts";

storeContract("PostgresCandleStore", async () => {
  const database = await createTestDatabase();
  try {
    const store = await PostgresCandleStore.connect(database.url, { connectTimeoutMs: 10_000 });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}, { test: postgresTest });

Deno.test("PostgresCandleStore.connect() gives up after the timeout naming host:port, never the password", async () => {
  const port = freePort();
  const started = Date.now();
  await assert.rejects(
    PostgresCandleStore.connect(`postgres://crypto:hunter2-secret@127.0.0.1:${port}/market`, {
      connectTimeoutMs: 1_200,
    }),
    (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError, String(error));
      assert.match(
        error.message,
        new RegExp(
          `^Cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} within 1\\.2s: .*ECONNREFUSED`,
        ),
      );
      assert.ok(!error.message.includes("hunter2"), error.message);
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    },
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 1_100 && elapsed < 4_000, `gave up after ${elapsed} ms`);
});

postgresTest(
  "PostgresCandleStore.connect() fails at once on a database that does not exist",
  async () => {
    const url = new URL(POSTGRES_TEST_URL);
    url.password = "hunter2-secret";
    url.pathname = "/crypto_test_missing_database";
    const started = Date.now();
    await assert.rejects(
      PostgresCandleStore.connect(url.href, { connectTimeoutMs: 10_000 }),
      (error: unknown) => {
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.match(error.message, /^Cannot connect to PostgreSQL at [^ ]+:\d+: .*does not exist/);
        assert.ok(!error.message.includes("hunter2"), error.message);
        return true;
      },
    );
    assert.ok(Date.now() - started < 5_000);
  },
);

postgresTest(
  "PostgresCandleStore migrates a new database once, even when two connect at once",
  async () => {
    const database = await createTestDatabase();
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const stores = await Promise.all([
        PostgresCandleStore.connect(database.url),
        PostgresCandleStore.connect(database.url),
      ]);
      await Promise.all(stores.map((store) => store.close()));
      const versions = await admin`SELECT version FROM schema_migrations ORDER BY version`;
      assert.deepEqual(
        versions.map((row) => row.version),
        POSTGRES_MIGRATIONS.map((m) => m.version),
      );
      const columns = await admin`
      SELECT column_name, data_type FROM information_schema.columns
      WHERE table_name = 'candles' ORDER BY ordinal_position`;
      assert.deepEqual(columns.map((c) => `${c.column_name} ${c.data_type}`), [
        "source text",
        "product text",
        "symbol text",
        "quote text",
        "interval text",
        "window_start timestamp with time zone",
        "window_end timestamp with time zone",
        "open double precision",
        "high double precision",
        "low double precision",
        "close double precision",
        "samples integer",
        "trades integer",
        "volume double precision",
        "buy_volume double precision",
        "sell_volume double precision",
        "vwap double precision",
        "first_event timestamp with time zone",
        "last_event timestamp with time zone",
        "closed boolean",
        "revision integer",
        "updated_at timestamp with time zone",
      ]);
    } finally {
      await admin.end();
      await database.drop();
    }
  },
);

postgresTest(
  "PostgresCandleStore keeps a write's times as timestamptz and leaves an unchanged row alone",
  async () => {
    const database = await createTestDatabase();
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    const store = await PostgresCandleStore.connect(database.url);
    try {
      const candle = makeCandle(BTC, "1m", Date.UTC(2025, 10, 12, 10, 30), {
        firstEvent: Date.UTC(2025, 10, 12, 10, 30, 5, 123),
      });
      const write = {
        states: [makeState(BTC)],
        candles: [candle],
        latest: [],
        publish: [],
      };
      await store.write(write);
      const [first] = await admin`
      SELECT to_char(first_event AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS first_event,
        xmin::text AS version FROM candles`;
      assert.equal(first?.first_event, "2025-11-12T10:30:05.123");
      await store.write(write);
      const [second] = await admin`SELECT xmin::text AS version FROM candles`;
      assert.equal(second?.version, first?.version, "the same candle again rewrote its row");
    } finally {
      await store.close();
      await admin.end();
      await database.drop();
    }
  },
);

postgresTest(
  "PostgresCandleStore keeps times to the ms whatever the database's time zone, across a clock change and up to 9999",
  async () => {
    const database = await createTestDatabase();
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const name = new URL(database.url).pathname.slice(1);
      await admin.unsafe(`ALTER DATABASE ${name} SET timezone = 'America/New_York'`);
      const store = await PostgresCandleStore.connect(database.url);
      try {
        // New York's clocks went forward at 2025-03-09T07:00Z.
        const change = Date.UTC(2025, 2, 9, 7);
        const candles = [
          makeCandle(BTC, "1h", change - 3_600_000, {
            firstEvent: change - 1,
            lastEvent: change - 1,
          }),
          makeCandle(BTC, "1m", change, { firstEvent: change + 1, lastEvent: change + 59_999 }),
          makeCandle(BTC, "1d", 253_402_214_400_000, {
            windowEnd: 253_402_300_799_999,
            firstEvent: 253_402_214_400_001,
            lastEvent: 253_402_300_799_999,
          }),
        ];
        await store.write({
          states: [makeState(BTC, 1, 253_402_300_799_999)],
          candles,
          latest: [],
          publish: candles,
        });
        for (const candle of candles) {
          assert.deepEqual(await store.candles({ ...BTC, interval: candle.interval }), [candle]);
        }
        assert.deepEqual(await store.peekCandleOutbox(10), candles);
        const stored = await admin`
          SELECT to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS start
          FROM candles ORDER BY window_start`;
        assert.deepEqual(stored.map((row) => row.start), [
          "2025-03-09T06:00:00.000000",
          "2025-03-09T07:00:00.000000",
          "9999-12-31T00:00:00.000000",
        ]);
        const [state] = await admin`
          SELECT to_char(max_event AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS max_event
          FROM candle_state`;
        assert.equal(state?.max_event, "9999-12-31T23:59:59.999000");
      } finally {
        await store.close();
      }
    } finally {
      await admin.end();
      await database.drop();
    }
  },
);

postgresTest(
  "PostgresCandleStore writes a large batch in one transaction: a row refused at its end leaves nothing of it, and says why",
  async () => {
    const database = await createTestDatabase();
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    const store = await PostgresCandleStore.connect(database.url);
    try {
      // A rule only the database knows, broken by the batch's last candle.
      await admin`ALTER TABLE candles ADD CONSTRAINT no_42 CHECK (close <> 42)`;
      const start = Date.UTC(2025, 10, 12);
      const candles = Array.from(
        { length: 4_500 },
        (_, i) => makeCandle(BTC, "1m", start + i * 60_000, { close: i === 4_499 ? 42 : 100 }),
      );
      await assert.rejects(
        store.write({ states: [makeState(BTC)], candles, latest: [], publish: candles }),
        (error: unknown) => {
          assert.ok(error instanceof StoreRefusedError, String(error));
          assert.match(error.message, /no_42/);
          return true;
        },
      );
      const [counts] = await admin`
        SELECT (SELECT count(*) FROM candles)::int AS candles,
          (SELECT count(*) FROM candle_state)::int AS states,
          (SELECT count(*) FROM candle_outbox)::int AS queued`;
      assert.deepEqual({ ...counts }, { candles: 0, states: 0, queued: 0 });
      // The store goes on: the same batch without the broken rule is written whole.
      await admin`ALTER TABLE candles DROP CONSTRAINT no_42`;
      await store.write({ states: [makeState(BTC)], candles, latest: [], publish: candles });
      assert.equal((await store.candles({ ...BTC, interval: "1m", limit: 5_000 })).length, 4_500);
      assert.equal((await store.peekCandleOutbox(5_000)).length, 4_500);
    } finally {
      await store.close();
      await admin.end();
      await database.drop();
    }
  },
);

postgresTest("PostgresCandleStore reconnects after its connections are cut", async () => {
  const database = await createTestDatabase();
  const admin = postgres(POSTGRES_TEST_URL, { max: 1, onnotice: () => {} });
  const store = await PostgresCandleStore.connect(database.url);
  try {
    await store.ping();
    const name = new URL(database.url).pathname.slice(1);
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`;
    await store.ping().catch((error) => {
      assert.ok(error instanceof StoreUnavailableError, String(error));
      assert.match(error.message, /^Lost the connection to PostgreSQL at /);
    });
    await store.ping();
  } finally {
    await store.close();
    await admin.end();
    await database.drop();
  }
});
