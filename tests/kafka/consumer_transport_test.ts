import assert from "node:assert/strict";
import { loadConsumerConfig } from "../../config/config.ts";
import { PlatformaticConsumerTransport } from "../../kafka/platformatic_consumer.ts";
import type { InRecord } from "../../kafka/transport.ts";
import { freshTopic, kafkaTest, TEST_BROKERS, testKafka } from "../support/broker.ts";

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

function transportFor(topic: string): PlatformaticConsumerTransport {
  const config = loadConsumerConfig(
    ["--brokers", TEST_BROKERS, "--topic", topic, "--group", `${topic}-group`],
    () => undefined,
  )!;
  return new PlatformaticConsumerTransport(config.kafka, config.group);
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
  const transport = transportFor(topic);
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
