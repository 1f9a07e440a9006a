/**
 * The idle timeout through the candle topology: a symbol that brings nothing new for
 * `--idle-timeout` of wall-clock time has its open windows closed, written, printed and published,
 * although no later price moved its watermark past them. The wall clock is one the test moves
 * forward; everything else runs in real time.
 *
 * @module
 */
import assert from "node:assert/strict";
import { candleChildren } from "../../actors/candle_topology.ts";
import type { CandleConfig } from "../../config/types.ts";
import { MemoryLog } from "../../kafka/memory_log.ts";
import { partitionFor } from "../../kafka/partitioner.ts";
import { encodePrice } from "../../market/messages/price_message.ts";
import { type Clock, delay } from "../../runtime/delay.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import { MemoryStore } from "../support/memory_store.ts";
import { waitFor } from "../support/wait.ts";

const IDLE_MS = 120_000;

const config: CandleConfig = {
  intervals: ["1m", "5m"],
  store: "memory",
  redis: null,
  outOfOrdernessMs: 10_000,
  allowedLatenessMs: 60_000,
  idleTimeoutMs: IDLE_MS,
  storeTimeoutMs: 1_000,
  topic: "crypto-candles",
  maxAheadMs: 300_000,
  dlqTopic: "crypto-dlq",
};

/** The wall clock of the machine, `skew` ms ahead; its waits are real. */
function movableClock(): Clock & { skew: number } {
  return {
    skew: 0,
    now() {
      return Date.now() + this.skew;
    },
    sleep: (ms, options) => delay(ms, options),
  };
}

/** The values on a topic of the embedded log, every partition, read with a group of its own. */
async function topicValues(log: MemoryLog, topic: string): Promise<Record<string, unknown>[]> {
  const end = log.lag("check", topic).reduce((n, p) => n + Number(p.end), 0);
  if (end === 0) return [];
  const values: Record<string, unknown>[] = [];
  const consumer = log.consumer("check");
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.consume({
    topic,
    fromBeginning: true,
    handle: (record) => {
      values.push(JSON.parse(record.value!));
      if (values.length === end) done();
      return Promise.resolve();
    },
  });
  await all;
  await consumer.stop();
  return values;
}

Deno.test("The candle topology closes a symbol's open windows once it has been idle for the idle timeout: written closed, printed and published, with no new price", async () => {
  // 10:30:05 to 10:30:35 UTC yesterday: with 10 s of out-of-orderness the watermark stays at
  // 10:30:25, inside the 1m window 10:30 and the 5m window 10:30; only the idle timeout closes them.
  const day = Math.floor(Date.now() / 86_400_000) - 1;
  const t0 = day * 86_400 + 10 * 3_600 + 30 * 60;
  const prices = [[5, 101], [15, 104], [25, 99], [35, 102]] as const;
  const log = new MemoryLog();
  for (const topic of ["crypto-prices", "crypto-candles", "crypto-dlq"]) {
    log.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
  }
  for (const [i, [second, price]] of prices.entries()) {
    const lastUpdated = t0 + second;
    const encoded = encodePrice({
      coinId: "bitcoin",
      symbol: "BTC",
      priceUsd: price,
      volume24h: null,
      marketCap: null,
      change24h: null,
      lastUpdated,
      fetchedAt: lastUpdated * 1000 + 500,
      cycle: i,
    }, `BTC-${i}`);
    log.append("crypto-prices", [{ ...encoded, partition: partitionFor("BTC", 3) }]);
  }

  const clock = movableClock();
  const store = new MemoryStore();
  const lines: string[] = [];
  const candles = candleChildren({
    config,
    sources: [{ topic: "crypto-prices", transport: log.consumer("g") }],
    fromBeginning: true,
    store,
    candleTopic: { transport: log.producer(), topic: "crypto-candles", partitions: 3 },
    deadLetterTopic: { transport: log.producer(), topic: "crypto-dlq", partitions: 3 },
    print: (line) => lines.push(line),
    format: "line",
    clock,
    commitIntervalMs: 50,
  });
  const supervisor = new Supervisor(candles.children);
  const running = supervisor.run();
  try {
    // Read, and written open (an open candle is written within a second).
    await waitFor(() => store.table().length === 2, { message: "the two open candles stored" });
    assert.deepEqual(store.table().map((c) => [c.interval, c.closed]), [["1m", false], [
      "5m",
      false,
    ]]);
    assert.deepEqual(lines, []);
    assert.deepEqual(await topicValues(log, "crypto-candles"), []);

    // Idle for the timeout, by the wall clock, and not a price more.
    clock.skew = IDLE_MS;
    await waitFor(() => store.table().every((c) => c.closed), {
      message: "the idle symbol's windows closed in the store",
    });
    await waitFor(() => lines.length === 2, { message: "the two closed candles printed" });
  } finally {
    await supervisor.stop();
    await running;
  }

  const start = new Date(t0 * 1000).toISOString();
  for (const candle of store.table()) {
    assert.deepEqual(
      [candle.symbol, new Date(candle.windowStart).toISOString(), candle.closed],
      ["BTC", start, true],
    );
    assert.deepEqual(
      [candle.open, candle.high, candle.low, candle.close, candle.samples],
      [101, 104, 99, 102, 4],
    );
  }
  assert.match(
    lines[0]!,
    new RegExp(`^Candle coingecko BTC-USD 1m ${start.slice(0, 16)}:00Z O \\$101\\.00 `),
  );
  assert.match(
    lines[1]!,
    new RegExp(`^Candle coingecko BTC-USD 5m ${start.slice(0, 16)}:00Z O \\$101\\.00 `),
  );
  const published = await topicValues(log, "crypto-candles");
  assert.deepEqual(
    published.map((v) => [v.symbol, v.interval, v.window_start, v.close, v.closed]).sort(),
    [["BTC", "1m", start, 102, true], ["BTC", "5m", start, 102, true]],
  );
});
