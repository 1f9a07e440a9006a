import assert from "node:assert/strict";
import { ConfigError } from "../../config/config_error.ts";
import { parseRedisUrl, parseStoreUrl, redactUrl } from "../../config/values.ts";

Deno.test("parseStoreUrl() accepts sqlite:PATH, postgres:// and postgresql://", () => {
  for (
    const url of [
      "sqlite:.data/market.db",
      "sqlite:/var/lib/crypto/market.db",
      "sqlite::memory:",
      "postgres://crypto:s3cret@127.0.0.1:5432/market",
      "postgresql://db.internal/market?sslmode=require",
      "postgres://postgres@localhost/postgres",
    ]
  ) {
    assert.equal(parseStoreUrl("--store", ` ${url} `), url);
  }
});

Deno.test("parseStoreUrl() names the flag, what is allowed and the value for anything else", () => {
  for (
    const raw of [
      "mysql://x",
      "",
      "sqlite:",
      "sqlite://",
      ".data/market.db",
      "postgres://",
      "postgres:///market",
      "postgres://host:99999/db",
      "http://localhost:5432/market",
    ]
  ) {
    assert.throws(
      () => parseStoreUrl("--store", raw),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${raw}: ${error}`);
        assert.equal(
          error.message,
          `Invalid --store: expected sqlite:PATH or postgres://user:password@host:port/database, current value is ${
            JSON.stringify(raw)
          }`,
        );
        return true;
      },
      `${JSON.stringify(raw)} was accepted`,
    );
  }
});

Deno.test("parseStoreUrl() never shows the password of a URL it refuses", () => {
  for (
    const raw of [
      "mysql://root:hunter2@db/market",
      "postgres://crypto:hunter2@host:99999/market",
      "redis://:hunter2@cache:6379",
      "postgres://crypto:hunter2@/market?password=hunter2",
    ]
  ) {
    assert.throws(
      () => parseStoreUrl("CANDLE_STORE", raw),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.message.startsWith("Invalid CANDLE_STORE: "), error.message);
        assert.ok(!error.message.includes("hunter2"), error.message);
        assert.ok(error.message.includes(":***@"), error.message);
        return true;
      },
    );
  }
});

Deno.test("redactUrl() hides the password in the user part and in a password parameter", () => {
  assert.equal(
    redactUrl("postgres://crypto:s3cret@db:5432/market"),
    "postgres://crypto:***@db:5432/market",
  );
  assert.equal(redactUrl("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
  assert.equal(
    redactUrl("postgres://crypto:p@ss/w@rd@db/market"),
    "postgres://crypto:***@db/market",
  );
  assert.equal(
    redactUrl("postgres://db/market?user=crypto&password=s3cret&sslmode=require"),
    "postgres://db/market?user=crypto&password=***&sslmode=require",
  );
  assert.equal(redactUrl("postgres://crypto@db/market"), "postgres://crypto@db/market");
  assert.equal(redactUrl("sqlite:.data/market.db"), "sqlite:.data/market.db");
});

Deno.test("parseRedisUrl() accepts redis:// and rediss:// with a host", () => {
  for (
    const url of [
      "redis://127.0.0.1:6379",
      "redis://cache",
      "redis://:s3cret@cache:6380/2",
      "rediss://user:s3cret@cache.example.com:6380",
    ]
  ) {
    assert.equal(parseRedisUrl("REDIS_URL", ` ${url}\n`), url);
  }
});

Deno.test("parseRedisUrl() refuses anything else without showing the password", () => {
  for (
    const raw of [
      "127.0.0.1:6379",
      "redis://",
      "redis://:hunter2@",
      "http://cache:6379",
      "redis://cache/x",
      "redis://cache:0",
      `redis://${"r".repeat(300)}:6379`,
    ]
  ) {
    assert.throws(
      () => parseRedisUrl("--redis", raw),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${raw}: ${error}`);
        assert.match(error.message, /^Invalid --redis: expected redis:\/\/\[user:password@\]host/);
        assert.ok(!error.message.includes("hunter2"), error.message);
        return true;
      },
      `${JSON.stringify(raw)} was accepted`,
    );
  }
});
