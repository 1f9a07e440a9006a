/**
 * Scenarios 11 and 12: the candle store (PostgreSQL) stopped mid-run, and Redis killed mid-run,
 * while `deno task candles` aggregates prices that keep coming. The aggregator must hold back
 * and retry while the store is away, never let Redis stop candles reaching the store, and end
 * with exactly the candles an independent computation gives.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import type { Interval } from "../market/candle.ts";
import { priceMarket } from "../market/market.ts";
import type { PriceMessage } from "../market/messages/price_message.ts";
import { openStore } from "../store/open_store.ts";
import {
  priceFromMessage,
  referenceCandles,
  referenceKey,
} from "../tests/support/candle_reference.ts";
import { market, writeRecording } from "../tests/support/prices.ts";
import { type Ended, occurrences, type RunningCommand, sleep, spawn } from "./command.ts";
import {
  type Check,
  check,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from "./scenario.ts";
import { PrivatePostgres, PrivateRedis } from "./services.ts";
import { committedAll, unique } from "./topic.ts";

const INTERVALS: Interval[] = ["1m", "5m", "15m"];
/** Prices of two hours ago: the broker deletes records older than its retention (7 days). */
const START = Math.floor(Date.now() / 3_600_000) * 3_600 - 2 * 3_600;

/** Puts prices on the topic through `produce --source replay:FILE`. */
async function produce(ctx: ScenarioContext, topic: string, prices: PriceMessage[]) {
  const file = await writeRecording(prices);
  try {
    const run = spawn("produce", {
      args: ["--source", `replay:${file}`, "--iterations", "1"],
      env: { KAFKA_BOOTSTRAP_SERVERS: ctx.broker.brokers, KAFKA_TOPIC: topic },
    });
    const ended = await run.done;
    if (ended.code !== 0) throw new Error(`produce exited ${ended.code}: ${run.stderr}`);
  } finally {
    await Deno.remove(file);
  }
}

/** What one outage run measured. */
interface OutageRun {
  candles: RunningCommand;
  ended: Ended;
  caughtUp: boolean;
  aliveThroughOutage: boolean;
  prices: PriceMessage[];
  table: { expected: number; matching: number; missing: number; differing: number };
  downMs: number;
}

/**
 * Runs `candles` over prices written in three parts: the service goes down after the first, the
 * second is written while it is down, it comes back, the third is written.
 */
async function outageRun(
  ctx: ScenarioContext,
  options: {
    store: string;
    redis: string | null;
    down: () => Promise<void>;
    up: () => Promise<void>;
  },
): Promise<OutageRun> {
  const prices = market({
    seed: 4242,
    symbols: ["BTC", "ETH", "SOL", "ADA"],
    start: START,
    minutes: ctx.quick ? 20 : 60,
    disorderS: 9,
  });
  const third = Math.ceil(prices.length / 3);
  const topic = unique("faults-candles");
  const group = unique("faults-candles-group");
  await produce(ctx, topic, prices.slice(0, third));
  const candles = spawn("candles", {
    args: [
      "--topic",
      topic,
      "--group",
      group,
      "--store",
      options.store,
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
      CANDLE_TOPIC: `${topic}-candles`,
      ...(options.redis ? { REDIS_URL: options.redis } : {}),
    },
  });
  try {
    // The first closed candle printed: the store is in use.
    await candles.waitFor((out) => /^Candle \S+ \S+ \d+[mhd] /m.test(out), 90_000);
    const downAt = Date.now();
    await options.down();
    await produce(ctx, topic, prices.slice(third, 2 * third));
    await sleep(ctx.quick ? 5_000 : 20_000);
    const aliveThroughOutage = candles.ended === null;
    await options.up();
    const downMs = Date.now() - downAt;
    await produce(ctx, topic, prices.slice(2 * third));
    const deadline = Date.now() + 120_000;
    let caughtUp = false;
    while (
      Date.now() < deadline && !(caughtUp = await committedAll(ctx.broker.brokers, group, topic))
    ) {
      await sleep(500);
    }
    const ended = await candles.stop();
    const expected = referenceCandles(prices.map(priceFromMessage), INTERVALS);
    const store = await openStore(options.store, { timeoutMs: 10_000 });
    let matching = 0;
    let differing = 0;
    try {
      const markets = [...new Set(prices.map((p) => p.symbol))].map(priceMarket);
      for (const { source, product } of markets) {
        for (const interval of INTERVALS) {
          for (
            const { closed: _c, revision: _r, ...fields } of await store.candles({
              source,
              product,
              interval,
              limit: 5_000,
            })
          ) {
            const want = expected.get(referenceKey(fields));
            if (want && isDeepStrictEqual(want, fields)) matching++;
            else differing++;
          }
        }
      }
    } finally {
      await store.close();
    }
    return {
      candles,
      ended,
      caughtUp,
      aliveThroughOutage,
      prices,
      table: { expected: expected.size, matching, missing: expected.size - matching, differing },
      downMs,
    };
  } finally {
    if (candles.ended === null) await candles.stop();
  }
}

/** The last line a command printed, stack frames left out, for a check's detail. */
function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n").filter((line) => !/^\s+at /.test(line));
  return lines.at(-1)?.slice(0, 300) ?? "";
}

