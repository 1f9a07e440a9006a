import assert from "node:assert/strict";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { PROGRAM_PERMISSIONS, runCommand, spawnCommand } from "../support/run.ts";

function pairs(stdout: string) {
  const produced = [...stdout.matchAll(/^Produced: (\w+) (\$[\d,.]+) to partition (\d+)/gm)]
    .map((m) => `${m[1]} ${m[2]}`);
  const printed = [...stdout.matchAll(/^Message #\d+ - (\w+) (\$[\d,.]+)$/gm)]
    .map((m) => `${m[1]} ${m[2]}`);
  return { produced, printed };
}

Deno.test("start prints produced and consumed prices over the embedded log with no broker running", async () => {
  const stub = await CoinGeckoStub.start();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = closed.addr.port;
  closed.close();
  try {
    const run = await runCommand("start", {
      args: ["--iterations", "3", "--interval", "0.2", "--coins", "bitcoin:BTC,ethereum:ETH"],
      env: {
        COINGECKO_BASE_URL: stub.url,
        API_RATE_LIMIT_DELAY: "0",
        KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${deadPort}`,
      },
      timeoutMs: 60_000,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Transport: embedded in-process log/);
    const { produced, printed } = pairs(run.stdout);
    assert.equal(produced.length, 6);
    assert.deepEqual([...printed].sort(), [...produced].sort());
    for (const symbol of ["BTC", "ETH"]) {
      assert.deepEqual(
        printed.filter((p) => p.startsWith(symbol)),
        produced.filter((p) => p.startsWith(symbol)),
        `${symbol} printed out of order`,
      );
    }
    assert.match(run.stdout, /Messages printed: 6/);
  } finally {
    await stub.close();
  }
});

Deno.test("start stops with one line, no stack trace, when its standard output is closed", async () => {
  const stub = await CoinGeckoStub.start();
  try {
    const child = new Deno.Command("deno", {
      args: ["run", "-q", ...PROGRAM_PERMISSIONS, "bin/start.ts", "--interval", "0.05"],
      env: {
        COINGECKO_BASE_URL: stub.url,
        API_RATE_LIMIT_DELAY: "0",
        NO_COLOR: "1",
        HTTP_ADDR: "127.0.0.1:0",
        CANDLE_STORE: `sqlite:${await Deno.makeTempDir()}/market.db`,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    // Read the first lines, then go away as `| head` does.
    const reader = child.stdout.getReader();
    let seen = "";
    while (!seen.includes("Message #1")) {
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
    assert.match(seen, /Message #1/);
    assert.equal(status.code, 1, stderr);
    const errors = stderr.split("\n").filter((line) => line.startsWith("error:"));
    assert.deepEqual(errors, ["error: standard output was closed by its reader; stopping"]);
    assert.doesNotMatch(stderr, /^\s+at /m);
  } finally {
    await stub.close();
  }
});

kafkaTest("start --transport kafka runs both sides through the broker", async () => {
  const stub = await CoinGeckoStub.start();
  const topic = freshTopic("it-start");
  const group = freshTopic("g");
  try {
    const run = await runCommand("start", {
      args: ["--transport", "kafka", "--iterations", "2", "--interval", "0.2", "--filter", "eth"],
      env: {
        COINGECKO_BASE_URL: stub.url,
        API_RATE_LIMIT_DELAY: "0",
        KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
        KAFKA_TOPIC: topic,
        KAFKA_CONSUMER_GROUP: group,
      },
      timeoutMs: 90_000,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const { produced, printed } = pairs(run.stdout);
    assert.equal(produced.length, 4);
    assert.deepEqual(printed, produced.filter((p) => p.startsWith("ETH")));
    assert.match(run.stdout, /Filtered out: 2/);

    // On the broker, read by another client: the four prices, on the partitions the producer
    // named, and the printer's group committed to the end of every partition.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      assert.equal(ends.reduce((n, p) => n + Number(p.high), 0), 4, JSON.stringify(ends));
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      for (const end of ends) {
        const mine = committed!.partitions.find((p) => p.partition === end.partition);
        // An empty partition: nothing to commit, or its end, 0.
        const offset = end.high === "0" && mine?.offset === "-1" ? "0" : mine?.offset;
        assert.equal(offset, end.high, `partition ${end.partition}: committed`);
      }
    } finally {
      await admin.disconnect();
    }
    const records = await readTopic(topic, 4);
    const where = [...run.stdout.matchAll(/^Produced: (\w+) \$[\d,.]+ to partition (\d+)/gm)]
      .map((m) => `${m[1]} ${m[2]}`).sort();
    assert.deepEqual(records.map((r) => `${r.key} ${r.partition}`).sort(), where);
  } finally {
    await stub.close();
  }
});

kafkaTest(
  "produce and start use an existing topic with another partition count, with a warning",
  async () => {
    const stub = await CoinGeckoStub.start();
    const topic = freshTopic("it-one-partition");
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    });
    await admin.disconnect();
    try {
      const env = {
        COINGECKO_BASE_URL: stub.url,
        API_RATE_LIMIT_DELAY: "0",
        KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
        KAFKA_TOPIC: topic,
        KAFKA_CONSUMER_GROUP: freshTopic("g"),
      };
      for (
        const [command, extra] of [["produce", []], ["start", ["--transport", "kafka"]]] as const
      ) {
        const run = await runCommand(command, {
          args: ["--iterations", "1", ...extra],
          env,
          timeoutMs: 90_000,
        });
        assert.equal(run.code, 0, `${command}: ${run.stdout}${run.stderr}`);
        assert.match(
          run.stdout,
          new RegExp(
            `^Warning: topic ${topic} has 1 partitions \\(expected 3\\); using it as it is$`,
            "m",
          ),
          command,
        );
        const partitions = [...run.stdout.matchAll(/^Produced: \w+ \$[\d,.]+ to partition (\d+)/gm)]
          .map((m) => m[1]);
        assert.deepEqual([...new Set(partitions)], ["0"], `${command} wrote past partition 0`);
      }
    } finally {
      await stub.close();
    }
  },
);

/**
 * Runs `start` with prices flowing, 2 a second, and reads `/api/v1/pipeline` once: its first
 * answer, after a few seconds of flow.
 */
async function firstPipelineAnswer(transport: "memory" | "kafka") {
  const stub = await CoinGeckoStub.start();
  const group = freshTopic("g-pipeline");
  const id = `pipeline-${Date.now()}`;
  const run = spawnCommand("start", {
    args: ["--transport", transport, "--interval", "1", "--coins", "bitcoin:BTC,ethereum:ETH"],
    env: {
      COINGECKO_BASE_URL: stub.url,
      API_RATE_LIMIT_DELAY: "0",
      KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
      KAFKA_TOPIC: freshTopic("it-pipeline"),
      KAFKA_CONSUMER_GROUP: group,
      ...(transport === "kafka" ? { KAFKA_INSTANCE_ID: id } : {}),
    },
  });
  try {
    await run.waitFor((out) => /^Message #10 /m.test(out), 90_000);
    const base = /^Dashboard: (\S+)\/$/m.exec(run.stdout())![1]!;
    const pipeline = await (await fetch(`${base}/api/v1/pipeline`)).json();
    run.kill("SIGTERM");
    const ended = await run.done;
    assert.equal(ended.code, 0, ended.stdout + ended.stderr);
    return { pipeline, group, id, stdout: ended.stdout, stderr: ended.stderr };
  } finally {
    run.kill("SIGKILL");
    await run.done;
    await stub.close();
  }
}

for (const transport of ["memory", "kafka"] as const) {
  (transport === "kafka" ? kafkaTest : Deno.test)(
    `start --transport ${transport}: the first answer of /api/v1/pipeline has the rates of the last seconds (2 prices a second), and its lag names each consumer group with what reads through it, as the log of assigned partitions does`,
    async () => {
      const { pipeline, group, id, stdout, stderr } = await firstPipelineAnswer(transport);
      for (const rate of ["produced_per_s", "consumed_per_s"]) {
        assert.ok(
          pipeline[rate] >= 1.2 && pipeline[rate] <= 3,
          `${rate} ${pipeline[rate]}: ${JSON.stringify(pipeline)}`,
        );
      }
      const stage = (name: string) =>
        pipeline.stages.find((s: { name: string }) => s.name === name).messages_per_s;
      assert.ok(stage("fetcher") >= 1.2 && stage("printer") >= 1.2, JSON.stringify(pipeline));
      const groups = new Set(
        pipeline.lag.map((l: { group: string; consumer: string }) => `${l.group} ${l.consumer}`),
      );
      assert.deepEqual([...groups], [`${group} printer`, "crypto-candles candles"]);
      for (const name of [group, "crypto-candles"]) {
        assert.match(
          stderr,
          new RegExp(`Assigned partitions of \\S+: [\\d, ]+ \\(group ${name}\\)$`, "m"),
        );
      }
      if (transport === "kafka") {
        assert.match(
          stdout,
          new RegExp(
            `^Consumer groups: ${group} \\(instance id "${id}-printer"\\), crypto-candles \\(instance id "${id}-candles"\\)$`,
            "m",
          ),
        );
      }
    },
  );
}
