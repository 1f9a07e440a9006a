import assert from "node:assert/strict";
import { aggregator, type CandleBatch } from "../../actors/aggregator.ts";
import { candleSink } from "../../actors/candle_sink.ts";
import { CommitTracker } from "../../actors/commit_tracker.ts";
import { DeadLetterQueue } from "../../actors/dead_letters.ts";
import { PendingOffsets } from "../../actors/pending_offsets.ts";
import { MemoryLog } from "../../kafka/memory_log.ts";
import type { InRecord } from "../../kafka/transport.ts";
import type { Interval } from "../../market/candle.ts";
import { CandleBook } from "../../market/candle_book.ts";
import type { Market } from "../../market/market.ts";
import { PRICE_HEADERS } from "../../market/messages/price_message.ts";
import type { StoreWrite } from "../../market/store_write.ts";
import { CandleReport } from "../../report/candle_report.ts";
import { DeadLetterReport } from "../../report/dead_letter_report.ts";
import { noOutbox } from "../../runtime/actor.ts";
import { Channel } from "../../runtime/channel.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import { FakeCommits } from "../support/consumer_records.ts";
import { MemoryStore } from "../support/memory_store.ts";
import { recordedPrice, seeded } from "../support/prices.ts";

const TOPIC = "crypto-prices";
const INTERVALS: Interval[] = ["1m", "5m"];
/** Unix seconds. */
const T0 = Date.UTC(2025, 10, 12, 10, 30) / 1000;
/** Each symbol's partition: ETH and SOL share one. */
const PARTITION: Record<string, number> = { BTC: 0, ETH: 1, SOL: 1 };

/**
 * Price records of three symbols on two partitions in arrival order, a price every 2 s, out of
 * order by up to `disorderS` seconds (some past the out-of-orderness, a few past the lateness),
 * with repeats (CoinGecko's unchanged price read again).
 */
function priceRecords(seed: number, count: number, disorderS: number): InRecord[] {
  const rnd = seeded(seed);
  const next = [0, 0];
  const out: InRecord[] = [];
  const add = (symbol: string, value: string) => {
    const partition = PARTITION[symbol]!;
    out.push({
      topic: TOPIC,
      partition,
      offset: String(next[partition]!++),
      key: symbol,
      value,
      headers: { ...PRICE_HEADERS },
    });
  };
  for (let i = 0; i < count; i++) {
    const symbol = ["BTC", "ETH", "SOL"][Math.floor(rnd() * 3)]!;
    const at = Math.max(T0, T0 + i * 2 - Math.floor(rnd() * disorderS));
    add(
      symbol,
      JSON.stringify(recordedPrice(symbol, at, Math.round(1000 + rnd() * 100_000) / 100)),
    );
    if (rnd() < 0.15) {
      const again = out[Math.floor(rnd() * out.length)]!;
      add(again.key!, again.value!);
    }
  }
  return out;
}

/** The store as one process sees it: once the process is gone, none of its calls reach it. */
class ProcessStore implements Pick<CandleStore, "write" | "loadMarket" | "description"> {
  readonly description = "memory";
  gone = false;
  constructor(readonly store: MemoryStore) {}
  write(write: StoreWrite): Promise<string[]> {
    return this.gone ? Promise.reject(new Error("the process is gone")) : this.store.write(write);
  }
  loadMarket(market: Market, horizonMs: number) {
    return this.gone
      ? Promise.reject(new Error("the process is gone"))
      : this.store.loadMarket(market, horizonMs);
  }
}

/** What the group has committed: per partition, the next offset to read. */
type Committed = Map<number, number>;

/**
 * One process's life: the real Aggregator and CandleSink over channels, their offsets committed
 * by the real CommitTracker at random moments. It reads `records`, then either stops (its inbox
 * drained, everything written and committed) or dies at a random moment: nothing more reaches the
 * store, nothing more is committed, whatever was under way is lost.
 */
