import assert from "node:assert/strict";
import {
  freshTopic,
  javaPartitions,
  kafkaTest,
  readTopic,
  TEST_BROKERS,
} from "../support/broker.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { PROGRAM_PERMISSIONS, runCommand } from "../support/run.ts";

const FIELDS = [
  "coin_id",
  "last_updated",
  "market_cap",
  "message_id",
  "price_change_24h",
  "price_usd",
  "producer_id",
  "symbol",
  "timestamp",
  "volume_24h",
];
const API_KEY = "CG-integration-secret-4242";

kafkaTest(
  "produce --iterations 3 puts 3 × N valid messages on a fresh 3-partition topic",
  async () => {
    const stub = await CoinGeckoStub.start();
    const topic = freshTopic("it-produce");
    const coins = "bitcoin:BTC,ethereum:ETH,solana:SOL,shiba-inu:SHIB";
    const symbols = ["BTC", "ETH", "SOL", "SHIB"];
    try {
      const run = await runCommand("produce", {
        args: ["--iterations", "3", "--interval", "0.2", "--coins", coins],
        env: {
          KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
          KAFKA_TOPIC: topic,
          COINGECKO_BASE_URL: stub.url,
          COINGECKO_API_KEY: API_KEY,
          API_RATE_LIMIT_DELAY: "0",
        },
      });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.ok(!(run.stdout + run.stderr).includes(API_KEY), "the API key was printed");

      // One request per cycle for all coins, with the demo key header.
      assert.equal(stub.requests.length, 3);
      for (const request of stub.requests) {
        assert.equal(request.url.searchParams.get("ids"), coins.replace(/:[A-Z]+/g, ""));
        assert.equal(request.headers.get("x-cg-demo-api-key"), API_KEY);
      }

      // The console: the lines of the README, one Produced line per message.
      for (const line of ["Starting Cryptocurrency Price Producer", "Connected to Kafka at"]) {
        assert.ok(run.stdout.includes(line), `missing: ${line}`);
      }
      const produced = [...run.stdout.matchAll(
        /^Produced: (\w+) \$[\d,.]+ to partition (\d+) at offset (\d+)$/gm,
      )].map((m) => ({ symbol: m[1]!, partition: Number(m[2]), offset: Number(m[3]) }));
      assert.equal(produced.length, 12);
      for (let i = 1; i <= 3; i++) {
        assert.match(run.stdout, new RegExp(`--- Iteration ${i} ---`));
        assert.match(run.stdout, new RegExp(`Iteration ${i} completed in \\d+\\.\\d\\ds`));
      }
      assert.match(run.stdout, /Total messages produced: 12, Errors: 0/);

      // What is on the topic.
      const records = await readTopic(topic, 12);
      assert.equal(records.length, 12);
      const expected = await javaPartitions(symbols, 3);
      const ids = new Set<string>();
      for (const record of records) {
        const value = JSON.parse(record.value ?? "null");
        assert.deepEqual(Object.keys(value).sort(), FIELDS);
        assert.equal(record.key, value.symbol);
        assert.ok(symbols.includes(value.symbol));
        assert.equal(record.partition, expected.get(value.symbol), `${value.symbol} partition`);
        assert.equal(typeof value.price_usd, "number");
        assert.ok(value.price_usd > 0);
        for (const field of ["volume_24h", "market_cap", "price_change_24h", "last_updated"]) {
          assert.equal(typeof value[field], "number", field);
        }
        assert.equal(
          value.coin_id,
          coins.split(",").find((c) => c.endsWith(`:${value.symbol}`))!.split(":")[0],
        );
        assert.equal(new Date(value.timestamp).toISOString(), value.timestamp);
        assert.equal(value.producer_id, "deno-producer-v1");
        assert.match(value.message_id, new RegExp(`^${value.symbol}-\\d+$`));
        ids.add(value.message_id);
        assert.equal(record.headers["content-type"], "application/json");
        assert.equal(record.headers["schema"], "crypto-price/v1");
        // The console told the truth about where it landed.
        assert.ok(
          produced.some((p) =>
            p.symbol === value.symbol && p.partition === record.partition &&
            p.offset === record.offset
          ),
          `no Produced line for ${value.symbol} at ${record.partition}/${record.offset}`,
        );
      }
      assert.equal(ids.size, 12, "message_ids are not unique");

      // Per key, offsets follow the fetch order (the stand-in's last_updated grows per request).
      for (const symbol of symbols) {
        const mine = records.filter((r) => r.key === symbol).sort((a, b) => a.offset - b.offset);
        const updates = mine.map((r) => JSON.parse(r.value!).last_updated as number);
        assert.equal(mine.length, 3);
        assert.deepEqual(updates, [...updates].sort((a, b) => a - b));
        assert.equal(new Set(updates).size, 3);
      }
    } finally {
      await stub.close();
    }
  },
);

