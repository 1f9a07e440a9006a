/**
 * `--instance-id` against the real broker: a process killed with `kill -9` and restarted with the
 * same id gets its partitions back at once, without waiting for the session timeout; two live
 * processes with one id are refused, the one the broker fences exiting 2 with one line.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Interval } from "../../market/candle.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { committedAll } from "../../faults/topic.ts";
import { freshTopic, kafkaTest, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { market, writeRecording } from "../support/prices.ts";
import { runCommand, type RunningCommand, spawnCommand } from "../support/run.ts";
import { candleTable } from "../support/candle_table.ts";
import { until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m", "5m", "15m", "1h"];
// Prices of two hours ago: replayed records keep their recorded time as their Kafka timestamp.
const START = Math.floor(Date.now() / 3_600_000) * 3_600 - 2 * 3_600;
/** Far beyond the time the restarted process is given to catch up: only static membership can. */
const SESSION_TIMEOUT_S = 45;
/** The time from the restart to a lag of 0. */
const CATCH_UP_MS = 20_000;

const assigned = /Assigned partitions of \S+: \d/;

/** Writes prices to the topic through `produce --source replay:FILE`. */
async function produce(topic: string, prices: readonly PriceMessage[]): Promise<void> {
  const file = await writeRecording(prices);
  try {
    const run = await runCommand("produce", {
      args: ["--source", `replay:${file}`, "--iterations", "1"],
      env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, KAFKA_TOPIC: topic },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
  } finally {
    await Deno.remove(file);
  }
}

function candles(topic: string, group: string, store: string, extra: string[] = []) {
  return spawnCommand("candles", {
    args: [
      "--topic",
      topic,
      "--group",
      group,
      "--store",
      store,
      "--intervals",
      INTERVALS.join(","),
      "--from-beginning",
      "--idle-timeout",
      "3600",
      ...extra,
    ],
    env: {
      KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
      KAFKA_SESSION_TIMEOUT: String(SESSION_TIMEOUT_S),
      CANDLE_TOPIC: `${topic}-candles`,
      ALERT_TOPIC: `${topic}-alerts`,
    },
  });
}

/** Whether the group has committed an offset past 0 on some partition of the topic. */
async function committedSome(group: string, topic: string): Promise<boolean> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return offsets!.partitions.some((p) => Number(p.offset) > 0);
  } finally {
    await admin.disconnect();
  }
}

async function stop(run: RunningCommand): Promise<void> {
  run.kill("SIGTERM");
  const ended = await run.done;
  assert.equal(ended.code, 0, ended.stdout + ended.stderr);
}

