import assert from "node:assert/strict";
import { CompressionTypes } from "kafkajs";
import { encodePrice } from "../../market/messages/price_message.ts";
import { MessageIds } from "../../market/messages/message_ids.ts";
import { partitionFor } from "../../kafka/partitioner.ts";
import { freshTopic, kafkaTest, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { runCommand, spawnCommand } from "../support/run.ts";

const ids = new MessageIds();

/** A valid message value for the symbol, numbered by its price. */
function valid(symbol: string, n: number): { key: string; value: string } {
  const encoded = encodePrice({
    coinId: symbol.toLowerCase(),
    symbol,
    priceUsd: 100 + n,
    volume24h: 1_000,
    marketCap: 2_000,
    change24h: 1.5,
    lastUpdated: 1_700_000_000 + n,
    fetchedAt: Date.now(),
    cycle: n,
  }, ids.next(symbol, Date.now()));
  return { key: encoded.key, value: encoded.value };
}

/** Creates a topic with 3 partitions and writes the messages with a raw kafkajs producer. */
async function writeRaw(
  topic: string,
  messages: { key: string | null; value: string | null; partition?: number }[],
): Promise<void> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
  });
  // Every partition has a leader that answers before anything is written.
  for (let i = 0;; i++) {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    if (offsets.length === 3 || i >= 50) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    compression: CompressionTypes.None,
    messages: messages.map((m) => ({
      key: m.key,
      value: m.value,
      partition: m.partition ?? partitionFor(m.key ?? "", 3),
    })),
  });
  await producer.disconnect();
}

function env(topic: string, extra: Record<string, string> = {}): Record<string, string> {
  return { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, KAFKA_TOPIC: topic, ...extra };
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** Three symbols that land on partitions 0, 1 and 2. */
const SPREAD = (() => {
  const chosen = new Map<number, string>();
  for (let i = 0; chosen.size < 3; i++) {
    const symbol = `C${i}`;
    const p = partitionFor(symbol, 3);
    if (!chosen.has(p)) chosen.set(p, symbol);
  }
  return [...chosen.values()];
})();

kafkaTest(
  "consume prints every produced message once, in per-key order, then lag is 0",
  async () => {
    const topic = freshTopic("it-consume");
    const messages = Array.from({ length: 30 }, (_, i) => valid(SPREAD[i % 3]!, i));
    await writeRaw(topic, messages);
    const group = freshTopic("g");

    const before = await runCommand("lag", { args: ["--group", group], env: env(topic) });
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /^Total lag: 30$/m);

    const run = await runCommand("consume", {
      args: ["--from-beginning", "--max-messages", "30", "--format", "json", "--group", group],
      env: env(topic),
    });
    assert.equal(run.code, 0, run.stderr);
    const printed = jsonLines(run.stdout);
    assert.equal(printed.length, 30, run.stdout);
    assert.deepEqual(
      new Set(printed.map((m) => m.message_id)),
      new Set(messages.map((m) => JSON.parse(m.value).message_id)),
    );
    for (const symbol of SPREAD) {
      const mine = printed.filter((m) => m.symbol === symbol);
      const prices = mine.map((m) => m.price_usd as number);
      assert.deepEqual(prices, [...prices].sort((a, b) => a - b), `${symbol} out of order`);
      const offsets = mine.map((m) => m.offset as number);
      assert.deepEqual(offsets, offsets.map((_, i) => i), `${symbol} offsets`);
    }
    assert.ok(!run.stdout.includes("Starting"), "the banner went to stdout in json mode");

    const after = await runCommand("lag", { args: ["--group", group], env: env(topic) });
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /^Total lag: 0$/m);
    for (let p = 0; p < 3; p++) {
      assert.match(
        after.stdout,
        new RegExp(`^${p}\\s+10\\s+10\\s+0$`, "m"),
      );
    }
  },
);

kafkaTest("consume --filter prints only the named symbols, case-insensitively", async () => {
  const topic = freshTopic("it-filter");
  const [a, b, c] = SPREAD as [string, string, string];
  await writeRaw(topic, Array.from({ length: 12 }, (_, i) => valid([a, b, c][i % 3]!, i)));
  const run = await runCommand("consume", {
    args: [
      "--from-beginning",
      "--max-messages",
      "8",
      "--format",
      "line",
      "--filter",
      `${a.toLowerCase()},${c}`,
      "--group",
      freshTopic("g"),
    ],
    env: env(topic),
  });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split("\n").filter((l) => l.startsWith("Message #"));
  assert.equal(lines.length, 8);
  lines.forEach((line, i) =>
    assert.match(line, new RegExp(`^Message #${i + 1} - (${a}|${c}) \\$`))
  );
  assert.ok(!lines.some((l) => l.includes(` ${b} `)));
});

kafkaTest("a consumer stopped and started again resumes after its last commit", async () => {
  const topic = freshTopic("it-resume");
  const messages = Array.from({ length: 18 }, (_, i) => valid(SPREAD[i % 3]!, i));
  await writeRaw(topic, messages);
  const group = freshTopic("g");
  const args = ["--from-beginning", "--format", "json", "--group", group];
  const first = await runCommand("consume", {
    args: [...args, "--max-messages", "7"],
    env: env(topic),
  });
  assert.equal(first.code, 0, first.stderr);
  const second = await runCommand("consume", {
    args: [...args, "--max-messages", "11"],
    env: env(topic),
  });
  assert.equal(second.code, 0, second.stderr);
  const seen = [...jsonLines(first.stdout), ...jsonLines(second.stdout)].map((m) => m.message_id);
  assert.equal(seen.length, 18);
  assert.equal(new Set(seen).size, 18, "a message was printed twice");
  assert.deepEqual(new Set(seen), new Set(messages.map((m) => JSON.parse(m.value).message_id)));
});

