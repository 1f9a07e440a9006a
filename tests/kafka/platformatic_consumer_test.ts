import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { tracingChannel } from "node:diagnostics_channel";
import { CompressionTypes } from "kafkajs";
import { loadConsumerConfig } from "../../config/consume.ts";
import type { KafkaConfig } from "../../config/types.ts";
import { fetchLag } from "../../kafka/lag.ts";
import { PlatformaticConsumerTransport } from "../../kafka/platformatic_consumer.ts";
import { type InRecord, InstanceFencedError } from "../../kafka/transport.ts";
import { freshTopic, kafkaTest, TEST_BROKERS, testKafka } from "../support/broker.ts";
import { waitFor } from "../support/wait.ts";
import type { KafkaRecord, RecordsBatch } from "@platformatic/kafka";
import { batchRecords } from "../../kafka/platformatic_consumer.ts";

/** A topic of `count` records on one partition: key `K`, value `v<offset>`, one header. */
async function filledTopic(prefix: string, count: number): Promise<string> {
  const topic = freshTopic(prefix);
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({
      key: "K",
      value: `v${i}`,
      headers: { schema: "crypto-price/v1" },
      partition: 0,
    })),
  });
  await producer.disconnect();
  return topic;
}

/** Waits for `promise`, failing after `ms` (records that never come must not hang the suite). */
async function within(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The consumer configuration for a topic, with a group of its own. */
function transportFor(topic: string): { config: KafkaConfig; group: string } {
  const config = loadConsumerConfig(
    ["--brokers", TEST_BROKERS, "--topic", topic, "--group", `${topic}-group`],
    () => undefined,
  )!;
  return { config: config.kafka, group: config.group };
}

/**
 * Consumes `topic` from the beginning with `handleBatch` until `count` records were taken; `take`
 * says how many of each call's records are (by default all).
 */
async function takeBatches(
  topic: string,
  count: number,
  take: (records: InRecord[], call: number) => number = (records) => records.length,
): Promise<{ calls: InRecord[][]; taken: InRecord[] }> {
  const { config, group } = transportFor(topic);
  const transport = new PlatformaticConsumerTransport(config, group);
  await transport.connect();
  const calls: InRecord[][] = [];
  const taken: InRecord[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  try {
    await transport.consume({
      topic,
      fromBeginning: true,
      handle: () => Promise.reject(new Error("handle called although handleBatch was given")),
      handleBatch: (records) => {
        calls.push(records);
        const n = take(records, calls.length);
        taken.push(...records.slice(0, n));
        if (taken.length >= count) done();
        return Promise.resolve(n);
      },
    });
    await within(all, 20_000, "not every record was handed over");
  } finally {
    await transport.disconnect();
  }
  return { calls, taken };
}

kafkaTest(
  "PlatformaticConsumerTransport hands whole batches, in order, as text, to handleBatch",
  async () => {
    const topic = await filledTopic("transport-batches", 300);
    const { calls: batches, taken: seen } = await takeBatches(topic, 300);
    assert.deepEqual(seen.map((r) => r.offset), Array.from({ length: 300 }, (_, i) => String(i)));
    assert.ok(batches.length < 300, `${batches.length} calls for 300 records: not batched`);
    const { headers, ...fields } = seen[5]!;
    assert.deepEqual({ ...fields, headers }, {
      topic,
      partition: 0,
      offset: "5",
      key: "K",
      value: "v5",
      headers: { schema: "crypto-price/v1" },
    });
  },
);

kafkaTest(
  "PlatformaticConsumerTransport reads again the records a batch handler did not take",
  async () => {
    const topic = await filledTopic("transport-partial", 200);
    // The first call takes 10 records only, as a Subscriber stopped mid-batch does.
    const { calls, taken } = await takeBatches(
      topic,
      200,
      (records, call) => call === 1 ? Math.min(10, records.length) : records.length,
    );
    assert.ok(calls[0]!.length > 10, `first batch of ${calls[0]!.length}: too small to test`);
    assert.equal(calls[1]![0]!.offset, "10", "the records not taken were not read again");
    assert.deepEqual(taken.map((r) => r.offset), Array.from({ length: 200 }, (_, i) => String(i)));
  },
);

/** Writes `count` more records (`v<from>`, `v<from+1>` …) to partition 0 of `topic`. */
async function append(topic: string, from: number, count: number): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({
      key: "K",
      value: `v${from + i}`,
      partition: 0,
    })),
  });
  await producer.disconnect();
}

