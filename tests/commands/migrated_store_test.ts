/**
 * A store written by the release before markets (tests/store/fixtures/previous_release.db, made
 * with that release's code) under `deno task candles`: migrated at start with every row kept and
 * keyed by market, and the aggregation goes on from it — a price it had counted is a repeat, the
 * next minutes' prices make new candles after the old ones.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { committedAll } from "../../faults/topic.ts";
import { openStore } from "../../store/open_store.ts";
import { freshTopic, kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { recordedPrice, writeRecording } from "../support/prices.ts";
import { runCommand, spawnCommand } from "../support/run.ts";
import { until } from "../support/trades.ts";

const FIXTURE = new URL("../store/fixtures/previous_release.db", import.meta.url);
// The fixture's prices are CoinGecko's of 2025-11-12 from 10:00, one a minute at second 7.
const T0_S = Date.UTC(2025, 10, 12, 10, 0) / 1000;
const ethPrice = (minute: number) => 3_000 - 4.25 * minute + (minute % 3) * 1.5;

interface OldRow {
  symbol: string;
  interval: string;
  window_start: string;
  open: number;
  high: number;
  low: number;
  close: number;
  samples: number;
  volume: number | null;
  revision: number;
}

kafkaTest(
  "candles migrates a store of the release before markets at start, every row kept and keyed by market, and goes on from it: a price it had counted is a repeat, later prices make the next candles",
  async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/market.db`;
    try {
      await Deno.copyFile(FIXTURE, path);
      const before = new DatabaseSync(path, { readOnly: true });
      const oldRows = before.prepare(
        "SELECT symbol, interval, window_start, open, high, low, close, samples, volume, revision FROM candles",
      ).all() as unknown as OldRow[];
      const oldAlerts = before.prepare("SELECT count(*) AS n FROM alerts").get()!.n as number;
      before.close();
      assert.ok(oldRows.length > 0);

      // ETH's price of 10:09 again (counted already), then 10:10 to 10:14.
      const prices = [9, 10, 11, 12, 13, 14].map((m) =>
        recordedPrice("ETH", T0_S + m * 60 + 7, ethPrice(m))
      );
      const topic = freshTopic("it-migrated");
      const file = await writeRecording(prices);
      const replay = await runCommand("produce", {
        args: ["--source", `replay:${file}`, "--iterations", "1", "--topic", topic],
        env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS },
      }).finally(() => Deno.remove(file));
      assert.equal(replay.code, 0, replay.stdout + replay.stderr);

      const group = freshTopic("g-migrated");
      const candles = spawnCommand("candles", {
        args: [
          "--topic",
          topic,
          "--group",
          group,
          "--store",
          `sqlite:${path}`,
          "--intervals",
          "1m,5m",
          "--from-beginning",
          "--idle-timeout",
          "3600",
        ],
        env: {
          KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS,
          CANDLE_TOPIC: `${topic}-candles`,
          ALERT_TOPIC: `${topic}-alerts`,
        },
      });
      await until(
        `${group} to commit ${topic}`,
        () => committedAll(TEST_BROKERS, group, topic),
        120_000,
      );
      candles.kill("SIGTERM");
      const run = await candles.done;
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(
        run.stdout + run.stderr,
        /Observations counted: 5, repeats: 1, late and dropped: 0/,
      );

      const store = await openStore(`sqlite:${path}`, { timeoutMs: 5_000 });
      try {
        // Every old row is there, under the market §12's rule names: a row with a volume is
        // Coinbase's, the others CoinGecko's, product {symbol}-USD; unchanged.
        for (const old of oldRows) {
          const source = old.volume === null ? "coingecko" : "coinbase";
          const start = Date.parse(old.window_start);
          const [row] = await store.candles({
            source,
            product: `${old.symbol}-USD`,
            interval: old.interval as "1m" | "5m",
            from: start,
            to: start + 1,
          });
          assert.ok(row, `${old.symbol} ${old.interval} ${old.window_start} kept as ${source}`);
          assert.deepEqual(
            [
              row.symbol,
              row.quote,
              row.open,
              row.high,
              row.low,
              row.close,
              row.samples,
              row.volume,
            ],
            [old.symbol, "USD", old.open, old.high, old.low, old.close, old.samples, old.volume],
          );
          if (source === "coingecko") assert.equal(row.trades, old.samples);
        }
        assert.equal((await store.alerts({ limit: 1_000 })).length, oldAlerts);

        // ETH goes on: 10:09 unchanged (its price was a repeat), 10:10 to 10:14 new.
        const eth = await store.candles({
          source: "coingecko",
          product: "ETH-USD",
          interval: "1m",
        });
        assert.deepEqual(
          eth.map((c) => new Date(c.windowStart).toISOString().slice(11, 16)),
          Array.from({ length: 15 }, (_, m) => `10:${String(m).padStart(2, "0")}`),
        );
        const old909 = oldRows.find((r) =>
          r.symbol === "ETH" && r.interval === "1m" && r.window_start.startsWith("2025-11-12T10:09")
        )!;
        assert.equal(eth[9]!.samples, old909.samples);
        assert.equal(eth[9]!.revision, old909.revision);
        for (let m = 10; m <= 14; m++) {
          assert.equal(eth[m]!.open, ethPrice(m));
          assert.equal(eth[m]!.samples, 1);
        }
        const eth5 = await store.candles({
          source: "coingecko",
          product: "ETH-USD",
          interval: "5m",
        });
        assert.equal(eth5.length, 3);
        assert.equal(eth5[2]!.samples, 5);
      } finally {
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
