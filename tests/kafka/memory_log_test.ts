import assert from "node:assert/strict";
import { MemoryLog } from "../../kafka/memory_log.ts";
import type { ConsumerTransport, InRecord, OutRecord } from "../../kafka/transport.ts";
import { settle, until } from "../support/consumer_records.ts";

const TOPIC = "crypto-prices";

function out(partition: number, value: string, key = "BTC"): OutRecord {
  return { key, value, headers: { schema: "crypto-price/v1" }, partition };
}

async function logWith(partitions = 3, retention?: number): Promise<MemoryLog> {
  const log = new MemoryLog(retention === undefined ? {} : { retention });
  await log.producer().ensureTopic({ topic: TOPIC, partitions, replicationFactor: 1 });
  return log;
}

/** Starts consuming into an array; returns it with the consumer (stop it at the end). */
async function collect(
  log: MemoryLog,
  group: string,
  fromBeginning: boolean,
): Promise<{ consumer: ConsumerTransport; seen: InRecord[]; assigned: number[][] }> {
  const consumer = log.consumer(group);
  const seen: InRecord[] = [];
  const assigned: number[][] = [];
  await consumer.connect();
  await consumer.consume({
    topic: TOPIC,
    fromBeginning,
    handle: (record) => {
      seen.push(record);
      return Promise.resolve();
    },
    onAssign: (partitions) => assigned.push(partitions),
  });
  return { consumer, seen, assigned };
}

/** `partition:offset` of each record, in the order handled. */
const where = (records: readonly InRecord[]) => records.map((r) => `${r.partition}:${r.offset}`);

/** The offsets handled on one partition, in the order handled. */
const offsetsOf = (records: readonly InRecord[], partition: number) =>
  records.filter((r) => r.partition === partition).map((r) => Number(r.offset));

Deno.test("MemoryLog.ensureTopic creates a topic once and reports an existing one's partitions", async () => {
  const producer = new MemoryLog().producer();
  assert.deepEqual(
    await producer.ensureTopic({ topic: TOPIC, partitions: 3, replicationFactor: 1 }),
    {
      partitions: 3,
      created: true,
    },
  );
  assert.deepEqual(
    await producer.ensureTopic({ topic: TOPIC, partitions: 6, replicationFactor: 1 }),
    {
      partitions: 3,
      created: false,
    },
  );
});

Deno.test("MemoryLog.producer().send gives offsets from 0 per partition, in record order", async () => {
  const producer = (await logWith()).producer();
  const first = await producer.send(TOPIC, [out(0, "a"), out(1, "b"), out(0, "c"), out(2, "d")]);
  assert.deepEqual(first, [
    { partition: 0, offset: "0" },
    { partition: 1, offset: "0" },
    { partition: 0, offset: "1" },
    { partition: 2, offset: "0" },
  ]);
  const second = await producer.send(TOPIC, [out(0, "e"), out(2, "f"), out(0, "g")]);
  assert.deepEqual(second, [
    { partition: 0, offset: "2" },
    { partition: 2, offset: "1" },
    { partition: 0, offset: "3" },
  ]);
});

Deno.test("MemoryLog.producer().send to a partition that does not exist throws RangeError", async () => {
  const producer = (await logWith(3)).producer();
  await assert.rejects(async () => await producer.send(TOPIC, [out(3, "x")]), RangeError);
  await assert.rejects(async () => await producer.send(TOPIC, [out(-1, "x")]), RangeError);
  await assert.rejects(async () => await producer.send("no-such-topic", [out(0, "x")]), /exist/);
});

Deno.test("MemoryLog.consumer().consume fromBeginning hands every record in per-partition offset order", async () => {
  const log = await logWith();
  const producer = log.producer();
  await producer.send(TOPIC, [out(0, "a"), out(1, "b"), out(0, "c"), out(2, "d"), out(0, "e")]);

  const { consumer, seen, assigned } = await collect(log, "g", true);
  try {
    await until(() => seen.length === 5, "five records");
    assert.deepEqual(assigned, [[0, 1, 2]]);
    assert.deepEqual(offsetsOf(seen, 0), [0, 1, 2]);
    assert.deepEqual(offsetsOf(seen, 1), [0]);
    assert.deepEqual(offsetsOf(seen, 2), [0]);
    assert.deepEqual(seen.filter((r) => r.partition === 0).map((r) => r.value), ["a", "c", "e"]);
    assert.deepEqual(seen[0], {
      topic: TOPIC,
      partition: seen[0]!.partition,
      offset: seen[0]!.offset,
      key: "BTC",
      value: seen[0]!.value,
      headers: { schema: "crypto-price/v1" },
    });
  } finally {
    await consumer.stop();
  }
});

