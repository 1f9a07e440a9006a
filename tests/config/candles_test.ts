import assert from "node:assert/strict";
import { loadCandlesConfig } from "../../config/candles.ts";
import { loadStartConfig } from "../../config/start.ts";
import { ConfigError } from "../../config/config_error.ts";
import { CANDLE_BAD_VALUES, CANDLES_ONLY_BAD_VALUES } from "../../faults/bad_values.ts";
import { runCommand } from "../support/run.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("loadCandlesConfig() gives the documented defaults with an empty environment", () => {
  const config = loadCandlesConfig([], envOf({}))!;
  assert.deepEqual(config.topics, ["crypto-prices", "crypto-trades"]);
  assert.equal(config.group, "crypto-candles");
  assert.equal(config.format, "pretty");
  assert.equal(config.fromBeginning, false);
  assert.deepEqual(config.candles, {
    intervals: ["1m", "5m", "15m", "1h"],
    store: "sqlite:.data/market.db",
    redis: null,
    outOfOrdernessMs: 10_000,
    allowedLatenessMs: 60_000,
    idleTimeoutMs: 120_000,
    storeTimeoutMs: 30_000,
    topic: "crypto-candles",
    maxAheadMs: 300_000,
    dlqTopic: "crypto-dlq",
  });
});

Deno.test("loadCandlesConfig() lets a flag win over its variable, and sorts and de-duplicates intervals", () => {
  const config = loadCandlesConfig(
    ["--intervals", "1h,1m,1h", "--store", "postgres://u@db:5432/m", "--topic", "a,b,a"],
    envOf({ CANDLE_INTERVALS: "1d", CANDLE_STORE: "sqlite:x.db", REDIS_URL: "redis://r:6379" }),
  )!;
  assert.deepEqual(config.candles.intervals, ["1m", "1h"]);
  assert.equal(config.candles.store, "postgres://u@db:5432/m");
  assert.equal(config.candles.redis, "redis://r:6379");
  assert.deepEqual(config.topics, ["a", "b"]);
});

Deno.test("loadCandlesConfig() and loadStartConfig() refuse each bad candle value with one line naming it, never a password", () => {
  for (const [vars, args, name, allowed] of [...CANDLE_BAD_VALUES, ...CANDLES_ONLY_BAD_VALUES]) {
    for (const load of [loadCandlesConfig, loadStartConfig]) {
      if (load === loadStartConfig && name === "CANDLES_CONSUMER_GROUP") continue;
      try {
        load(args, envOf(vars));
        assert.fail(`${name}=${JSON.stringify(vars)} was accepted`);
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        assert.ok(error.message.includes(name), error.message);
        assert.ok(error.message.includes(allowed), error.message);
        assert.ok(!error.message.includes("\n"), error.message);
        assert.ok(!error.message.includes("hunter2"), error.message);
      }
    }
  }
});

Deno.test("start --no-candles makes no candles; an empty --redis is refused while an empty REDIS_URL means off", () => {
  assert.equal(loadStartConfig(["--no-candles"], envOf({}))!.candles, null);
  assert.equal(loadStartConfig([], envOf({ REDIS_URL: "" }))!.candles!.redis, null);
  assert.throws(() => loadStartConfig(["--redis="], envOf({})), ConfigError);
});

Deno.test("candles exits 2 with one line for --intervals 7m and --store mysql://x, before connecting anywhere", async () => {
  for (const args of [["--intervals", "7m"], ["--store", "mysql://admin:hunter2@x"]]) {
    const run = await runCommand("candles", {
      args,
      env: { KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1" },
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`^error: Invalid ${args[0]}: `));
    assert.ok(!run.stderr.includes("hunter2"));
  }
});

Deno.test("candles exits 1 with one line, no password, when the store cannot be reached within CANDLE_STORE_TIMEOUT", async () => {
  // The line says the store's time limit ran out; the run's own limit only bounds a hang.
  const run = await runCommand("candles", {
    args: ["--store", "postgres://crypto:hunter2@127.0.0.1:1/market"],
    env: { CANDLE_STORE_TIMEOUT: "2", KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1" },
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 1, run.stderr);
  const errors = run.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
  assert.deepEqual(errors.length, 1, run.stderr);
  assert.match(
    errors[0]!,
    /^error: Candle store: Cannot reach PostgreSQL at 127\.0\.0\.1:1 within 2s/,
  );
  assert.ok(!(run.stdout + run.stderr).includes("hunter2"));
  assert.ok(!/\s+at \S+:\d+:\d+/.test(run.stderr), "no stack trace");
});
