import assert from "node:assert/strict";
import { PendingOffsets } from "../../actors/pending_offsets.ts";
import { CommitTracker } from "../../actors/commit_tracker.ts";
import type { InRecord } from "../../kafka/transport.ts";
import { FakeCommits } from "../support/consumer_records.ts";
import { seeded } from "../support/prices.ts";

const record = (partition: number, offset: number, topic = "t") =>
  ({ topic, partition, offset: String(offset) }) as InRecord;

Deno.test("PendingOffsets.written() makes safe only what precedes the first unwritten change of each partition", () => {
  const offsets = new PendingOffsets();
  offsets.processed(record(0, 0), "BTC");
  offsets.processed(record(0, 1), null); // a repeat: changes nothing
  offsets.processed(record(0, 2), "SOL");
  offsets.processed(record(1, 0), "ETH");
  // BTC is written: partition 0 is safe up to SOL's first change, partition 1 not at all.
  assert.deepEqual(offsets.written(["BTC"]), [{ topic: "t", partition: 0, offset: "1" }]);
  assert.deepEqual(offsets.written(["SOL", "ETH"]), [
    { topic: "t", partition: 0, offset: "2" },
    { topic: "t", partition: 1, offset: "0" },
  ]);
  assert.equal(offsets.position("t", 0), 2n);
});

Deno.test("PendingOffsets: writing one market never commits a partition past another market's unwritten record on it", () => {
  const offsets = new PendingOffsets();
  offsets.processed(record(1, 10), "A"); // A's first unwritten record, on partition 1
  offsets.processed(record(2, 20), "A"); // A again, on partition 2: unwritten too
  offsets.processed(record(2, 21), "B");
  // B is written, A is not: partition 2 is safe up to just before A's record at 20, partition 1
  // up to just before A's at 10.
  assert.deepEqual(offsets.written(["B"]), [
    { topic: "t", partition: 1, offset: "9" },
    { topic: "t", partition: 2, offset: "19" },
  ]);
  assert.deepEqual(offsets.written(["A"]), [
    { topic: "t", partition: 1, offset: "10" },
    { topic: "t", partition: 2, offset: "21" },
  ]);
});

Deno.test("PendingOffsets keeps a market's first unwritten record per topic: a trade topic and a price topic carrying one market", () => {
  const offsets = new PendingOffsets();
  offsets.processed(record(0, 100, "prices"), "BTC");
  offsets.processed(record(0, 7, "trades"), "BTC");
  offsets.processed(record(0, 8, "trades"), "ETH");
  offsets.processed(record(0, 101, "prices"), "ETH");
  assert.deepEqual(offsets.written(["ETH"]), [
    { topic: "prices", partition: 0, offset: "99" },
    { topic: "trades", partition: 0, offset: "6" },
  ]);
  offsets.processed(record(0, 102, "prices"), null);
  assert.deepEqual(offsets.written(["BTC"]), [
    { topic: "prices", partition: 0, offset: "102" },
    { topic: "trades", partition: 0, offset: "8" },
  ]);
});

Deno.test("PendingOffsets over random interleavings of topics, partitions, markets and writes never makes safe a record whose change is unwritten", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const rnd = seeded(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const offsets = new PendingOffsets();
    const next = new Map<string, number>();
    /** Per partition, the offsets of records whose change is not yet taken for a write, by market. */
    const unwritten = new Map<string, Map<string, number[]>>();
    for (let step = 0; step < 2_000; step++) {
      if (rnd() < 0.85) {
        const topic = pick(["prices", "trades"]);
        const partition = Math.floor(rnd() * 3);
        const where = `${topic}/${partition}`;
        const offset = next.get(where) ?? 0;
        next.set(where, offset + 1);
        const changed = rnd() < 0.8 ? pick(["A", "B", "C", "D"]) : null;
        offsets.processed(record(partition, offset, topic), changed);
        if (changed !== null) {
          let byMarket = unwritten.get(where);
          if (!byMarket) unwritten.set(where, byMarket = new Map());
          byMarket.set(changed, [...byMarket.get(changed) ?? [], offset]);
        }
        continue;
      }
      const keys = ["A", "B", "C", "D"].filter(() => rnd() < 0.4);
      for (const byMarket of unwritten.values()) for (const key of keys) byMarket.delete(key);
      for (const point of offsets.written(keys)) {
        const where = `${point.topic}/${point.partition}`;
        const safe = Number(point.offset);
        assert.ok(safe < next.get(where)!, `seed ${seed}: ${where} safe past its last record`);
        for (const [market, at] of unwritten.get(where) ?? []) {
          assert.ok(
            at.every((offset) => offset > safe),
            `seed ${seed}, step ${step}: ${where} safe up to ${safe}, past ${market}'s unwritten ${
              at[0]
            }`,
          );
        }
      }
    }
  }
});

Deno.test("PendingOffsets.revoke() lets go of the partitions that went elsewhere, and owns() then refuses their records", () => {
  const offsets = new PendingOffsets();
  assert.equal(offsets.owns(record(2, 0)), true, "before any assignment, every record is ours");
  offsets.processed(record(0, 5), "BTC");
  offsets.processed(record(2, 9), "ETH");
  assert.deepEqual(offsets.revoke("t", [0, 1]), ["ETH"]);
  assert.equal(offsets.owns(record(2, 10)), false);
  assert.equal(offsets.owns(record(0, 6)), true);
  assert.equal(offsets.owns(record(2, 0, "other")), true, "another topic's assignment is its own");
  assert.deepEqual(offsets.written(["BTC"]), [{ topic: "t", partition: 0, offset: "5" }]);
});

Deno.test("PendingOffsets.revoke() lets go of a market with unwritten changes from a partition that went elsewhere; its changes from a kept one hold that one back until it is written again", () => {
  const offsets = new PendingOffsets();
  offsets.processed(record(0, 3), "BTC");
  offsets.processed(record(1, 8), "BTC");
  offsets.processed(record(0, 4), "ETH"); // BTC's last change came from partition 1
  offsets.processed(record(1, 9), "ETH");
  assert.deepEqual(offsets.revoke("t", [1]).sort(), ["BTC", "ETH"]);
  assert.deepEqual(offsets.written([]), [{ topic: "t", partition: 1, offset: "7" }]);
  offsets.processed(record(1, 10), "BTC");
  assert.deepEqual(offsets.written(["BTC", "ETH"]), [{ topic: "t", partition: 1, offset: "10" }]);
});

Deno.test("CommitTracker.retain() drops what is pending on partitions no longer assigned", async () => {
  const tracker = new CommitTracker();
  tracker.markOffset(0, "4");
  tracker.markOffset(2, "7");
  tracker.retain([0, 1]);
  const transport = new FakeCommits();
  assert.equal(await tracker.flush(transport, "t"), true);
  assert.deepEqual(transport.committed, [[{ partition: 0, offset: "5" }]]);
});
