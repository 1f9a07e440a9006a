import assert from "node:assert/strict";
import { ConfigError } from "../../config/config_error.ts";
import { getTextFormatter, jsonLinesFormatter } from "@logtape/logtape";
import { redactRecord } from "../../config/logging.ts";
import {
  parseBrokers,
  parseRedisUrl,
  parseStoreUrl,
  parseTopic,
  quoted,
  redactUrl,
  shown,
} from "../../config/values.ts";
import { oddUrls, SECRET } from "../support/odd_urls.ts";

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

Deno.test("redactUrl() hides the password of every URL of the odd table, whatever its scheme, and keeps the rest", () => {
  for (const scheme of ["postgres", "redis", "rediss", "http", "wss", "kafka"]) {
    for (const [url, what] of oddUrls(scheme)) {
      const shownUrl = redactUrl(url);
      assert.ok(!shownUrl.includes(SECRET), `${what}: ${JSON.stringify(shownUrl)}`);
      assert.ok(shownUrl.includes("***"), `${what}: nothing hidden in ${JSON.stringify(shownUrl)}`);
    }
  }
  const cases: [string, string][] = [
    [" postgres://u:s3cret@db:5432/m ", " postgres://u:***@db:5432/m "],
    ["postgres://u:s3cret/m", "postgres://u:***/m"],
    ["postgres://u:s3cret", "postgres://u:***"],
    ["postgres://u:s%40cret@db/m", "postgres://u:***@db/m"],
    ["redis://:s3cret@[::1]:6379/0", "redis://:***@[::1]:6379/0"],
    ["postgres://u:s3cret@[::1", "postgres://u:***@[::1"],
    ["u:s3cret@db:5432", "u:***@db:5432"],
    ["postgres:u:s3cret@db", "postgres:***@db"],
    [
      "postgres://db/m?sslmode=require&password=s3cret",
      "postgres://db/m?sslmode=require&password=***",
    ],
    // Nothing to hide: ports, IPv6 hosts and users stay.
    ["postgres://[::1]:5432/m", "postgres://[::1]:5432/m"],
    ["redis://cache:6379", "redis://cache:6379"],
    ["postgres://crypto@db/m", "postgres://crypto@db/m"],
    ["sqlite:.data/market.db", "sqlite:.data/market.db"],
    // Every URL of a line.
    [
      "from http://a:s3cret/x then wss://b:1/y",
      "from http://a:***/x then wss://b:1/y",
    ],
  ];
  for (const [url, expected] of cases) assert.equal(redactUrl(url), expected, url);
  assert.equal(redactUrl(redactUrl(cases[0]![0])), cases[0]![1], "hiding twice changes nothing");
});

Deno.test("a configuration error quotes any value with its password hidden, long ones cut after hiding", () => {
  assert.equal(quoted(" redis://:s3cret@cache"), '" redis://:***@cache"');
  assert.equal(shown("postgres://u:s3cret/market"), '"postgres://u:***/market"');
  const long = `postgres://u:s3cret@${"h".repeat(60)}/m`;
  assert.ok(!shown(long).includes("s3cret"), shown(long));
  const bad: [string, string][] = [
    ["--brokers", " kafka://u:s3cret@b:9092"],
    ["KAFKA_TOPIC", "x://u:s3cret"],
  ];
  for (const [name, raw] of bad) {
    try {
      (name === "--brokers" ? parseBrokers : parseTopic)(name, raw);
      assert.fail(`${raw} accepted`);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.ok(!error.message.includes("s3cret"), error.message);
    }
  }
});

Deno.test("a log record has the passwords of its message and properties hidden, and a JSON line stays JSON", () => {
  const error = new Error("cannot reach redis://:s3cret@cache:6379 at all");
  const record = redactRecord({
    category: ["crypto"],
    level: "warning",
    timestamp: 0,
    rawMessage: "{error} for {url}",
    message: ["", error, " for ", "postgres://u:s3cret/m", ""],
    properties: { error, url: "postgres://u:s3cret/m", count: 3 },
  });
  const line = jsonLinesFormatter(record);
  assert.ok(!line.includes("s3cret"), line);
  const parsed = JSON.parse(line);
  assert.equal(parsed.properties.url, "postgres://u:***/m");
  assert.equal(parsed.properties.count, 3);
  assert.equal(parsed.properties.error.message, "cannot reach redis://:***@cache:6379 at all");
  assert.ok(!getTextFormatter()(record).includes("s3cret"));
});
