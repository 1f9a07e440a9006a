/**
 * `deno task start` makes candles over its embedded log, prints the closed ones and leaves them
 * in the store: the embedded SQLite file by default, PostgreSQL with `--store postgres://…`.
 *
 * @module
 */
import { priceMarket } from "../../market/market.ts";
import assert from "node:assert/strict";
import { openStore } from "../../store/open_store.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { runCommand } from "../support/run.ts";
import { createTestDatabase, postgresTest } from "../support/services.ts";

/** Runs start for 90 fetches (the stand-in's price times move a second a fetch) into a store. */
async function startInto(store: string) {
  const stub = await CoinGeckoStub.start();
  try {
    const run = await runCommand("start", {
      args: ["--iterations", "90", "--interval", "0.05", "--store", store, "--no-http"],
      env: { COINGECKO_BASE_URL: stub.url, API_RATE_LIMIT_DELAY: "0" },
      timeoutMs: 90_000,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    return run;
  } finally {
    await stub.close();
  }
}

/** The printed candle lines agree with the store, and every price is in exactly one 1m candle. */
async function checkStore(stdout: string, url: string) {
  const lines = [
    ...stdout.matchAll(
      /^Candle coingecko (\w+)-USD (\w+) (\S+) O (\S+) H (\S+) L (\S+) C (\S+) \((\d+) samples?\)$/gm,
    ),
  ];
  assert.ok(lines.length >= 2, `closed candles printed:\n${stdout}`);
  assert.match(stdout, /Candles: 1m, 5m, 15m, 1h into /);
  const produced = [...stdout.matchAll(/^Produced: (\w+) /gm)].map((m) => m[1]);
  const store = await openStore(url, { timeoutMs: 5_000 });
  try {
    for (const symbol of ["BTC", "ETH"]) {
      const candles = await store.candles({ ...priceMarket(symbol), interval: "1m" });
      const samples = candles.reduce((sum, c) => sum + c.samples, 0);
      assert.equal(
        samples,
        produced.filter((s) => s === symbol).length,
        `${symbol} prices in 1m candles`,
      );
      for (const line of lines.filter((l) => l[1] === symbol && l[2] === "1m")) {
        const stored = candles.find((c) =>
          new Date(c.windowStart).toISOString().replace(".000Z", "Z") === line[3]
        );
        assert.ok(stored?.closed, `${line[0]} is stored closed`);
        assert.equal(stored!.samples, Number(line[8]));
      }
      assert.equal(
        (await store.latest(priceMarket(symbol))).length,
        1,
        `${symbol}'s latest price`,
      );
    }
  } finally {
    await store.close();
  }
}

Deno.test("start makes candles over the embedded log, prints the closed ones and leaves them in the SQLite store", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `sqlite:${dir}/market.db`;
    const run = await startInto(url);
    await checkStore(run.stdout, url);
    assert.match(run.stdout, /Candles summary:\n {2}Records read: 180 \(refused when read: 0\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

postgresTest("start --store postgres://… leaves the candles in PostgreSQL", async () => {
  const db = await createTestDatabase();
  try {
    const run = await startInto(db.url);
    await checkStore(run.stdout, db.url);
  } finally {
    await db.drop();
  }
});