kafkaTest(
  "produce reports and skips a coin CoinGecko does not return, publishing the others",
  async () => {
    const stub = await CoinGeckoStub.start();
    stub.unknown.add("ethereum");
    const topic = freshTopic("it-missing");
    try {
      const run = await runCommand("produce", {
        args: ["--iterations", "1", "--coins", "bitcoin:BTC,ethereum:ETH"],
        env: {
          KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
          KAFKA_TOPIC: topic,
          COINGECKO_BASE_URL: stub.url,
          API_RATE_LIMIT_DELAY: "0",
        },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /ethereum \(ETH\) is missing from the CoinGecko response/);
      assert.match(run.stdout, /Total messages produced: 1, Errors: 1/);
      const records = await readTopic(topic, 1);
      assert.equal(records[0]?.key, "BTC");
    } finally {
      await stub.close();
    }
  },
);

kafkaTest(
  "produce --source replay:FILE puts every usable recorded price on the topic once per pass, in order",
  async () => {
    const topic = freshTopic("it-replay");
    const coins: [string, string][] = [["bitcoin", "BTC"], ["ethereum", "ETH"], [
      "café-coin",
      "CAFE",
    ]];
    const lines: string[] = [];
    // Recorded an hour ago: inside the broker's retention (7 days) however the records are stamped.
    const recorded = Date.now() - 3_600_000;
    for (let i = 0; i < 1_300; i++) {
      const [coinId, symbol] = coins[i % 3]!;
      lines.push(JSON.stringify({
        symbol,
        coin_id: coinId,
        price_usd: 1000 + i,
        volume_24h: i,
        market_cap: null,
        timestamp: new Date(recorded + i).toISOString(),
      }));
      if (i === 500) lines.push("{not json", '{"symbol":"BTC","coin_id":"bitcoin","price_usd":0}');
    }
    const file = await Deno.makeTempFile({ suffix: ".jsonl" });
    const from = Date.now();
    try {
      await Deno.writeTextFile(file, lines.join("\n") + "\n");
      const run = await runCommand("produce", {
        args: ["--source", `replay:${file}`, "--iterations", "2"],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, KAFKA_TOPIC: topic },
      });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /^Messages produced: 2600$/m);
      assert.match(run.stdout, /^Coins skipped: 4$/m);
      assert.match(run.stdout, /^Iteration 2 completed in /m);
      assert.match(run.stderr, /Iteration 1: skipped line 502: not JSON/);
      const to = Date.now();

      const records = await readTopic(topic, 2_600);
      assert.equal(records.length, 2_600);
      const partitions = await javaPartitions(coins.map(([, s]) => s), 3);
      const ids = new Set<string>();
      for (const record of records) {
        const value = JSON.parse(record.value!);
        assert.deepEqual(Object.keys(value).sort(), FIELDS);
        assert.equal(record.key, value.symbol);
        assert.equal(record.partition, partitions.get(value.symbol));
        assert.equal(value.coin_id, coins.find(([, s]) => s === value.symbol)![0]);
        assert.equal(record.headers["schema"], "crypto-price/v1");
        // Recorded an hour ago, written now: stamped with the time of writing.
        assert.ok(record.timestamp >= from && record.timestamp <= to, `${record.timestamp}`);
        ids.add(value.message_id);
      }
      assert.equal(ids.size, 2_600, "message_ids are not unique");
      // Per key, the recording's order, twice.
      for (const [, symbol] of coins) {
        const prices = records.filter((r) => r.key === symbol).sort((a, b) => a.offset - b.offset)
          .map((r) => JSON.parse(r.value!).price_usd);
        const once = lines.map((l) => JSON.parse(l.startsWith("{not") ? "{}" : l))
          .filter((v) => v.symbol === symbol && v.price_usd > 0).map((v) => v.price_usd);
        assert.deepEqual(prices, [...once, ...once]);
      }
    } finally {
      await Deno.remove(file);
    }
  },
);

kafkaTest(
  "produce on a closed standard output stops fetching, delivers what it fetched and writes its summary to stderr",
  async () => {
    const stub = await CoinGeckoStub.start();
    const topic = freshTopic("it-closed-stdout");
    // Many coins a cycle and a short interval, so that prices are on their way when it stops.
    const coins = Array.from({ length: 40 }, (_, i) => `coin-${i}:C${i}`).join(",");
    try {
      const child = new Deno.Command("deno", {
        args: ["run", "-q", ...PROGRAM_PERMISSIONS, "bin/produce.ts", "--interval", "0.05"],
        env: {
          PATH: Deno.env.get("PATH") ?? "",
          HOME: Deno.env.get("HOME") ?? "",
          NO_COLOR: "1",
          KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
          KAFKA_TOPIC: topic,
          CRYPTO_COINS: coins,
          COINGECKO_BASE_URL: stub.url,
          API_RATE_LIMIT_DELAY: "0",
        },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      // Read until the first prices are delivered, then go away as `| head` does.
      const reader = child.stdout.getReader();
      let seen = "";
      while (!seen.includes("Produced: ")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      await reader.cancel();
      const [status, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
      ]);
      clearTimeout(timer);

      assert.match(seen, /Produced: /);
      assert.equal(status.code, 1, stderr);
      const errors = stderr.split("\n").filter((line) => line.startsWith("error:"));
      assert.equal(errors.length, 1, stderr);
      assert.match(errors[0]!, /^error: standard output was closed by its reader; stopping/);
      assert.match(stderr, /^Producer summary$/m);
      const count = (label: string) =>
        Number(new RegExp(`^${label}: (\\d+)$`, "m").exec(stderr)?.[1]);
      const fetched = count("Prices fetched");
      const produced = count("Messages produced");
      assert.ok(fetched > 0, stderr);
      assert.equal(produced, fetched, stderr);
      assert.doesNotMatch(stderr, /Not delivered/);
      assert.doesNotMatch(stderr, /^\s+at /m);
      // It stopped fetching: no request after the stop but the one it may have had under way.
      assert.ok(stub.requests.length <= count("Iterations"), `${stub.requests.length} requests`);

      const records = await readTopic(topic, produced);
      const ids = new Set(records.map((r) => JSON.parse(r.value ?? "{}").message_id));
      assert.equal(ids.size, produced);
    } finally {
      await stub.close();
    }
  },
);