Deno.test("MemoryLog.consumer().consume keeps waiting and hands records appended later", async () => {
  const log = await logWith();
  const { consumer, seen } = await collect(log, "g", true);
  try {
    await settle();
    assert.deepEqual(seen, []);
    await log.producer().send(TOPIC, [out(1, "late")]);
    await until(() => seen.length === 1, "the late record");
    assert.deepEqual(where(seen), ["1:0"]);
    await log.producer().send(TOPIC, [out(1, "later"), out(2, "later")]);
    await until(() => seen.length === 3, "two more");
    assert.deepEqual(where(seen).sort(), ["1:0", "1:1", "2:0"]);
  } finally {
    await consumer.stop();
  }
});

Deno.test("MemoryLog.consumer().consume without fromBeginning starts at the end", async () => {
  const log = await logWith();
  await log.producer().send(TOPIC, [out(0, "old"), out(0, "old"), out(1, "old")]);
  const { consumer, seen } = await collect(log, "g", false);
  try {
    await log.producer().send(TOPIC, [out(0, "new")]);
    await until(() => seen.length >= 1, "the new record");
    await settle();
    // Records of one partition come in offset order, so an old one would have come first.
    assert.deepEqual(where(seen), ["0:2"]);
    assert.equal(seen[0]!.value, "new");
  } finally {
    await consumer.stop();
  }
});

Deno.test("MemoryLog.consumer() of the same group resumes after the committed offsets: none missed, none repeated", async () => {
  const log = await logWith();
  const producer = log.producer();
  await producer.send(TOPIC, [out(0, "a"), out(1, "b"), out(0, "c"), out(2, "d")]);

  const first = await collect(log, "g", true);
  await until(() => first.seen.length === 4, "four records");
  await first.consumer.commit(TOPIC, [
    { partition: 0, offset: "2" },
    { partition: 1, offset: "1" },
    { partition: 2, offset: "1" },
  ]);
  await first.consumer.stop();
  await producer.send(TOPIC, [out(2, "e"), out(0, "f")]);

  const second = await collect(log, "g", true);
  try {
    await until(() => second.seen.length === 2, "the two new records");
    await settle();
    assert.deepEqual(where(second.seen).sort(), ["0:2", "2:1"]);
    const all = [...first.seen, ...second.seen];
    for (const [partition, end] of [[0, 3], [1, 1], [2, 2]] as const) {
      assert.deepEqual(
        offsetsOf(all, partition),
        Array.from({ length: end }, (_, i) => i),
        `partition ${partition}`,
      );
    }
  } finally {
    await second.consumer.stop();
  }
});

Deno.test("MemoryLog.consumer() of the same group re-reads what was handled but not committed", async () => {
  const log = await logWith(1);
  await log.producer().send(TOPIC, [out(0, "a"), out(0, "b"), out(0, "c")]);
  const first = await collect(log, "g", true);
  await until(() => first.seen.length === 3, "three records");
  await first.consumer.commit(TOPIC, [{ partition: 0, offset: "1" }]);
  await first.consumer.stop();

  const second = await collect(log, "g", false);
  try {
    await until(() => second.seen.length === 2, "the uncommitted records");
    await settle();
    assert.deepEqual(where(second.seen), ["0:1", "0:2"]);
  } finally {
    await second.consumer.stop();
  }
});

Deno.test("MemoryLog.lag reports committed, end and lag per partition, 0 once all is committed", async () => {
  const log = await logWith();
  await log.producer().send(TOPIC, [out(0, "a"), out(0, "b"), out(1, "c"), out(0, "d")]);
  assert.deepEqual(log.lag("g", TOPIC), [
    { partition: 0, committed: null, end: "3", start: "0", lag: 3 },
    { partition: 1, committed: null, end: "1", start: "0", lag: 1 },
    { partition: 2, committed: null, end: "0", start: "0", lag: 0 },
  ]);

  const consumer = log.consumer("g");
  await consumer.commit(TOPIC, [{ partition: 0, offset: "1" }]);
  assert.deepEqual(log.lag("g", TOPIC).map((p) => [p.committed, p.end, p.lag]), [
    ["1", "3", 2],
    [null, "1", 1],
    [null, "0", 0],
  ]);

  await consumer.commit(TOPIC, [{ partition: 0, offset: "3" }, { partition: 1, offset: "1" }]);
  assert.deepEqual(log.lag("g", TOPIC).map((p) => p.lag), [0, 0, 0]);
  assert.deepEqual(log.lag("g", TOPIC).map((p) => p.committed), ["3", "1", null]);
});