kafkaTest(
  "consume reports each bad message with its offset and prints the valid ones around it",
  async () => {
    const topic = freshTopic("it-bad");
    const symbol = SPREAD[0]!;
    const good = [valid(symbol, 1), valid(symbol, 2), valid(symbol, 3)];
    const base = JSON.parse(good[0]!.value);
    const bad: [string | null, string | null, RegExp][] = [
      [symbol, "not json {", /value is not JSON/],
      [symbol, "[1,2,3]", /not a JSON object/],
      [symbol, JSON.stringify({ symbol }), /coin_id is missing/],
      [symbol, JSON.stringify({ ...base, price_usd: "45000" }), /price_usd/],
      [symbol, JSON.stringify({ ...base, price_usd: -3 }), /price_usd/],
      [symbol, "", /value is empty/],
      [symbol, null, /value is empty/],
      [null, good[0]!.value, /no key/],
    ];
    const messages = [
      { ...good[0]!, partition: 0 },
      ...bad.slice(0, 4).map(([key, value]) => ({ key, value, partition: 0 })),
      { ...good[1]!, partition: 0 },
      ...bad.slice(4).map(([key, value]) => ({ key, value, partition: 0 })),
      { ...good[2]!, partition: 0 },
    ];
    await writeRaw(topic, messages);
    const run = await runCommand("consume", {
      args: [
        "--from-beginning",
        "--max-messages",
        "3",
        "--format",
        "json",
        "--group",
        freshTopic("g"),
      ],
      env: env(topic),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      jsonLines(run.stdout).map((m) => m.message_id),
      good.map((g) => JSON.parse(g.value).message_id),
    );
    const reports = run.stderr.split("\n").filter((l) => l.includes("Skipped bad message"));
    assert.equal(reports.length, bad.length, run.stderr);
    const badOffsets = [1, 2, 3, 4, 6, 7, 8, 9];
    bad.forEach(([, , reason], i) => {
      const line = reports.find((l) => l.includes(`partition 0 offset ${badOffsets[i]}:`));
      assert.ok(line, `no report for offset ${badOffsets[i]}`);
      assert.match(line, reason);
    });
    assert.match(run.stderr, /Bad messages skipped: 8/);
    assert.ok(!run.stderr.includes("    at "), "stack trace printed");
  },
);

kafkaTest(
  "two consumers in one group split the partitions and together print every message once",
  async () => {
    const topic = freshTopic("it-group");
    await writeRaw(topic, []);
    const group = freshTopic("g");
    const args = ["--format", "json", "--group", group, "--from-beginning"];
    const a = spawnCommand("consume", { args, env: env(topic) });
    const b = spawnCommand("consume", { args, env: env(topic) });
    const assigned = (stderr: string) => {
      const lines = [...stderr.matchAll(/Assigned partitions of \S+: ([\d, ]+|none)/g)];
      const last = lines.at(-1)?.[1];
      return last === undefined || last === "none" ? [] : last.split(", ").map(Number);
    };
    try {
      const split = () => {
        const pa = assigned(a.stderr());
        const pb = assigned(b.stderr());
        return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 3 &&
          new Set([...pa, ...pb]).size === 3;
      };
      await a.waitFor(() => split(), 90_000);
      const messages = Array.from({ length: 30 }, (_, i) => valid(SPREAD[i % 3]!, i));
      const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ ...m, partition: partitionFor(m.key, 3) })),
      });
      await producer.disconnect();
      const count = () => jsonLines(a.stdout()).length + jsonLines(b.stdout()).length;
      await a.waitFor(() => count() >= 30, 60_000);
      a.kill("SIGTERM");
      b.kill("SIGTERM");
      const [ra, rb] = await Promise.all([a.done, b.done]);
      assert.equal(ra.code, 0, ra.stderr);
      assert.equal(rb.code, 0, rb.stderr);
      const pa = jsonLines(ra.stdout);
      const pb = jsonLines(rb.stdout);
      assert.ok(pa.length > 0 && pb.length > 0, "one consumer printed nothing");
      const all = [...pa, ...pb].map((m) => m.message_id);
      assert.equal(all.length, 30);
      assert.equal(new Set(all).size, 30);
      const partitionsOf = (printed: Record<string, unknown>[]) =>
        new Set(printed.map((m) => m.partition));
      for (const p of partitionsOf(pa)) assert.ok(!partitionsOf(pb).has(p), `both read ${p}`);
    } finally {
      a.kill("SIGKILL");
      b.kill("SIGKILL");
      await Promise.all([a.done, b.done]);
    }
  },
);

kafkaTest("consume --max-messages exits promptly once the last message is printed", async () => {
  const topic = freshTopic("it-consume-exit");
  await writeRaw(topic, Array.from({ length: 60 }, (_, i) => valid(SPREAD[i % 3]!, i)));
  const run = spawnCommand("consume", {
    args: ["--from-beginning", "--max-messages", "5", "--format", "json"],
    env: env(topic),
  });
  try {
    await run.waitFor((stdout) => jsonLines(stdout).length >= 5, 60_000);
  } catch (error) {
    run.kill("SIGKILL");
    throw error;
  }
  const printedAt = Date.now();
  const result = await run.done;
  const exitMs = Date.now() - printedAt;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(jsonLines(result.stdout).length, 5);
  // Leaving the group used to wait out a whole fetch (about 5 s) with records still unread.
  assert.ok(exitMs < 3_000, `exited ${exitMs} ms after printing its last message`);
});
