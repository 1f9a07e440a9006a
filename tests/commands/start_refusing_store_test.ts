/**
 * `deno task start` over a store that refuses one market's writes for good (a CHECK constraint
 * added by the test): the refused records go to the embedded log's dead-letter topic and show in
 * `/api/v1/pipeline`, the other markets' candles keep being written, and `/readyz` stays ready
 * past the 30 s after which failing writes would make it 503.
 *
 * @module
 */
import { priceMarket } from "../../market/market.ts";
import assert from "node:assert/strict";
import { openStore } from "../../store/open_store.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { spawnCommand } from "../support/run.ts";
import { createTestDatabase, postgresTest } from "../support/services.ts";
import { refuseSymbol } from "../support/store_refusal.ts";

postgresTest(
  "start over a store refusing ETH for good: ETH's records are dead-lettered on the embedded log and shown in /api/v1/pipeline, BTC and SOL flow, /readyz stays 200",
  async () => {
    const stub = await CoinGeckoStub.start();
    const db = await createTestDatabase();
    try {
      await (await openStore(db.url, { timeoutMs: 10_000 })).close();
      await refuseSymbol(db.url, "candles", "ETH");
      const run = spawnCommand("start", {
        args: [
          "--interval",
          "0.2",
          "--coins",
          "bitcoin:BTC,ethereum:ETH,solana:SOL",
          "--store",
          db.url,
          "--intervals",
          "1m",
          "--http",
          "127.0.0.1:0",
        ],
        env: { COINGECKO_BASE_URL: stub.url, API_RATE_LIMIT_DELAY: "0" },
      });
      try {
        await run.waitFor((out) => /Dashboard: http:\/\/127\.0\.0\.1:\d+\//.test(out), 60_000);
        const port = /Dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stdout())![1];
        const get = async (path: string) => {
          const answer = await fetch(`http://127.0.0.1:${port}${path}`);
          return { status: answer.status, body: await answer.json() };
        };
        // Past the 30 s after which writes failing would make the store not ready.
        const started = Date.now();
        let written = 0;
        while (Date.now() - started < 35_000) {
          const ready = await get("/readyz");
          assert.equal(ready.status, 200, JSON.stringify(ready.body));
          const store = await openStore(db.url, { timeoutMs: 5_000 });
          try {
            const btc = await store.candles({ ...priceMarket("BTC"), interval: "1m" });
            const samples = btc.reduce((n, c) => n + c.samples, 0);
            assert.ok(samples >= written, "BTC's candles only grow");
            written = samples;
            assert.deepEqual(
              await store.candles({ ...priceMarket("ETH"), interval: "1m" }),
              [],
            );
          } finally {
            await store.close();
          }
          await new Promise((r) => setTimeout(r, 5_000));
        }
        assert.ok(written > 20, `BTC kept flowing: ${written} prices in its candles`);
        const ready = await get("/readyz");
        assert.equal(ready.status, 200, JSON.stringify(ready.body));
        assert.equal(ready.body.checks.writes, "ok");
        const pipeline = await get("/api/v1/pipeline");
        const dead = pipeline.body.dead_letters;
        assert.equal(dead.topic, "crypto-dlq");
        assert.ok(dead.refused_by_store > 10, JSON.stringify(dead));
        assert.equal(dead.refused_when_read, 0);
        for (const letter of dead.latest) {
          assert.equal(letter.topic, "crypto-prices");
          assert.match(letter.reason, /^PostgreSQL refused it: .*refuse_eth_candles/);
        }
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        assert.match(metrics, /crypto_dead_letters_total\{refused_by="store"\} [1-9]\d*/);
      } finally {
        run.kill("SIGINT");
      }
      const ended = await run.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.match(
        ended.stdout,
        /Dead-lettered to crypto-dlq: \d+ \(refused when read: 0, by the store: [1-9]\d*\)/,
      );
      assert.match(ended.stdout, /market writes refused: [1-9]/);
    } finally {
      await db.drop();
      await stub.close();
    }
  },
);
