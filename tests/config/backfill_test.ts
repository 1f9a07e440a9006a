import assert from "node:assert/strict";
import { parseBackfill } from "../../config/backfill.ts";
import { loadProducerConfig } from "../../config/produce.ts";
import { loadStartConfig } from "../../config/start.ts";
import { ConfigError } from "../../config/config_error.ts";
import { runCommand } from "../support/run.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("parseBackfill() reads seconds, minutes and hours, alone or together, up to 24h; empty is none", () => {
  assert.equal(parseBackfill("BACKFILL", "2h"), 7_200_000);
  assert.equal(parseBackfill("BACKFILL", "90m"), 5_400_000);
  assert.equal(parseBackfill("BACKFILL", "1h30m"), 5_400_000);
  assert.equal(parseBackfill("BACKFILL", "45s"), 45_000);
  assert.equal(parseBackfill("BACKFILL", "1.5H"), 5_400_000);
  assert.equal(parseBackfill("BACKFILL", "24h"), 86_400_000);
  assert.equal(parseBackfill("BACKFILL", ""), null);
  assert.equal(parseBackfill("BACKFILL", "  "), null);
});

Deno.test("parseBackfill() names the flag, what is allowed and the value for anything else", () => {
  for (const raw of ["", " ", "25h", "24h1s", "0h", "0", "2", "2d", "h", "-1h", "1h 30m", "soon"]) {
    assert.throws(
      () => parseBackfill("--backfill", raw),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          `Invalid --backfill: expected a duration of more than 0 and at most 24h such as 30m, 2h or 1h30m, current value is "${raw}"`,
      raw,
    );
  }
});

Deno.test("loadProducerConfig() reads BACKFILL and --backfill (the flag winning) and COINBASE_REST_URL", () => {
  assert.equal(loadProducerConfig([], envOf({}))!.backfillMs, null);
  const env = envOf({ BACKFILL: "2h", COINBASE_REST_URL: "http://127.0.0.1:8090/" });
  const config = loadProducerConfig(["--source", "coinbase"], env)!;
  assert.equal(config.backfillMs, 7_200_000);
  assert.equal(config.coinbase.restUrl, "http://127.0.0.1:8090");
  assert.equal(loadProducerConfig(["--backfill", "30m"], env)!.backfillMs, 1_800_000);
  assert.equal(
    loadStartConfig(["--backfill", "1h", "--no-http"], envOf({}))!.producer.backfillMs,
    3_600_000,
  );
});

Deno.test("loadProducerConfig() refuses a backfill of a replay, which has no past to read", () => {
  assert.throws(
    () => loadProducerConfig(["--source", "replay:/tmp/x.jsonl", "--backfill", "1h"], envOf({})),
    (error: unknown) =>
      error instanceof ConfigError && /^Invalid --backfill: a replay/.test(error.message),
  );
});

Deno.test("produce and start exit 2 with one line for a bad BACKFILL, --backfill or COINBASE_REST_URL, before connecting anywhere", async () => {
  const cases: [string, { env?: Record<string, string>; args?: string[] }, string][] = [
    ["produce", { env: { BACKFILL: "2d" } }, "Invalid BACKFILL: expected a duration"],
    [
      "produce",
      { args: ["--source", "coinbase", "--backfill", "25h"] },
      "Invalid --backfill: expected a duration",
    ],
    ["start", { args: ["--backfill", "forever"] }, "Invalid --backfill: expected a duration"],
    [
      "produce",
      { args: ["--source", "coinbase"], env: { COINBASE_REST_URL: "api.exchange.coinbase.com" } },
      "Invalid COINBASE_REST_URL: expected an http:// or https:// URL",
    ],
    [
      "start",
      { args: ["--source", "coinbase"], env: { COINBASE_REST_URL: "ftp://x" } },
      "Invalid COINBASE_REST_URL: expected an http:// or https:// URL",
    ],
  ];
  const results = await Promise.all(
    cases.map(([command, options]) =>
      runCommand(command, {
        ...options,
        env: { KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1", KAFKA_CONNECT_TIMEOUT: "1", ...options.env },
        timeoutMs: 60_000,
      })
    ),
  );
  results.forEach((result, i) => {
    const [command, , message] = cases[i]!;
    assert.equal(result.code, 2, `${command}: exit ${result.code}\n${result.stderr}`);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0]!.startsWith(`error: ${message}`), lines[0]);
    assert.equal(result.stdout, "");
  });
});