function tableChecks(run: OutageRun): Check[] {
  const { table } = run;
  return [
    check(
      "candles kept running through the outage",
      run.aliveThroughOutage,
      run.aliveThroughOutage
        ? "still running"
        : `exited ${run.candles.ended?.code}: ${lastLine(run.candles.stderr)}`,
    ),
    check(
      "caught up by itself",
      run.caughtUp,
      run.caughtUp ? "the group committed every record" : "timed out",
    ),
    check(
      "the table equals an independent computation",
      table.missing === 0 && table.differing === 0,
      `${table.matching} of ${table.expected} candles right, ${table.differing} wrong or extra`,
    ),
    check("SIGTERM: exit 0", run.ended.code === 0, `exit ${run.ended.code}`),
  ];
}

function measured(run: OutageRun, duplicated = 0) {
  return {
    fetched: run.prices.length,
    delivered: run.table.matching,
    lost: run.table.missing,
    duplicated,
    dropped: 0,
    restarts: occurrences(run.candles.stderr, "restarted (attempt"),
    exitCode: run.ended.code,
  };
}

/** The store-outage scenario: PostgreSQL stopped mid-run, then started again. */
export const storeOutage: Scenario = {
  id: "11",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const pg = await PrivatePostgres.start();
    try {
      const run = await outageRun(ctx, {
        store: pg.url,
        redis: null,
        down: () => pg.down(),
        up: () => pg.up(),
      });
      const retried = Number(/errors retried: (\d+)/.exec(run.candles.stdout)?.[1] ?? 0);
      const warned = occurrences(run.candles.stderr, "Cannot write to the candle store");
      return {
        id: "11",
        title: "Candle store (PostgreSQL) outage",
        injected:
          `PostgreSQL stopped (pg_ctl stop -m fast) under candles while prices kept coming, started again ${
            (run.downMs / 1000).toFixed(0)
          } s later`,
        expected:
          "the aggregator holds back and retries; the table ends complete and right; nothing skipped; exit 0",
        measured: measured(run, run.table.differing),
        checks: [
          ...tableChecks(run),
          check("writes failed and were retried", retried > 0, `${retried} store errors retried`),
          check("one warning per outage", warned >= 1 && warned <= 3, `${warned} warning line(s)`),
        ],
        explanation:
          "candle store outage: `candles --store postgres://…` (a PostgreSQL of the suite's own) aggregates a recording of 4 symbols' prices written to the topic in three parts; PostgreSQL is stopped after the first part is being aggregated, the second part is written while it is down, it is started again, the third part is written. *fetched* is the prices on the topic, *delivered* the candles in the table equal to an independent computation over all the prices (1m, 5m, 15m), *lost* the candles missing or wrong, *duplicated* the rows not in the computation.",
        notes: [`store errors retried: ${retried}; warnings: ${warned}`],
      };
    } finally {
      await pg.remove();
    }
  },
};

/** The Redis-outage scenario: Redis killed mid-run, then started again. */
export const redisOutage: Scenario = {
  id: "12",
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const redis = await PrivateRedis.start();
    // Under .data/, where the candles task may write.
    const dir = `.data/${unique("faults-redis")}`;
    try {
      const run = await outageRun(ctx, {
        store: `sqlite:${dir}/market.db`,
        redis: redis.url,
        down: () => redis.down(),
        up: () => redis.up(),
      });
      const counters = /Redis: (\d+) sent, (\d+) errors, (\d+) dropped/.exec(run.candles.stdout);
      const [sent, errors] = [Number(counters?.[1] ?? 0), Number(counters?.[2] ?? 0)];
      // After the outage, Redis has every symbol's latest price: the last of the recording's.
      const latest = new Map<string, number>();
      for (const p of run.prices) {
        if ((latest.get(p.symbol) ?? -1) <= p.last_updated!) latest.set(p.symbol, p.last_updated!);
      }
      const { createClient } = await import("redis");
      const client = createClient({ url: redis.url });
      await client.connect();
      let fresh = 0;
      try {
        for (const [symbol, at] of latest) {
          const value = await client.get(`crypto:${symbol}:latest`);
          if (value && Date.parse(JSON.parse(value).event_time) === at * 1000) fresh++;
        }
      } finally {
        await client.quit();
      }
      return {
        id: "12",
        title: "Redis outage",
        injected: `Redis SIGKILLed under candles --redis while prices kept coming, started again ${
          (run.downMs / 1000).toFixed(0)
        } s later`,
        expected:
          "candles keep reaching the store throughout; Redis errors counted; Redis up to date after it returns; exit 0",
        measured: measured(run, run.table.differing),
        checks: [
          ...tableChecks(run),
          check("Redis errors were counted", errors > 0, `${sent} sent, ${errors} errors`),
          check(
            "Redis has every symbol's latest price after it returned",
            fresh === latest.size,
            `${fresh} of ${latest.size} symbols`,
          ),
        ],
        explanation:
          "Redis outage: `candles --redis redis://…` (a Redis of the suite's own) with the SQLite store aggregates the same three-part recording; Redis is SIGKILLed after the first part, the second is written while it is down, it is started again (empty), the third is written. *fetched*, *delivered*, *lost* and *duplicated* are counted as in scenario 11; Redis's `crypto:{SYMBOL}:latest` keys are read at the end.",
        notes: [`Redis: ${sent} sent, ${errors} errors`],
      };
    } finally {
      await redis.down();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
};
