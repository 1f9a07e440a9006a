import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { KafkaRecord, RecordsBatch } from "@platformatic/kafka";
import { batchRecords } from "../../kafka/platformatic_consumer.ts";

function record(offsetDelta: number, value: string): KafkaRecord {
  return {
    length: 0,
    attributes: 0,
    timestampDelta: 0n,
    offsetDelta,
    key: Buffer.from("BTC"),
    value: Buffer.from(value),
    headers: [[Buffer.from("schema"), Buffer.from("crypto-price/v1")]],
  };
}

function batch(firstOffset: bigint, values: string[], attributes = 0): RecordsBatch {
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: values.length - 1,
    firstTimestamp: 0n,
    maxTimestamp: 0n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records: values.map((v, i) => record(i, v)),
  };
}

Deno.test("batchRecords() leaves out the records before the offset asked for", () => {
  // A compressed batch comes whole, from its first offset.
  const { records, end } = batchRecords("t", 2, [batch(10n, ["a", "b", "c", "d"])], 12n);
  assert.deepEqual(records.map((r) => [r.offset, r.value]), [["12", "c"], ["13", "d"]]);
  assert.equal(end, 14n);
  assert.equal(records[0]!.partition, 2);
  assert.equal(records[0]!.key, "BTC");
  assert.deepEqual(records[0]!.headers, { schema: "crypto-price/v1" });
});

Deno.test("batchRecords() skips transaction markers but moves the offset past them", () => {
  const { records, end } = batchRecords("t", 0, [
    batch(0n, ["a", "b"]),
    batch(2n, ["marker"], 1 << 5),
    batch(3n, ["c"]),
    batch(4n, ["marker"], 1 << 5),
  ], 0n);
  assert.deepEqual(records.map((r) => r.value), ["a", "b", "c"]);
  assert.equal(end, 5n);
});

Deno.test("batchRecords() keeps offsets exact past the largest exact double", () => {
  const first = 2n ** 63n - 10n;
  const { records, end } = batchRecords("t", 0, [batch(first, ["a", "b", "c"])], first + 1n);
  assert.deepEqual(records.map((r) => r.offset), [
    (first + 1n).toString(),
    (first + 2n).toString(),
  ]);
  assert.equal(end, first + 3n);
});

Deno.test("batchRecords() of nothing ends where it started", () => {
  assert.deepEqual(batchRecords("t", 0, [], 7n), { records: [], end: 7n });
});