/** Consumes with a batch handler that takes everything; the records taken so far. */
async function consuming(
  transport: PlatformaticConsumerTransport,
  topic: string,
  fromBeginning: boolean,
): Promise<InRecord[]> {
  const taken: InRecord[] = [];
  await transport.consume({
    topic,
    fromBeginning,
    handle: () => Promise.reject(new Error("handle called although handleBatch was given")),
    handleBatch: (records) => {
      taken.push(...records);
      return Promise.resolve(records.length);
    },
  });
  return taken;
}

async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

kafkaTest(
  "PlatformaticConsumerTransport starts a new group at the end, or at the oldest record with fromBeginning",
  async () => {
    const topic = await filledTopic("transport-start", 50);
    for (const fromBeginning of [false, true]) {
      const transport = new PlatformaticConsumerTransport(
        transportFor(topic).config,
        freshTopic(`g-${fromBeginning}`),
      );
      try {
        await transport.connect();
        const taken = await consuming(transport, topic, fromBeginning);
        if (fromBeginning) {
          await until(() => taken.length >= 55, 20_000, "not every record came");
          assert.equal(taken[0]!.offset, "0");
        } else {
          // Joined and fetching from the end: only what is written from now on comes. A record
          // a second until one comes tells when the member fetches, however long the join took.
          let next = 50;
          const deadline = Date.now() + 30_000;
          while (taken.length === 0) {
            assert.ok(Date.now() < deadline, "nothing written after the start came within 30 s");
            await append(topic, next++, 1);
            await waitFor(() => taken.length > 0, { message: "a record", timeoutMs: 1_000 })
              .catch(() => {});
          }
          await append(topic, next, 5);
          next += 5;
          await waitFor(() => taken.at(-1)?.value === `v${next - 1}`, {
            message: "the new records",
            timeoutMs: 20_000,
          });
          const first = Number(taken[0]!.value!.slice(1));
          assert.ok(first >= 50, `v${first} came: the group did not start at the end`);
          assert.deepEqual(
            taken.map((r) => r.value),
            Array.from({ length: next - first }, (_, i) => `v${first + i}`),
          );
        }
      } finally {
        await transport.disconnect();
      }
    }
  },
);

kafkaTest(
  "PlatformaticConsumerTransport commits nothing by itself: only what commit() is given",
  async () => {
    const topic = await filledTopic("transport-commit", 120);
    const { config, group } = transportFor(topic);
    const transport = new PlatformaticConsumerTransport(config, group);
    // Every commit the client makes, as it traces them, from the start to after the disconnect.
    let commits = 0;
    const onCommit = () => void commits++;
    const commitStarts = tracingChannel("plt:kafka:consumer:commits").start;
    commitStarts.subscribe(onCommit);
    try {
      try {
        await transport.connect();
        const taken = await consuming(transport, topic, true);
        await until(() => taken.length >= 120, 20_000, "not every record came");
        assert.equal(commits, 0, "records were committed before they were handled");
        let lag = await fetchLag(config, { group, topic });
        assert.equal(lag[0]!.committed, null, "records were committed before they were handled");
        await transport.commit(topic, [{ partition: 0, offset: "40" }]);
        assert.equal(commits, 1);
        lag = await fetchLag(config, { group, topic });
        assert.deepEqual([lag[0]!.committed, lag[0]!.lag], ["40", 80]);
      } finally {
        await transport.disconnect();
      }
      assert.equal(commits, 1, "a commit made by itself on the way out");
      const [after] = await fetchLag(config, { group, topic });
      assert.equal(after!.committed, "40");
    } finally {
      commitStarts.unsubscribe(onCommit);
    }
  },
);

