/**
 * A second Ctrl+C (docs/operations.md, "Stopping"): while the first one's clean stop is held up —
 * here by a PostgreSQL store that refuses every write, which the stop gives a few seconds to take
 * the last ones — a second SIGINT exits at once with 130, without the summary of a finished stop.
 * Against the real broker and the real PostgreSQL, the program run as a user runs it.
 *
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openStore } from "../../store/open_store.ts";
import { freshTopic, kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { market, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { createTestDatabase } from "../support/services.ts";
import { waitFor } from "../support/wait.ts";

/** Every table of the database refuses every write, with the error a held lock gives. */
async function refuseWrites(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the test refuses every write' USING ERRCODE = '55P03'; END $$;
      DO $$ DECLARE t text; BEGIN
        FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
          EXECUTE format('CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE OR DELETE ON %I
            FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes()', t);
        END LOOP;
      END $$;`);
  } finally {
    await sql.end();
  }
}

kafkaTest(
  "candles, stopping with Ctrl+C and held up by its store, exits at once with 130 on a second Ctrl+C, without a summary",
  async () => {
    const topic = freshTopic("it-second-signal");
    const prices = market({
      seed: 3,
      symbols: ["BTC", "ETH"],
      start: Math.floor(Date.now() / 3_600_000) * 3_600 - 3_600,
      minutes: 10,
      disorderS: 0,
    });
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

    const db = await createTestDatabase();
    try {
      // The tables made, then every write to them refused.
      await (await openStore(db.url, { timeoutMs: 10_000 })).close();
      await refuseWrites(db.url);
      const candles = spawnCommand("candles", {
        args: [
          "--topic",
          topic,
          "--group",
          freshTopic("g-second-signal"),
          "--store",
          db.url,
          "--intervals",
          "1m",
          "--from-beginning",
        ],
        env: {
          KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
          CANDLE_TOPIC: `${topic}-candles`,
          ALERT_TOPIC: `${topic}-alerts`,
        },
      });
      try {
        // Reading, and held up: the store refuses to take its first symbol.
        await candles.waitFor((_out, err) => /Cannot load \S+ from the store, retrying/.test(err));
        candles.kill("SIGINT");
        await candles.waitFor((_out, err) =>
          err.includes("Received SIGINT: stopping (press Ctrl+C again to exit at once)...")
        );
        // A person pressing again: past the 100 ms in which one request's two copies are one.
        await new Promise((resolve) => setTimeout(resolve, 300));
        candles.kill("SIGINT");
        let ended = false;
        void candles.done.then(() => (ended = true));
        await waitFor(() => ended, { message: "candles to exit after the second SIGINT" });
      } finally {
        candles.kill("SIGKILL");
      }
      const { code, stdout, stderr } = await candles.done;
      assert.equal(code, 130, stdout + stderr);
      assert.match(stderr, /^Second SIGINT: exiting now$/m);
      assert.doesNotMatch(stdout, /Candles summary/);
      assert.doesNotMatch(stderr, /^\s+at /m, "a stack trace");
    } finally {
      await db.drop();
    }
  },
);
