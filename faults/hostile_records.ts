/**
 * Scenario 15: hostile records. Good prices and trades with fuzzed bad records among them (the
 * kinds of docs/messages.md#what-every-record-is-checked-for: times in milliseconds, in the
 * future, before 2009 or no date at all; symbols with markup, control characters, lower case or
 * thousands of characters; prices and sizes of zero, negative, 1e12 and more; products that are
 * not the symbol's), written by kcat (a client independent of the program) to two topics; the
 * real `candles` must end with exactly the candles of the good records alone, every bad one on
 * the dead-letter topic once with a reason naming its field, and every record committed.
 *
 * `FAULTS_SEED=<n>` replays a run: the seed is printed and kept in the report.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import type { Interval } from "../market/candle.ts";
import { referenceCandles, referenceKey } from "../tests/support/candle_reference.ts";
import { storedCandles } from "../tests/support/candle_table.ts";
import {
  fuzzedHostile,
  goodObservations,
  goodPrices,
  goodTrades,
  interleave,
  priceRecord,
  type TopicRecord,
  tradeRecord,
  writeWithKcat,
} from "../tests/support/hostile_records.ts";
import { seeded } from "../tests/support/prices.ts";
import { occurrences, sleep, spawn } from "./command.ts";
import { check, type Scenario, type ScenarioContext, type ScenarioResult } from "./scenario.ts";
import { committedAll, plainKafka, unique } from "./topic.ts";

const INTERVALS: Interval[] = ["1m", "5m"];

/** Every record on a topic, as text, up to its end offsets of the moment. */
async function readValues(
  brokers: string,
  topic: string,
): Promise<{ value: string | null; headers: Record<string, string> }[]> {
  const kafka = plainKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    ends = new Map(
      (await admin.fetchTopicOffsets(topic)).filter((o) => Number(o.high) > 0)
        .map((o) => [o.partition, Number(o.high)]),
    );
  } finally {
    await admin.disconnect();
  }
  const out: { value: string | null; headers: Record<string, string> }[] = [];
  if (ends.size === 0) return out;
  const consumer = kafka.consumer({ groupId: unique("faults-dlq-reader") });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const remaining = new Set(ends.keys());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Read ${out.length} of ${topic}`)), 120_000);
      consumer.run({
        eachMessage: ({ partition, message }) => {
          const offset = Number(message.offset);
          const end = ends.get(partition)!;
          if (offset < end) {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) {
              headers[name] = String(value);
            }
            out.push({ value: message.value?.toString("utf8") ?? null, headers });
          }
          if (offset >= end - 1) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const seedText = Deno.env.get("FAULTS_SEED");
  const seed = seedText !== undefined && /^\d+$/.test(seedText.trim())
    ? Number(seedText.trim()) >>> 0
    : Math.floor(Math.random() * 2 ** 32);
  const goodCount = ctx.quick ? 5_000 : 100_000;
  const badCount = ctx.quick ? 100 : 1_000;
  // Prices every second or two and trades every few seconds, ending about an hour ago.
  const span = Math.ceil(goodCount * 0.6 * 2 / 3_600) + 1;
  const start = Math.floor(Date.now() / 60_000) * 60 - span * 3_600;
  const prices = goodPrices({
    seed,
    symbols: ["BTC", "ETH", "SOL", "DOGE"],
    start,
    count: Math.round(goodCount * 0.6),
  });
  const trades = goodTrades({
    seed,
    products: ["ADA-USD", "XRP-USD"],
    start: start * 1000,
    perProduct: Math.round(goodCount * 0.2),
    stepMs: 9_000,
  });
  const good: TopicRecord[] = [...prices.map(priceRecord), ...trades.map(tradeRecord)];
  const rnd = seeded(seed ^ 0x5eed);
  const bad = Array.from({ length: badCount }, () =>
    fuzzedHostile(
      rnd,
      prices[Math.floor(rnd() * prices.length)]!,
      trades[Math.floor(rnd() * trades.length)]!,
    ));
  const records = interleave(good, bad, seed);
  const topics = {
    prices: unique("faults-hostile-prices"),
    trades: unique("faults-hostile-trades"),
    dlq: unique("faults-hostile-dlq"),
  };
  ctx.log(
    `  seed ${seed} (replay with FAULTS_SEED=${seed}): ${good.length} good records, ${bad.length} hostile`,
  );
  const admin = plainKafka(ctx.broker.brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topics.prices, topics.trades].map((topic) => ({
        topic,
        numPartitions: 3,
        replicationFactor: 1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
  const json = { "content-type": "application/json" };
  await writeWithKcat(
    ctx.broker.brokers,
    topics.prices,
    records.filter((r) => r.topic === "prices"),
    {
      ...json,
      schema: "crypto-price/v1",
    },
  );
  await writeWithKcat(
    ctx.broker.brokers,
    topics.trades,
    records.filter((r) => r.topic === "trades"),
    {
      ...json,
      schema: "crypto-trade/v1",
    },
  );

  // Under .data/, where the candles task may write.
  const dir = `.data/${unique("faults-hostile")}`;
  const store = `sqlite:${dir}/market.db`;
  const group = unique("faults-hostile-group");
  const candles = spawn("candles", {
    args: [
      "--topic",
      `${topics.prices},${topics.trades}`,
      "--group",
      group,
      "--store",
      store,
      "--intervals",
      INTERVALS.join(","),
      "--from-beginning",
      "--idle-timeout",
      "3600",
      "--format",
      "line",
    ],
    env: {
      KAFKA_BOOTSTRAP_SERVERS: ctx.broker.brokers,
      CANDLE_TOPIC: `${topics.prices}-candles`,
      ALERT_TOPIC: `${topics.prices}-alerts`,
      DLQ_TOPIC: topics.dlq,
    },
  });
  try {
    const deadline = Date.now() + (ctx.quick ? 180_000 : 900_000);
    let caughtUp = false;
    while (Date.now() < deadline && candles.ended === null) {
      caughtUp = await committedAll(ctx.broker.brokers, group, topics.prices) &&
        await committedAll(ctx.broker.brokers, `${group}.${topics.trades}`, topics.trades);
      if (caughtUp) break;
      await sleep(1_000);
    }
    const alive = candles.ended === null;
    // The open candles' last write.
    await sleep(1_500);
    const ended = await candles.stop();

    const expected = referenceCandles(goodObservations(records), INTERVALS);
    const rows = await storedCandles(
      store,
      ["BTC", "ETH", "SOL", "DOGE", "ADA", "XRP"],
      INTERVALS,
    );
    let matching = 0;
    let differing = 0;
    const right = new Set<string>();
    for (const { closed: _c, revision: _r, ...fields } of rows) {
      const key = referenceKey(fields);
      const want = expected.get(key);
      if (want && isDeepStrictEqual(want, fields)) {
        matching++;
        right.add(key);
      } else differing++;
    }
    const missing = expected.size - matching;
    // A good record is in the right candles when its 1m and 5m candles are both right.
    const inRightCandles = goodObservations(records).filter((o) =>
      INTERVALS.every((interval) => {
        const size = interval === "1m" ? 60_000 : 300_000;
        return right.has(
          referenceKey({ ...o, interval, windowStart: Math.floor(o.time / size) * size }),
        );
      })
    ).length;

    const letters = await readValues(ctx.broker.brokers, topics.dlq);
    const byValue = new Map<string, number>();
    for (const l of letters) byValue.set(l.value ?? "", (byValue.get(l.value ?? "") ?? 0) + 1);
    const undead = bad.filter((r) => !byValue.has(r.value));
    const twice = bad.filter((r) => (byValue.get(r.value) ?? 0) > 1).length;
    const goodValues = new Set(good.map((r) => r.value));
    const goodDead = letters.filter((l) => goodValues.has(l.value ?? "")).length;
    const reasonOf = new Map(letters.map((l) => [l.value ?? "", l.headers["dlq.reason"] ?? ""]));
    const unnamed = bad.filter((r) => {
      const reason = reasonOf.get(r.value);
      return reason !== undefined && !reason.startsWith(r.hostile!.field);
    });
    const wrongTopic = letters.filter((l) =>
      l.headers["dlq.topic"] !== topics.prices && l.headers["dlq.topic"] !== topics.trades
    ).length;
    const kinds = new Map<string, number>();
    for (const r of bad) {
      kinds.set(r.hostile!.kind, (kinds.get(r.hostile!.kind) ?? 0) + 1);
    }
    const summary = /Dead-lettered to \S+: (\d+) \(refused when read: (\d+)/.exec(candles.stdout);
    const restarts = occurrences(candles.stderr, "restarted (attempt");

    return {
      id: "15",
      title: "Hostile records among good ones",
      injected:
        `${bad.length} fuzzed bad records (times in milliseconds, in the future, before 2009 or no date; bad symbols, prices, sizes, products) among ${good.length} good prices and trades, written by kcat`,
      expected:
        "the candles of the good records alone; every bad one dead-lettered once with a reason naming its field; everything committed; exit 0",
      measured: {
        fetched: records.length,
        delivered: inRightCandles + (bad.length - undead.length),
        lost: good.length - inRightCandles + undead.length,
        duplicated: twice + goodDead,
        dropped: 0,
        restarts,
        exitCode: ended.code,
      },
      checks: [
        check(
          "candles kept running and committed both topics",
          alive && caughtUp,
          alive ? (caughtUp ? "both groups committed everything" : "timed out") : "exited early",
        ),
        check(
          "the table equals an independent computation over the good records alone",
          missing === 0 && differing === 0,
          `${matching} of ${expected.size} candles right, ${differing} wrong or extra`,
        ),
        check(
          "every bad record dead-lettered exactly once, no good one",
          undead.length === 0 && twice === 0 && goodDead === 0 &&
            letters.length === bad.length,
          `${
            bad.length - undead.length
          } of ${bad.length} dead-lettered, ${twice} twice, ${goodDead} good ones, ${letters.length} on the topic`,
        ),
        check(
          "each reason names the field",
          unnamed.length === 0,
          unnamed.length === 0
            ? "all do"
            : `${unnamed.length} do not, e.g. ${unnamed[0]!.hostile!.field}: ${
              reasonOf.get(unnamed[0]!.value)
            }`,
        ),
        check(
          "each dead letter names the topic it was read from",
          wrongTopic === 0,
          `${wrongTopic} name another`,
        ),
        check(
          "the summary counts them",
          summary !== null && Number(summary[1]) === bad.length,
          summary ? summary[0] : "no summary line",
        ),
        check("no actor restart", restarts === 0, `${restarts} restarts`),
        check("SIGTERM: exit 0", ended.code === 0, `exit ${ended.code}`),
      ],
      explanation:
        "hostile records: kcat writes good prices (4 symbols) and trades (2 products) to two topics of 3 partitions, with fuzzed bad records of every kind the decoders refuse at seeded places among them; `candles` reads both into SQLite with `DLQ_TOPIC` set. *fetched* is the records written, *delivered* the good records whose candles (1m and 5m) equal an independent computation over the good records alone, plus the bad records found on the dead-letter topic; *lost* the rest of both; *duplicated* the dead letters written twice or of good records (a wrong or extra candle fails the table's check).",
      notes: [
        `seed ${seed}`,
        `kinds: ${
          [...kinds].map(([k, n]) => `${k} ${n}`).join(", ")
        }`,
      ],
    };
  } finally {
    if (candles.ended === null) await candles.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The hostile-records scenario. */
export const hostileRecords: Scenario = { id: "15", run };