Deno.test("MemoryLog.consumer() groups are independent: each has its own offsets and lag", async () => {
  const log = await logWith(1);
  await log.producer().send(TOPIC, [out(0, "a"), out(0, "b")]);
  const a = await collect(log, "a", true);
  await until(() => a.seen.length === 2, "group a's records");
  await a.consumer.commit(TOPIC, [{ partition: 0, offset: "2" }]);
  await a.consumer.stop();

  assert.equal(log.lag("a", TOPIC)[0]!.lag, 0);
  assert.equal(log.lag("b", TOPIC)[0]!.lag, 2);
  const b = await collect(log, "b", true);
  try {
    await until(() => b.seen.length === 2, "group b's records");
    assert.deepEqual(where(b.seen), ["0:0", "0:1"]);
  } finally {
    await b.consumer.stop();
  }
  assert.equal(log.lag("a", TOPIC)[0]!.committed, "2");
  assert.equal(log.lag("b", TOPIC)[0]!.committed, null);
});

Deno.test("MemoryLog retention lets old records go, moves start and keeps offsets", async () => {
  const log = await logWith(2, 3);
  const deliveries = await log.producer().send(TOPIC, [
    out(0, "0"),
    out(0, "1"),
    out(0, "2"),
    out(0, "3"),
    out(0, "4"),
    out(1, "x"),
  ]);
  assert.deepEqual(deliveries.map((d) => d.offset), ["0", "1", "2", "3", "4", "0"]);
  assert.deepEqual(log.lag("g", TOPIC), [
    { partition: 0, committed: null, end: "5", start: "2", lag: 3 },
    { partition: 1, committed: null, end: "1", start: "0", lag: 1 },
  ]);

  // A group committed before the retained range resumes at the oldest retained record.
  await log.consumer("g").commit(TOPIC, [{ partition: 0, offset: "1" }]);
  assert.equal(log.lag("g", TOPIC)[0]!.lag, 3);
  const { consumer, seen } = await collect(log, "g", true);
  try {
    await until(() => seen.length === 4, "the retained records");
    assert.deepEqual(offsetsOf(seen, 0), [2, 3, 4]);
    assert.deepEqual(seen.filter((r) => r.partition === 0).map((r) => r.value), ["2", "3", "4"]);
  } finally {
    await consumer.stop();
  }
});

Deno.test("MemoryLog.consumer().stop resolves while waiting for records and hands no more", async () => {
  const log = await logWith();
  const { consumer, seen } = await collect(log, "g", true);
  await settle();
  await consumer.stop();
  await log.producer().send(TOPIC, [out(0, "after stop")]);
  await settle();
  assert.deepEqual(seen, []);
});

Deno.test("MemoryLog.consumer().stop during a slow handler lets it finish and hands no more", async () => {
  const log = await logWith(1);
  await log.producer().send(TOPIC, [out(0, "a"), out(0, "b"), out(0, "c")]);
  const consumer = log.consumer("g");
  const handled: string[] = [];
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  await consumer.consume({
    topic: TOPIC,
    fromBeginning: true,
    handle: async (record) => {
      if (record.offset === "0") await blocked;
      handled.push(record.offset);
    },
  });
  await settle();
  const stopping = consumer.stop();
  release();
  await stopping;
  await settle();
  assert.deepEqual(handled, ["0"]);
});

Deno.test("MemoryLog consumer resumes where it stopped when consuming again, without a commit", async () => {
  const log = new MemoryLog();
  const producer = log.producer();
  await producer.ensureTopic({ topic: "t", partitions: 1, replicationFactor: 1 });
  const consumer = log.consumer("g");
  const seen: string[] = [];
  await consumer.consume({
    topic: "t",
    fromBeginning: false,
    handle: (r) => {
      seen.push(r.value ?? "");
      return Promise.resolve();
    },
  });
  await producer.send("t", [{ key: "K", value: "a", headers: {}, partition: 0 }]);
  await until(() => seen.length >= 1, "the first record");
  await consumer.stop();
  await producer.send("t", [{ key: "K", value: "b", headers: {}, partition: 0 }]);
  await consumer.consume({
    topic: "t",
    fromBeginning: false,
    handle: (r) => {
      seen.push(r.value ?? "");
      return Promise.resolve();
    },
  });
  await until(() => seen.length >= 2, "the record sent while stopped");
  await consumer.stop();
  assert.deepEqual(seen, ["a", "b"]);
});

Deno.test("MemoryLog producer rejects, rather than throws, for a partition that does not exist", async () => {
  const producer = new MemoryLog().producer();
  await producer.ensureTopic({ topic: "t", partitions: 1, replicationFactor: 1 });
  const sending = producer.send("t", [{
    key: "K",
    value: "a",
    headers: {},
    partition: 5,
  }]);
  await assert.rejects(sending, RangeError);
});