async function live(
  store: MemoryStore,
  records: readonly InRecord[],
  committed: Committed,
  options: { dies: boolean; rnd: () => number },
): Promise<void> {
  const { rnd } = options;
  let clock = Date.UTC(2026, 0, 1);
  const now = () => clock;
  const process = new ProcessStore(store);
  const book = new CandleBook({
    intervals: INTERVALS,
    outOfOrdernessMs: 10_000,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 1e12,
  });
  const report = new CandleReport();
  const tracker = new CommitTracker();
  const group = new FakeCommits();
  const death = new AbortController();
  const inbox = new Channel<InRecord>(64);
  const batches = new Channel<CandleBatch>(4);
  const log = new MemoryLog();
  log.ensureTopic({ topic: "crypto-dlq", partitions: 1, replicationFactor: 1 });
  const aggregating = aggregator({
    book,
    store: process,
    offsets: new PendingOffsets(),
    report,
    now,
    giveUp: death.signal,
  })(inbox, batches, { name: "aggregator", signal: death.signal, attempt: 0 });
  const sinking = candleSink({
    store: process,
    giveUp: death.signal,
    trackers: new Map([[TOPIC, tracker]]),
    report,
    print: null,
    format: "line",
    onStale: (markets) => markets.forEach((m) => book.drop(m)),
    deadLetters: new DeadLetterQueue({
      transport: log.producer(),
      topic: "crypto-dlq",
      partitions: 1,
      report: new DeadLetterReport(),
      now,
    }),
    now,
  })(batches, noOutbox, { name: "candle-sink", signal: new AbortController().signal, attempt: 0 });
  const commit = async () => {
    await tracker.flush(group, TOPIC);
    for (const { partition, offset } of group.committed.flat()) {
      committed.set(partition, Math.max(committed.get(partition) ?? 0, Number(offset)));
    }
  };

  for (const record of records) {
    await inbox.send(record);
    clock += 100;
    if (rnd() < 0.05) await commit();
  }
  if (options.dies) {
    // Dies a few turns of the event loop later: some records handled, some writes under way.
    for (let turns = Math.floor(rnd() * 4); turns > 0; turns--) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    process.gone = true;
    death.abort(new Error("killed"));
    inbox.close();
    batches.close();
    await Promise.allSettled([aggregating, sinking]);
    return;
  }
  inbox.close();
  await aggregating;
  batches.close();
  await sinking;
  await commit();
}

Deno.test("The Aggregator and the CandleSink, killed at random moments and restarted from the offsets committed, end with the table of one uninterrupted run", async () => {
  for (const seed of [11, 12, 13, 14, 15]) {
    const rnd = seeded(seed);
    const records = priceRecords(seed, 800, 50);
    const once = new MemoryStore();
    await live(once, records, new Map(), { dies: false, rnd });

    const crashed = new MemoryStore();
    const committed: Committed = new Map();
    let deaths = 0;
    let replays = 0;
    for (;;) {
      // A restart reads each partition from its committed offset on, in the order of arrival.
      const left = records.filter((r) => Number(r.offset) >= (committed.get(r.partition) ?? 0));
      const count = 1 + Math.floor(rnd() * 200);
      if (count >= left.length) {
        await live(crashed, left, committed, { dies: false, rnd });
        break;
      }
      await live(crashed, left.slice(0, count), committed, { dies: true, rnd });
      deaths++;
      assert.ok(deaths < 1_000, `seed ${seed}: no progress after ${deaths} restarts`);
      if (rnd() < 0.2) {
        // Sometimes from further back: a replay of what the store already holds.
        replays++;
        for (const [partition, offset] of committed) {
          committed.set(partition, Math.floor(rnd() * (offset + 1)));
        }
      }
    }
    assert.ok(deaths >= 3 && replays >= 1, `seed ${seed}: ${deaths} deaths, ${replays} replays`);
    assert.deepEqual(crashed.table(), once.table(), `seed ${seed}`);
    assert.ok(once.table().some((c) => c.revision > 0), "the stream has revisions");
    assert.ok(once.table().some((c) => !c.closed), "the last windows are open");
  }
});
