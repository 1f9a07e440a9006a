import assert from "node:assert/strict";
import { loadProducerConfig } from "../../config/produce.ts";
import { ConfigError } from "../../config/config_error.ts";
import { BAD_VALUES } from "../../faults/bad_values.ts";
import { runCommand } from "../support/run.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("loadProducerConfig() gives the documented defaults with an empty environment", () => {
  const config = loadProducerConfig([], envOf({}));
  assert.ok(config);
  assert.deepEqual(config.kafka.brokers, ["localhost:9092"]);
  assert.equal(config.kafka.topic, "crypto-prices");
  assert.equal(config.kafka.partitions, 3);
  assert.equal(config.kafka.replicationFactor, 1);
  assert.equal(config.kafka.clientId, "crypto-price-producer");
  assert.equal(config.kafka.ssl, false);
  assert.equal(config.kafka.sasl, null);
  assert.equal(config.kafka.connectTimeoutMs, 30_000);
  assert.equal(config.coingecko.baseUrl, "https://api.coingecko.com/api/v3");
  assert.equal(config.coingecko.apiKey, null);
  assert.equal(config.coingecko.timeoutMs, 10_000);
  assert.equal(config.coingecko.maxRetries, 3);
  assert.equal(config.coingecko.rateLimitDelayMs, 6_000);
  assert.equal(config.coingecko.maxRetryAfterMs, 300_000);
  assert.deepEqual(config.coins, [{ id: "bitcoin", symbol: "BTC" }, {
    id: "ethereum",
    symbol: "ETH",
  }]);
  assert.equal(config.intervalMs, 10_000);
  assert.equal(config.iterations, null);
  assert.equal(config.onlyChanged, false);
  assert.deepEqual(config.log, { level: "info", format: "pretty" });
});

Deno.test("loadProducerConfig() lets a flag win over its variable", () => {
  const config = loadProducerConfig(
    ["--interval", "2.5", "--coins", "solana:sol", "--brokers", "a:1,b:2", "--topic", "t1"],
    envOf({
      PRODUCER_FETCH_INTERVAL: "30",
      CRYPTO_COINS: "bitcoin:BTC",
      KAFKA_BOOTSTRAP_SERVERS: "x:9",
      KAFKA_TOPIC: "t2",
    }),
  );
  assert.ok(config);
  assert.equal(config.intervalMs, 2_500);
  assert.deepEqual(config.coins, [{ id: "solana", symbol: "SOL" }]);
  assert.deepEqual(config.kafka.brokers, ["a:1", "b:2"]);
  assert.equal(config.kafka.topic, "t1");
});

Deno.test("loadProducerConfig() switches to the pro API for a pro key", () => {
  const config = loadProducerConfig(
    [],
    envOf({ COINGECKO_API_KEY: "CG-abc", COINGECKO_API_KEY_TYPE: "pro" }),
  );
  assert.ok(config);
  assert.equal(config.coingecko.baseUrl, "https://pro-api.coingecko.com/api/v3");
  assert.equal(config.coingecko.apiKeyType, "pro");
});

Deno.test("loadProducerConfig() returns null for --help", () => {
  assert.equal(loadProducerConfig(["--help"], envOf({})), null);
});

