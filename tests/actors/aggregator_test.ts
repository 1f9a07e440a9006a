import assert from "node:assert/strict";
import { PendingOffsets } from "../../actors/aggregator.ts";
import { CommitTracker } from "../../actors/commit_tracker.ts";
import type { InRecord } from "../../kafka/transport.ts";
import { FakeCommits } from "../support/consumer_records.ts";

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

Deno.test("CommitTracker.retain() drops what is pending on partitions no longer assigned", async () => {
  const tracker = new CommitTracker();
  tracker.markOffset(0, "4");
  tracker.markOffset(2, "7");
  tracker.retain([0, 1]);
  const transport = new FakeCommits();
  assert.equal(await tracker.flush(transport, "t"), true);
  assert.deepEqual(transport.committed, [[{ partition: 0, offset: "5" }]]);
});