kafkaTest(
  `candles --instance-id a, killed with kill -9 and restarted with the same id while prices flow, has its partitions back and its group's lag at 0 within ${
    CATCH_UP_MS / 1000
  } s, long before the ${SESSION_TIMEOUT_S} s session timeout; the table equals one uninterrupted run's`,
  async () => {
    const prices = market({
      seed: 45,
      symbols: ["BTC", "ETH", "SOL", "ADA", "XRP", "DOGE"],
      start: START,
      minutes: 60,
      disorderS: 20,
    });
    const size = Math.ceil(prices.length / 4);
    const chunk = (i: number) => prices.slice(i * size, (i + 1) * size);
    const topic = freshTopic("it-instance");
    const group = freshTopic("g-instance");
    const dir = await Deno.makeTempDir({ prefix: "instance-" });
    const restartedStore = `sqlite:${dir}/restarted.db`;
    const onceStore = `sqlite:${dir}/once.db`;
    try {
      let run = candles(topic, group, restartedStore, ["--instance-id", "a"]);
      await run.waitFor((_out, err) => assigned.test(err), 60_000);
      await produce(topic, chunk(0));
      await produce(topic, chunk(1));
      await until("the first process to commit some prices", () => committedSome(group, topic));
      run.kill("SIGKILL");
      await run.done;

      // Prices go on flowing while it is down and while it starts again.
      await produce(topic, chunk(2));
      const restarted = Date.now();
      run = candles(topic, group, restartedStore, ["--instance-id", "a"]);
      await produce(topic, chunk(3));
      await until(
        "the restarted process to bring its group's lag to 0",
        () => committedAll(TEST_BROKERS, group, topic),
        restarted + CATCH_UP_MS - Date.now(),
      ).catch((error) => {
        throw new Error(`${error.message}; its output:\n${run.stdout()}\n${run.stderr()}`);
      });
      const seconds = ((Date.now() - restarted) / 1000).toFixed(1);
      assert.match(run.stderr(), assigned, `no partitions after ${seconds} s`);
      const lag = await runCommand("lag", {
        args: ["--group", group, "--topic", topic],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS },
      });
      assert.equal(lag.code, 0, lag.stderr);
      assert.match(lag.stdout, /Total lag: 0\b/, lag.stdout);
      await stop(run);

      // One uninterrupted run of its own group over the same topic.
      const once = freshTopic("g-once");
      const reference = candles(topic, once, onceStore);
      await until("the uninterrupted run", () => committedAll(TEST_BROKERS, once, topic), 120_000);
      await stop(reference);
      const expected = await candleTable(onceStore, INTERVALS);
      assert.ok(expected.length > 0);
      assert.deepEqual(await candleTable(restartedStore, INTERVALS), expected);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** A command that joins a consumer group, and how to tell it has joined. */
interface Member {
  command: string;
  args: (id: string) => string[];
  env: Record<string, string>;
  joined: (run: RunningCommand) => Promise<void>;
}

const topic = freshTopic("it-instance-two");

const MEMBERS: Member[] = [
  {
    command: "consume",
    args: (id) => ["--group", `g-${topic}`, "--instance-id", id, "--from-beginning"],
    env: { KAFKA_TOPIC: topic },
    joined: (run) => run.waitFor((_out, err) => assigned.test(err), 60_000),
  },
  {
    command: "candles",
    args: (id) => ["--topic", topic, "--group", `g-${topic}-candles`, "--instance-id", id],
    env: { CANDLE_TOPIC: `${topic}-candles`, ALERT_TOPIC: `${topic}-alerts` },
    joined: (run) => run.waitFor((_out, err) => assigned.test(err), 60_000),
  },
  {
    command: "serve",
    args: (id) => ["--instance-id", id],
    env: { KAFKA_TOPIC: topic, REDIS_URL: "" },
    // Its live feed has joined once /readyz finds the source ready.
    joined: async (run) => {
      await run.waitFor((out) => /Listening on (\S+)/.test(out), 60_000);
      const base = /Listening on (\S+)/.exec(run.stdout())![1]!;
      await until("serve's live feed to join its groups", async () => {
        const response = await fetch(`${base}/readyz`).catch(() => null);
        const body = await response?.json().catch(() => null);
        return body?.checks?.source === "ok";
      }, 60_000);
    },
  },
];

for (const member of MEMBERS) {
  kafkaTest(
    `two ${member.command} processes started with one --instance-id: the broker fences one, which exits 2 with one line naming the id; the other keeps running`,
    async () => {
      const id = `dup-${Date.now()}`;
      const options = {
        args: member.args(id),
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS, ...member.env },
      };
      const first = spawnCommand(member.command, options);
      let second: RunningCommand | null = null;
      try {
        await member.joined(first);
        second = spawnCommand(member.command, options);
        await member.joined(second);
        // The broker takes the newer member for the restarted one: the older is fenced.
        const fenced = await Promise.race([
          first.done,
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000)),
        ]);
        assert.ok(fenced, `neither was fenced:\n${first.stderr()}\n${second.stderr()}`);
        assert.equal(fenced.code, 2, fenced.stderr);
        const errors = fenced.stderr.split("\n").filter((line) => line.startsWith("error:"));
        assert.equal(errors.length, 1, fenced.stderr);
        assert.match(
          errors[0]!,
          new RegExp(
            `^error: Kafka: another process joined consumer group \\S+ with instance id "${id}", and the broker fenced this one; give each process its own --instance-id \\(KAFKA_INSTANCE_ID\\)$`,
          ),
        );
        assert.equal(fenced.stderr.trimEnd().split("\n").at(-1), errors[0], "the last line");
        assert.doesNotMatch(fenced.stderr, /\n\s+at /, "no stack trace");
        // The other one is still running, and has not been fenced in turn.
        await new Promise((r) => setTimeout(r, 4_000));
        assert.doesNotMatch(second.stderr(), /fenced/);
        await stop(second);
      } finally {
        first.kill("SIGKILL");
        second?.kill("SIGKILL");
        await first.done;
        await second?.done;
      }
    },
  );
}
