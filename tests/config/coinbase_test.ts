import assert from "node:assert/strict";
import { loadProducerConfig } from "../../config/produce.ts";
import { loadStartConfig } from "../../config/start.ts";
import { ConfigError } from "../../config/config_error.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("loadProducerConfig() with --source coinbase gives the documented defaults and the topic crypto-trades", () => {
  const config = loadProducerConfig(["--source", "coinbase"], envOf({}))!;
  assert.deepEqual(config.source, { kind: "coinbase" });
  assert.deepEqual(config.coinbase, {
    url: "wss://ws-feed.exchange.coinbase.com",
    products: ["BTC-USD", "ETH-USD"],
    staleAfterMs: 30_000,
    restUrl: "https://api.exchange.coinbase.com",
  });
  assert.equal(config.kafka.topic, "crypto-trades");
  assert.equal(config.kafka.clientId, "crypto-trade-producer");
});

Deno.test("loadProducerConfig() with --source coinbase does not take KAFKA_TOPIC (the price topic), only --topic", () => {
  const env = envOf({ KAFKA_TOPIC: "crypto-prices", KAFKA_CLIENT_ID: "mine" });
  const byDefault = loadProducerConfig(["--source", "coinbase"], env)!;
  assert.equal(byDefault.kafka.topic, "crypto-trades");
  assert.equal(byDefault.kafka.clientId, "mine");
  const named = loadProducerConfig(["--source", "coinbase", "--topic", "trades-2"], env)!;
  assert.equal(named.kafka.topic, "trades-2");
  // The price source still reads it.
  assert.equal(loadProducerConfig([], env)!.kafka.topic, "crypto-prices");
});

Deno.test("loadProducerConfig() reads COINBASE_WS_URL, COINBASE_PRODUCTS and COINBASE_STALE_AFTER, --products winning", () => {
  const env = envOf({
    COINBASE_WS_URL: "ws://127.0.0.1:8090",
    COINBASE_PRODUCTS: "sol-usd, ada-usd",
    COINBASE_STALE_AFTER: "2.5",
  });
  const config = loadProducerConfig(["--source", "coinbase"], env)!;
  assert.deepEqual(config.coinbase, {
    url: "ws://127.0.0.1:8090",
    products: ["SOL-USD", "ADA-USD"],
    staleAfterMs: 2_500,
    restUrl: "https://api.exchange.coinbase.com",
  });
  const flag = loadProducerConfig(["--source", "coinbase", "--products", "BTC-EUR"], env)!;
  assert.deepEqual(flag.coinbase.products, ["BTC-EUR"]);
});

Deno.test("loadProducerConfig() takes several products of one base currency, each a market of its own", () => {
  const config = loadProducerConfig(
    ["--source", "coinbase", "--products", "BTC-USD,btc-eur"],
    envOf({}),
  )!;
  assert.deepEqual(config.coinbase.products, ["BTC-USD", "BTC-EUR"]);
  const env = envOf({ COINBASE_PRODUCTS: "BTC-USD,BTC-EUR,BTC-GBP" });
  assert.deepEqual(
    loadProducerConfig(["--source", "coinbase"], env)!.coinbase.products,
    ["BTC-USD", "BTC-EUR", "BTC-GBP"],
  );
});

Deno.test("loadProducerConfig() refuses a product given twice", () => {
  assert.throws(
    () => loadProducerConfig(["--products", "BTC-USD,ETH-USD,btc-usd"], envOf({})),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === 'Invalid --products: "btc-usd" names "BTC-USD" twice',
  );
});

Deno.test("loadProducerConfig() with --source coinbase refuses the flags of fetch cycles and an encoder fault", () => {
  for (const args of [["--iterations", "3"], ["--only-changed"]]) {
    assert.throws(
      () => loadProducerConfig(["--source", "coinbase", ...args], envOf({})),
      (error: unknown) =>
        error instanceof ConfigError && error.message.startsWith(`Invalid ${args[0]}: `) &&
        error.message.includes("--source coinbase has none"),
    );
  }
  assert.throws(
    () => loadProducerConfig(["--source", "coinbase"], envOf({ FAULT_INJECT: "encoder:every=2" })),
    /Invalid FAULT_INJECT: with --source coinbase .* name publisher/,
  );
  assert.deepEqual(
    loadProducerConfig(["--source", "coinbase"], envOf({ FAULT_INJECT: "publisher:every=2" }))!
      .faults,
    [{ actor: "publisher", every: 2 }],
  );
});

Deno.test("loadStartConfig() with --source coinbase makes crypto-trades the producer's topic", () => {
  const config = loadStartConfig(["--source", "coinbase", "--no-http"], envOf({}))!;
  assert.deepEqual(config.producer.source, { kind: "coinbase" });
  assert.equal(config.producer.kafka.topic, "crypto-trades");
});

Deno.test(".env.example and the configuration page's table document the Coinbase and backfill variables", async () => {
  const example = await Deno.readTextFile(".env.example");
  const page = await Deno.readTextFile("docs/configuration.md");
  for (
    const name of [
      "COINBASE_WS_URL",
      "COINBASE_PRODUCTS",
      "COINBASE_STALE_AFTER",
      "COINBASE_REST_URL",
      "BACKFILL",
    ]
  ) {
    assert.match(example, new RegExp(`^${name}=`, "m"), `${name} in .env.example`);
    assert.match(page, new RegExp(`^\\| \`${name}\` `, "m"), `${name} in docs/configuration.md`);
  }
});
