/**
 * The Aggregator's writes while it catches up on a backlog and once it has caught up: a backlog's
 * changes go to the store in few large writes; a record that arrives alone is written after its
 * batch, without waiting.
 *
 * @module
 */
import assert from "node:assert/strict";
import { aggregator, type CandleBatch } from "../../actors/aggregator.ts";
import { PendingOffsets } from "../../actors/pending_offsets.ts";
import type { InRecord } from "../../kafka/transport.ts";
import { CandleBook } from "../../market/candle_book.ts";
import { PRICE_HEADERS } from "../../market/messages/price_message.ts";
import { CandleReport } from "../../report/candle_report.ts";
import { Channel } from "../../runtime/channel.ts";
import { MemoryStore } from "../support/memory_store.ts";
import { recordedPrice } from "../support/prices.ts";
import { waitFor } from "../support/wait.ts";

/** Unix seconds, on a minute. */
const T0 = Date.UTC(2025, 10, 12, 10, 30) / 1000;

/** BTC prices one a second from T0: `count` of them, so `count / 60` minutes. */
function prices(count: number): InRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: "crypto-prices",
    partition: 0,
    offset: String(i),
    key: "BTC",
    value: JSON.stringify(recordedPrice("BTC", T0 + i, 40_000 + i)),
    headers: { ...PRICE_HEADERS },
  }));
}

/**
 * An Aggregator on a clock that stands still (so only the backlog decides when it writes), started
 * with `backlog` waiting in its inbox.
 */
async function setUp(backlog: InRecord[]) {
  const clock = (T0 + 3_600) * 1000;
  const inbox = new Channel<InRecord>(10_000);
  for (const record of backlog) await inbox.send(record);
  const batches = new Channel<CandleBatch>(1_000);
  const report = new CandleReport();
  const running = aggregator({
    book: new CandleBook({
      intervals: ["1m"],
      outOfOrdernessMs: 0,
      allowedLatenessMs: 0,
      idleTimeoutMs: 1e12,
    }),
    store: new MemoryStore(),
    offsets: new PendingOffsets(),
    report,
    now: () => clock,
    batchSize: 100,
    backlogWriteMs: 250,
  })(inbox, batches, { name: "aggregator", signal: new AbortController().signal, attempt: 0 });
  /** The minutes whose closed candle was handed to the sink, per write. */
  const closedPerWrite = async () => {
    const out: number[][] = [];
    while (batches.size > 0) {
      const batch = await batches.receive();
      out.push(batch.flush.closed.map((c) => (c.windowStart / 1000 - T0) / 60));
    }
    return out;
  };
  return { inbox, batches, report, running, closedPerWrite };
}

Deno.test("Aggregator: a backlog of 30 minutes of prices goes to the sink in one write holding every closed minute, not a write per batch", async () => {
  const { inbox, running, closedPerWrite } = await setUp(prices(1_800));
  inbox.close();
  await running;
  const writes = await closedPerWrite();
  assert.equal(writes.length, 1, `${writes.length} writes`);
  assert.deepEqual(writes[0], Array.from({ length: 29 }, (_, i) => i));
});

Deno.test("Aggregator: once caught up, the record that closes a minute is written after its batch, without waiting for more", async () => {
  const { inbox, report, running, closedPerWrite } = await setUp([]);
  const records = prices(3 * 60 + 1);
  const seen: number[][] = [];
  for (let i = 0; i < records.length; i += 30) {
    // 30 at a time: fewer than a batch, as records come once the backlog is read.
    for (const record of records.slice(i, i + 30)) await inbox.send(record);
    const handled = Math.min(i + 30, records.length);
    await waitFor(() => report.read >= handled, { message: `${handled} records handled` });
    // The batch's write is handed over before the next records come.
    await waitFor(async () => (seen.push(...await closedPerWrite()), true), { message: "writes" });
    if ((i + 30) % 60 === 0 || handled === records.length) {
      const minute = Math.floor((handled - 1) / 60) - 1;
      if (minute >= 0) {
        assert.ok(
          seen.some((closed) => closed.includes(minute)),
          `minute ${minute} closed by record ${handled - 1} and not yet written: ${
            JSON.stringify(seen)
          }`,
        );
      }
    }
  }
  inbox.close();
  await running;
  assert.deepEqual(seen.flat().sort((a, b) => a - b), [0, 1, 2]);
});