Deno.test("loadProducerConfig() names the variable or flag and what is allowed for each bad value", () => {
  for (const [vars, args, name, allowed] of BAD_VALUES) {
    assert.throws(
      () => loadProducerConfig(args, envOf(vars)),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${name}: ${error}`);
        assert.ok(error.message.includes(name), `${name} missing from: ${error.message}`);
        assert.ok(error.message.includes(allowed), `"${allowed}" missing from: ${error.message}`);
        assert.ok(!error.message.includes("\n"), `not one line: ${error.message}`);
        return true;
      },
      `${name} ${JSON.stringify(vars)} ${args.join(" ")} was accepted`,
    );
  }
});

Deno.test("loadProducerConfig() bounds coin ids and symbols, with a short line saying what is allowed", () => {
  const cases: [string, RegExp][] = [
    [`${"a".repeat(2000)}:BTC`, /a coin id is 1-100 characters of a-z, 0-9/],
    [`bitcoin:${"B".repeat(2000)}`, /a symbol is 1-15 characters of A-Z and 0-9/],
    ["bitcoin:BT-C", /a symbol is 1-15 characters of A-Z and 0-9/],
    ["bitcoin:BTC,bit coin:XBT", /a coin id is 1-100 characters/],
  ];
  for (const [coins, allowed] of cases) {
    assert.throws(
      () => loadProducerConfig(["--coins", coins], envOf({})),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, /^Invalid --coins: /);
        assert.match(error.message, allowed);
        assert.ok(error.message.length < 250, `${error.message.length} characters`);
        return true;
      },
      `${coins.slice(0, 30)} was accepted`,
    );
  }
  const widest = `${"a".repeat(100)}:${"B".repeat(15)}`;
  assert.deepEqual(loadProducerConfig(["--coins", widest], envOf({}))?.coins, [
    { id: "a".repeat(100), symbol: "B".repeat(15) },
  ]);
});

Deno.test("produce exits 2 with one line for a 2,000-character coin id in CRYPTO_COINS", async () => {
  // Nothing listens on port 1: a run that got past the check would fail there, not elsewhere.
  const result = await runCommand("produce", {
    env: {
      CRYPTO_COINS: `${"x".repeat(2000)}:XYZ`,
      KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1",
      KAFKA_CONNECT_TIMEOUT: "1",
      COINGECKO_BASE_URL: "http://127.0.0.1:1/api/v3",
    },
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^error: Invalid CRYPTO_COINS: .*a coin id is 1-100 characters/);
  assert.equal(result.stdout, "");
});

Deno.test("loadProducerConfig() never puts a secret in its error", () => {
  for (
    const vars of [
      { COINGECKO_API_KEY: "CG-has space-secret" },
      {
        KAFKA_SASL_MECHANISM: "plain",
        KAFKA_SASL_USERNAME: "u",
        KAFKA_SASL_PASSWORD: "pw with-secret",
      },
    ]
  ) {
    assert.throws(() => loadProducerConfig([], envOf(vars)), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(!error.message.includes("secret"), error.message);
      return true;
    });
  }
});

Deno.test("produce exits 2 with one line naming each bad variable or flag, before connecting anywhere", async () => {
  const secret = { COINGECKO_API_KEY: "CG-topsecret" };
  const results = await Promise.all(
    BAD_VALUES.map(([vars, args]) => runCommand("produce", { env: { ...secret, ...vars }, args })),
  );
  results.forEach((result, i) => {
    const [, , name, allowed] = BAD_VALUES[i]!;
    assert.equal(result.code, 2, `${name}: exit ${result.code}\n${result.stderr}`);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${name}: expected one line, got:\n${result.stderr}`);
    assert.ok(lines[0]!.startsWith("error: "), lines[0]);
    assert.ok(lines[0]!.includes(name) && lines[0]!.includes(allowed), lines[0]);
    assert.ok(!result.stdout.includes("Connected"), "connected despite bad configuration");
    assert.ok(!(result.stdout + result.stderr).includes("topsecret"), "API key printed");
  });
});

for (const command of ["consume", "start", "lag"]) {
  Deno.test(`${command} exits 2 with one line for a bad variable and for an unknown flag`, async () => {
    const [badVar, badFlag] = await Promise.all([
      runCommand(command, { env: { KAFKA_BOOTSTRAP_SERVERS: "nohost" } }),
      runCommand(command, { args: ["--nope"] }),
    ]);
    for (
      const [result, name] of [[badVar, "KAFKA_BOOTSTRAP_SERVERS"], [badFlag, "--nope"]] as const
    ) {
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^error: .*${name}`));
    }
  });
}

Deno.test("consume rejects a bad --filter, --format and --max-messages with exit 2", async () => {
  const cases: [string[], string][] = [
    [["--filter", "B-T-C"], "--filter"],
    [["--format", "xml"], "--format"],
    [["--max-messages", "0"], "--max-messages"],
    [["--group", "a b"], "--group"],
  ];
  const results = await Promise.all(cases.map(([args]) => runCommand("consume", { args })));
  results.forEach((result, i) => {
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`^error: .*${cases[i]![1]}`));
  });
});

for (const command of ["consume", "start", "lag"]) {
  Deno.test(`${command} --help exits 0 with its usage`, async () => {
    const result = await runCommand(command, { args: ["--help"] });
    assert.equal(result.code, 0);
    assert.match(result.stdout, new RegExp(`^Usage: deno task ${command} \\[flags\\]`));
    assert.match(result.stdout, /--brokers/);
  });
}

Deno.test("produce --help lists every flag and exits 0 without the API key", async () => {
  const result = await runCommand("produce", {
    args: ["--help"],
    env: { COINGECKO_API_KEY: "CG-topsecret" },
  });
  assert.equal(result.code, 0);
  for (
    const flag of [
      "--interval",
      "--coins",
      "--iterations",
      "--only-changed",
      "--brokers",
      "--topic",
      "--log-level",
      "--log-format",
      "--help",
    ]
  ) assert.ok(result.stdout.includes(flag), `${flag} missing from --help`);
  assert.ok(!result.stdout.includes("topsecret"));
});

Deno.test("start --help and consume --help each give the --format default they print with", async () => {
  const [start, consume] = await Promise.all([
    runCommand("start", { args: ["--help"] }),
    runCommand("consume", { args: ["--help"] }),
  ]);
  const formatLine = (help: string) =>
    help.split("\n").find((l) => l.startsWith("  --format ")) ?? "";
  assert.match(formatLine(start.stdout), /\(default: line\)/);
  assert.doesNotMatch(start.stdout, /default: pretty/);
  assert.match(formatLine(consume.stdout), /\(default: pretty\)/);
});
