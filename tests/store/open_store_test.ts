import assert from "node:assert/strict";
import { openStore } from "../../store/open_store.ts";
import { PostgresCandleStore } from "../../store/postgres.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { StoreUnavailableError } from "../../store/store_error.ts";
import { createTestDatabase, freePort, postgresTest } from "../support/services.ts";
import { settles } from "../support/wait.ts";

Deno.test("openStore() opens a SQLite file for sqlite:PATH", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crypto-store-" });
  try {
    const store = await openStore(`sqlite:${dir}/.data/market.db`);
    assert.ok(store instanceof SqliteCandleStore);
    assert.equal(store.description, `sqlite:${dir}/.data/market.db`);
    await store.ping();
    await store.close();
    assert.ok((await Deno.stat(`${dir}/.data/market.db`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

postgresTest("openStore() connects to PostgreSQL for postgres:// and postgresql://", async () => {
  const database = await createTestDatabase();
  try {
    for (const url of [database.url, database.url.replace(/^postgres:/, "postgresql:")]) {
      const store = await openStore(url, { timeoutMs: 5_000 });
      assert.ok(store instanceof PostgresCandleStore);
      await store.ping();
      await store.close();
    }
  } finally {
    await database.drop();
  }
});

Deno.test("openStore() refuses any other URL without showing its password", async () => {
  await assert.rejects(
    openStore("mysql://root:hunter2@db/market"),
    (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(
        error.message,
        'Cannot open a store at "mysql://root:***@db/market": expected sqlite:PATH or postgres://user:password@host:port/database',
      );
      return true;
    },
  );
});

Deno.test("openStore() rejects after the timeout when PostgreSQL is unreachable", async () => {
  const port = freePort();
  // "within 0.5s" is said once the time limit has run out; the test's limit bounds a hang.
  await settles(
    assert.rejects(
      openStore(`postgres://crypto:hunter2@127.0.0.1:${port}/market`, { timeoutMs: 500 }),
      (error: unknown) => {
        assert.ok(error instanceof StoreUnavailableError);
        assert.match(
          error.message,
          new RegExp(`^Cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} within 0\\.5s: `),
        );
        assert.ok(!error.message.includes("hunter2"));
        return true;
      },
    ),
    { message: "openStore() to give up", timeoutMs: 15_000 },
  );
});