kafkaTest(
  "PlatformaticConsumerTransport, stopped and consuming again, goes on at the next record",
  async () => {
    const topic = await filledTopic("transport-resume", 400);
    const { config, group } = transportFor(topic);
    const transport = new PlatformaticConsumerTransport(config, group);
    const taken: InRecord[] = [];
    let stopping: Promise<void> | null = null;
    // Calls of the first handler once stop() has resolved: none may come, restart included.
    let stopped = false;
    let lateCalls = 0;
    const handleBatch = (records: InRecord[]) => {
      if (stopped) lateCalls++;
      if (stopping) return Promise.resolve(0);
      // The first Subscriber takes 100 records, then stops as its signal aborts.
      const n = Math.min(records.length, 100 - taken.length);
      taken.push(...records.slice(0, n));
      if (taken.length >= 100) stopping = transport.stop();
      return Promise.resolve(n);
    };
    try {
      await transport.connect();
      const handle = () => Promise.reject(new Error("handle called"));
      await transport.consume({ topic, fromBeginning: true, handle, handleBatch });
      await until(() => stopping !== null, 20_000, "the first 100 did not come");
      await stopping;
      stopped = true;
      // A restarted Subscriber.
      stopping = null;
      const more: InRecord[] = [];
      await transport.consume({
        topic,
        fromBeginning: true,
        handle,
        handleBatch: (records) => (more.push(...records), Promise.resolve(records.length)),
      });
      await until(() => more.length >= 300, 20_000, "the other 300 did not come");
      assert.equal(lateCalls, 0, "records were handed to the stopped handler");
      assert.deepEqual(
        [...taken, ...more].map((r) => r.offset),
        Array.from({ length: 400 }, (_, i) => String(i)),
      );
    } finally {
      await transport.disconnect();
    }
  },
);

kafkaTest(
  "PlatformaticConsumerTransport hands on each record written while it waits on an empty partition, in order (how soon is measured by the latency bench)",
  async () => {
    const topic = await filledTopic("transport-first", 1);
    const { config, group } = transportFor(topic);
    const transport = new PlatformaticConsumerTransport(config, group);
    const producer = testKafka().producer();
    try {
      await transport.connect();
      await producer.connect();
      const arrived: string[] = [];
      await transport.consume({
        topic,
        fromBeginning: true,
        handle: () => Promise.reject(new Error("handle called")),
        handleBatch: (records) => {
          for (const r of records) arrived.push(r.value ?? "");
          return Promise.resolve(records.length);
        },
      });
      await waitFor(() => arrived.includes("v0"), {
        message: "the first record",
        timeoutMs: 20_000,
      });
      for (let i = 1; i <= 5; i++) {
        // Each sent once the one before came, so the consumer waits on an empty partition.
        await producer.send({ topic, messages: [{ key: "K", value: `w${i}`, partition: 0 }] });
        await waitFor(() => arrived.includes(`w${i}`), { message: `w${i}`, timeoutMs: 10_000 });
      }
      assert.deepEqual(arrived, ["v0", "w1", "w2", "w3", "w4", "w5"]);
    } finally {
      await producer.disconnect();
      await transport.disconnect();
    }
  },
);

