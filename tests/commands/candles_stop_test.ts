/**
 * `deno task candles` stopped with Ctrl+C while its store refuses every write, against the real
 * broker and the real PostgreSQL, reading two topics as it does by default: it gives the store its
 * grace, then exits 0 by itself with its summary, saying how many writes the store did not take;
 * it commits nothing it did not write, and a restart once the store takes writes again ends with
 * the full table. How long the stop takes is no concern of the test (a deadline bounds a hang).
 *
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { committedAll } from "../../faults/topic.ts";
import type { Candle, Interval } from "../../market/candle.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import { openStore } from "../../store/open_store.ts";
import { freshTopic, kafkaTest, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { priceFromMessage, referenceCandles, referenceKey } from "../support/candle_reference.ts";
import { market, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";
import { until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m", "5m"];
const START = Math.floor(Date.now() / 3_600_000) * 3_600 - 2 * 3_600;

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

/** Per topic read, its group's committed offset per partition. */
async function committed(reads: readonly [string, string][]): Promise<string[][]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const all: string[][] = [];
    for (const [group, topic] of reads) {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      all.push(offsets!.partitions.sort((x, y) => x.partition - y.partition).map((p) => p.offset));
    }
    return all;
  } finally {
    await admin.disconnect();
  }
}

/** The candle table, every column but `updated_at`. */
async function table(url: string): Promise<Candle[]> {
  const store = await openStore(url, { timeoutMs: 5_000 });
  try {
    const rows: Candle[] = [];
    for (const { source, product } of await store.markets()) {
      for (const interval of INTERVALS) {
        rows.push(...await store.candles({ source, product, interval, limit: 5_000 }));
      }
    }
    return rows;
  } finally {
    await store.close();
  }
}

/**
 * Makes every table of the database refuse every write, with the error a held lock gives (one
 * the store retries).
 */
async function refuseWrites(url: string, refuse: boolean): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    if (refuse) {
      await sql.unsafe(`
        CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'the test refuses every write' USING ERRCODE = '55P03'; END $$;
        DO $$ DECLARE t text; BEGIN
          FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
            EXECUTE format('CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE OR DELETE ON %I
              FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes()', t);
          END LOOP;
        END $$;`);
    } else {
      await sql.unsafe(`DROP FUNCTION refuse_writes() CASCADE`);
    }
  } finally {
    await sql.end();
  }
}

kafkaTest(
  "candles stopped with Ctrl+C while the store refuses every write exits 0 by itself with its summary and the writes it left, commits nothing it did not write, and a restart ends with the full table",
  async () => {
    const prices = market({
      seed: 21,
      symbols: ["BTC", "ETH", "SOL", "ADA"],
      start: START,
      minutes: 30,
      disorderS: 5,
    });
    // BTC and ETH on one topic, SOL and ADA on another, each in two halves.
    const topic = freshTopic("it-candles-stop");
    const other = `${topic}-other`;
    const halves = (t: string) => {
      const mine = prices.filter((p) => ["BTC", "ETH"].includes(p.symbol) === (t === topic));
      const half = Math.floor(mine.length / 2);
      return [mine.slice(0, half), mine.slice(half)] as const;
    };
    const group = freshTopic("g-stop");
    // Each topic after the first is read by its own group, `<group>.<topic>`.
    const reads: [string, string][] = [[group, topic], [`${group}.${other}`, other]];
    const committedBoth = async () => {
      for (const [g, t] of reads) if (!(await committedAll(TEST_BROKERS, g, t))) return false;
      return true;
    };
    const db = await createTestDatabase();
    const args = [
      "--topic",
      `${topic},${other}`,
      "--group",
      group,
      "--store",
      db.url,
      "--intervals",
      INTERVALS.join(","),
      "--from-beginning",
      "--idle-timeout",
      "3600",
    ];
    const env = {
      KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
      CANDLE_TOPIC: `${topic}-candles`,
      ALERT_TOPIC: `${topic}-alerts`,
    };
    try {
      // The first halves are written and committed.
      for (const t of [topic, other]) await produce(t, halves(t)[0]);
      const run = spawnCommand("candles", { args, env: { ...env, LOG_LEVEL: "debug" } });
      await until("both topics to be committed", committedBoth);
      const before = await committed(reads);

      // Then the store refuses every write while the second halves come.
      await refuseWrites(db.url, true);
      for (const t of [topic, other]) await produce(t, halves(t)[1]);
      await run.waitFor((_out, err) => err.includes("Cannot write to the candle store"), 60_000);
      // The stop comes while the sink is retrying (its retries are told at debug level).
      await run.waitFor((_out, err) => err.includes("Candle store still failing"), 60_000);
      run.kill("SIGINT");
      // The store has its grace, then the stop goes on without it; the deadline bounds a hang.
      const stopped = await run.exits("to stop by itself after Ctrl+C", 60_000);
      assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
      assert.match(stopped.stdout, /^Candles summary:$/m);
      assert.match(stopped.stdout, /Store writes: \d+ \(\d+ candle rows\), errors retried: [1-9]/);
      assert.match(
        stopped.stderr,
        /Stopped with [1-9]\d* write\(s\) the candle store did not take: their records are not committed/,
      );
      assert.doesNotMatch(stopped.stderr, /did not stop within|did not confirm the disconnect/);
      assert.deepEqual(await committed(reads), before, "nothing unwritten is committed");

      // The store takes writes again: a restart reads what was not committed, and loses nothing.
      await refuseWrites(db.url, false);
      const again = spawnCommand("candles", { args, env });
      try {
        await until("both topics to be committed again", committedBoth);
      } finally {
        again.kill("SIGTERM");
      }
      const ended = await again.done;
      assert.equal(ended.code, 0, ended.stdout + ended.stderr);
      const expected = referenceCandles(prices.map(priceFromMessage), INTERVALS);
      const rows = await table(db.url);
      assert.equal(rows.length, expected.size);
      for (const { closed: _closed, revision: _revision, ...fields } of rows) {
        assert.deepEqual(
          fields,
          expected.get(referenceKey(fields)),
        );
      }
    } finally {
      await db.drop();
    }
  },
);
