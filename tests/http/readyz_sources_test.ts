/**
 * `/readyz` (docs/api.md) against the programs as a user runs them: its `source` check — the trade
 * feed's connection and the last price fetch in `start`, the live feed's Redis in `serve` — and
 * its cut on a check that never answers (2 s, after which the check counts as failed and the
 * answer says so), the reasons never naming an address.
 *
 * @module
 */
import assert from "node:assert/strict";
import { kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { type RunningCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase, REDIS_TEST_URL } from "../support/services.ts";
import { FreezableProxy } from "../support/tcp_proxy.ts";
import { waitFor } from "../support/wait.ts";

interface Ready {
  status: number;
  body: { status: string; reasons?: string[]; checks: Record<string, string> };
}

async function readyz(base: string): Promise<Ready> {
  const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: await response.json() };
}

/** Polls `/readyz` until `test` holds for its answer; the last answer. */
async function readyzUntil(
  base: string,
  test: (answer: Ready) => boolean,
  message: string,
): Promise<Ready> {
  let last: Ready | null = null;
  try {
    await waitFor(async () => test(last = await readyz(base)), {
      message,
      timeoutMs: 30_000,
      everyMs: 200,
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; the last answer: ${JSON.stringify(last)}`);
  }
  return last!;
}

/** The base URL the program printed for its dashboard. */
async function baseOf(run: RunningCommand): Promise<string> {
  await run.waitFor((out) => /^Dashboard: http:\/\/\S+\/$/m.test(out));
  return /^Dashboard: (http:\/\/\S+)\/$/m.exec(run.stdout())![1]!;
}

/** Stops the program with SIGTERM: exit 0, or killed and failed if it has not ended in 20 s. */
async function stopped(run: RunningCommand): Promise<void> {
  run.kill("SIGTERM");
  let ended = false;
  void run.done.then(() => (ended = true));
  await waitFor(() => ended, { message: "the program to stop", timeoutMs: 20_000 }).catch(
    (error) => {
      run.kill("SIGKILL");
      throw error;
    },
  );
  const { code, stdout, stderr } = await run.done;
  assert.equal(code, 0, stdout + stderr);
}

Deno.test("start --source coinbase: /readyz is ready while the feed is connected, 503 with the source's reason once it is gone, naming no address", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 200 });
  const port = new URL(stub.url).port;
  const run = spawnCommand("start", {
    args: ["--source", "coinbase", "--products", "BTC-USD", "--idle-timeout", "3600"],
    env: { COINBASE_WS_URL: stub.url, COINBASE_REST_URL: stub.restUrl },
  });
  try {
    const base = await baseOf(run);
    await run.waitFor((out) => out.includes("Subscribed to BTC-USD"));
    const ready = await readyzUntil(base, (r) => r.status === 200, "ready while subscribed");
    assert.equal(ready.body.checks.source, "ok");

    // The exchange goes away: the feed is down and reconnecting, nothing else is.
    await stub.close();
    const down = await readyzUntil(base, (r) => r.status === 503, "not ready without the feed");
    assert.equal(down.body.status, "not ready");
    assert.equal(down.body.reasons!.length, 1, JSON.stringify(down.body));
    assert.match(down.body.reasons![0]!, /^source: the Coinbase feed is not connected: \S/);
    assert.doesNotMatch(JSON.stringify(down.body), new RegExp(`127\\.0\\.0\\.1|${port}|ws://`));
  } finally {
    await stub.close();
    await stopped(run);
  }
});

Deno.test({
  name:
    "start with CoinGecko failing: /readyz is 503 with the last fetch's failure as the source's reason, ready again once a fetch passes",
  fn: async () => {
    const stub = await CoinGeckoStub.start();
    // Every fetch of the first ones fails with a 500 (retries included).
    stub.enqueue(...Array.from({ length: 100 }, () => ({ status: 500 })));
    const run = spawnCommand("start", {
      args: ["--interval", "0.2", "--coins", "bitcoin:BTC", "--idle-timeout", "3600"],
      env: { COINGECKO_BASE_URL: stub.url, API_RATE_LIMIT_DELAY: "0", API_MAX_RETRIES: "0" },
    });
    try {
      const base = await baseOf(run);
      const down = await readyzUntil(base, (r) => r.status === 503, "not ready while fetches fail");
      assert.deepEqual(Object.keys(down.body.checks).sort(), ["log", "source", "store", "writes"]);
      assert.equal(down.body.reasons!.length, 1, JSON.stringify(down.body));
      assert.match(down.body.reasons![0]!, /^source: the last fetch failed: \S/);
      assert.doesNotMatch(JSON.stringify(down.body), /127\.0\.0\.1|http:\/\//);
      const ready = await readyzUntil(base, (r) => r.status === 200, "ready once a fetch passes");
      assert.equal(ready.body.checks.source, "ok");
    } finally {
      await stopped(run);
      await stub.close();
    }
  },
});

/** Starts `serve` with `env`; its base URL once it listens. */
async function serve(env: Record<string, string>): Promise<{ run: RunningCommand; base: string }> {
  const run = spawnCommand("serve", { env });
  await run.waitFor((out) => out.includes("Listening on"));
  return { run, base: /^Listening on (http:\/\/\S+) /m.exec(run.stdout())![1]! };
}

kafkaTest(
  "serve: a store that stops answering is cut at 2 s, /readyz answering 503 that it gave no answer, and ready again once it answers; a Redis gone makes the source not ready",
  async () => {
    const db = await createTestDatabase();
    const pgUrl = new URL(db.url);
    const pg = new FreezableProxy(`${pgUrl.hostname}:${pgUrl.port || "5432"}`);
    pgUrl.hostname = "127.0.0.1";
    pgUrl.port = String(pg.port);
    const redisUrl = new URL(REDIS_TEST_URL);
    const redis = new FreezableProxy(`${redisUrl.hostname}:${redisUrl.port || "6379"}`);
    redisUrl.hostname = "127.0.0.1";
    redisUrl.port = String(redis.port);
    const { run, base } = await serve({
      CANDLE_STORE: pgUrl.href,
      REDIS_URL: redisUrl.href,
      KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
    });
    try {
      await readyzUntil(base, (r) => r.status === 200, "ready at first");

      // The store's server stops answering, its connections left open: the check never ends,
      // and /readyz answers anyway, the store not ready because it gave no answer in time.
      pg.freeze();
      const hung = await readyzUntil(base, (r) => r.status === 503, "not ready, store hung");
      assert.deepEqual(hung.body, {
        status: "not ready",
        reasons: ["store: No answer within 2000 ms"],
        checks: { source: "ok", broker: "ok", store: "No answer within 2000 ms" },
      });
      pg.thaw();
      await readyzUntil(base, (r) => r.status === 200, "ready again with the store");

      // Redis goes away: the live feed, serve's source, is not ready.
      redis.cut();
      await redis.close();
      const gone = await readyzUntil(base, (r) => r.status === 503, "not ready without Redis");
      assert.equal(gone.body.reasons!.length, 1, JSON.stringify(gone.body));
      assert.match(gone.body.reasons![0]!, /^source: Redis: \S/);
      assert.doesNotMatch(
        JSON.stringify(gone.body),
        new RegExp(`127\\.0\\.0\\.1|${redis.port}|${pg.port}|redis://`),
      );
    } finally {
      pg.thaw();
      await stopped(run).finally(async () => {
        await pg.close();
        await redis.close();
        await db.drop();
      });
    }
  },
);