kafkaTest(
  "PlatformaticConsumerTransport reads records as the client's own reader does, aborted transactions left out",
  async () => {
    const topic = freshTopic("transport-decoding");
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256);
    await producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: [
        { key: "K", value: "gzip-1", headers: { schema: "crypto-price/v1", n: "1" } },
        { key: null, value: "no key" },
        { key: "K", value: Buffer.from(bytes(300)) },
      ],
    });
    await producer.send({
      topic,
      messages: [{ key: "K", value: null }, { key: "K", value: "plain" }],
    });
    await producer.disconnect();
    // A transaction aborted, then one committed.
    const tx = kafka.producer({
      transactionalId: freshTopic("tx"),
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await tx.connect();
    const aborted = await tx.transaction();
    await aborted.send({
      topic,
      messages: [{ key: "K", value: "aborted-1" }, { key: "K", value: "aborted-2" }],
    });
    await aborted.abort();
    const committed = await tx.transaction();
    await committed.send({ topic, messages: [{ key: "K", value: "committed" }] });
    await committed.commit();
    await tx.disconnect();

    const read = async (clientDecoding: boolean) => {
      const { config } = transportFor(topic);
      const transport = new PlatformaticConsumerTransport(config, freshTopic("g"), {
        clientDecoding,
      });
      try {
        await transport.connect();
        const taken = await consuming(transport, topic, true);
        await until(
          () => taken.some((r) => r.value === "committed"),
          20_000,
          "not every record came",
        );
        return taken.map((r) => ({
          offset: r.offset,
          key: r.key,
          value: r.value,
          headers: r.headers,
          notUtf8: r.notUtf8 ?? null,
        }));
      } finally {
        await transport.disconnect();
      }
    };
    const own = await read(false);
    const client = await read(true);
    assert.deepEqual(own, client);
    assert.deepEqual(own.map((r) => r.value?.slice(0, 10) ?? null), [
      "gzip-1",
      "no key",
      new TextDecoder().decode(bytes(300)).slice(0, 10),
      null,
      "plain",
      "committed",
    ]);
    assert.deepEqual(own[0]!.headers, { schema: "crypto-price/v1", n: "1" });
    assert.deepEqual(own[2]!.notUtf8, ["value"]);
    assert.equal(own[1]!.key, null);
  },
);

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

kafkaTest(
  "two static members with one instance id: the broker fences the older, which stops and says so once; the newer keeps every partition",
  async () => {
    const topic = await filledTopic("it-fence", 3);
    const { config, group } = transportFor(topic);
    const fenced: InstanceFencedError[] = [];
    const assigned: string[] = [];
    const member = (name: string) =>
      new PlatformaticConsumerTransport(config, group, {
        instanceId: "only-one",
        onFenced: (error) => fenced.push(Object.assign(error, { member: name })),
      });
    const older = member("older");
    const newer = member("newer");
    // The group's heartbeats as the client traces them: those the broker answered without error.
    const heartbeats = { ok: 0 };
    const onHeartbeat = (context: unknown) => {
      if ((context as { error?: unknown }).error === undefined) heartbeats.ok++;
    };
    const heartbeatEnds = tracingChannel("plt:kafka:consumer:heartbeat").asyncEnd;
    heartbeatEnds.subscribe(onHeartbeat);
    const consume = (transport: PlatformaticConsumerTransport, name: string) =>
      new Promise<void>((resolve) => {
        void transport.consume({
          topic,
          fromBeginning: true,
          handle: () => Promise.resolve(),
          onAssign: (partitions) => {
            if (partitions.length > 0) assigned.push(name);
            resolve();
          },
        });
      });
    try {
      await older.connect();
      await within(consume(older, "older"), 30_000, "the older member assigned");
      await newer.connect();
      await within(consume(newer, "newer"), 30_000, "the newer member assigned");
      await waitFor(() => fenced.length > 0, {
        message: "the older member to be fenced",
        timeoutMs: 30_000,
      });
      assert.equal(fenced.length, 1);
      assert.ok(fenced[0] instanceof InstanceFencedError);
      assert.equal((fenced[0] as InstanceFencedError & { member: string }).member, "older");
      assert.equal(fenced[0]!.instanceId, "only-one");
      assert.equal(fenced[0]!.group, group);
      await assert.rejects(
        older.consume({ topic, fromBeginning: true, handle: () => Promise.resolve() }),
        InstanceFencedError,
      );
      // The newer one is not fenced in turn: two heartbeats later (the older one, stopped, makes
      // none), it still holds the id.
      const beats = heartbeats.ok;
      await waitFor(() => {
        assert.equal(fenced.length, 1, "fenced in turn");
        return heartbeats.ok >= beats + 2;
      }, {
        message: "two heartbeats of the newer member",
        timeoutMs: 30_000,
      });
      assert.equal(fenced.length, 1);
      assert.deepEqual(assigned, ["older", "newer"]);
    } finally {
      heartbeatEnds.unsubscribe(onHeartbeat);
      await older.disconnect();
      await newer.disconnect();
    }
  },
);
