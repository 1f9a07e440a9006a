import assert from "node:assert/strict";
import { loadProducerConfig } from "../../config/produce.ts";
import { partitionFor } from "../../kafka/partitioner.ts";
import { PlatformaticProducerTransport } from "../../kafka/platformatic_producer.ts";
import { DeliveryError, type OutRecord } from "../../kafka/transport.ts";
import { freshTopic, kafkaTest, readTopic, TEST_BROKERS, testKafka } from "../support/broker.ts";

function transportFor(topic: string, gzip = true): PlatformaticProducerTransport {
  const config = loadProducerConfig(
    ["--brokers", TEST_BROKERS, "--topic", topic],
    () => undefined,
  )!;
  return new PlatformaticProducerTransport(config.kafka, { gzip });
}

function records(keys: string[], value: (i: number) => string): OutRecord[] {
  return keys.map((key, i) => ({
    key,
    value: value(i),
    headers: { "content-type": "application/json", schema: "crypto-price/v1" },
    partition: partitionFor(key, 3),
  }));
}

kafkaTest(
  "PlatformaticProducerTransport.send() returns each record's partition and offset as on the topic",
  async () => {
    const topic = freshTopic("transport-send");
    const transport = transportFor(topic);
    try {
      await transport.connect();
      const created = await transport.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
      assert.deepEqual(created, { partitions: 3, created: true });
      assert.deepEqual(
        await transport.ensureTopic({ topic, partitions: 3, replicationFactor: 1 }),
        {
          partitions: 3,
          created: false,
        },
      );
      const keys = Array.from(
        { length: 30 },
        (_, i) => ["BTC", "ETH", "SOL", "ADA", "XRP"][i % 5]!,
      );
      const first = await transport.send(topic, records(keys, (i) => `{"n":${i}}`));
      // Bytes go as they are, text as UTF-8.
      const bytes = new TextEncoder().encode('{"n":"é"}');
      const second = await transport.send(topic, [{
        ...records(["BTC"], () => "")[0]!,
        value: bytes,
      }]);
      const deliveries = [...first, ...second];
      const onTopic = await readTopic(topic, 31);
      const where = new Map(onTopic.map((r) => [r.value, `${r.partition}:${r.offset}`]));
      keys.forEach((_, i) => {
        assert.equal(
          where.get(`{"n":${i}}`),
          `${deliveries[i]!.partition}:${deliveries[i]!.offset}`,
          `record ${i}`,
        );
      });
      assert.equal(where.get('{"n":"é"}'), `${second[0]!.partition}:${second[0]!.offset}`);
      const sample = onTopic.find((r) => r.key === "ETH")!;
      assert.equal(sample.partition, 1);
      assert.deepEqual(sample.headers, {
        "content-type": "application/json",
        schema: "crypto-price/v1",
      });
    } finally {
      await transport.disconnect();
    }
  },
);

kafkaTest(
  "PlatformaticProducerTransport.send() stamps every record with the time of writing, whatever time its value speaks of",
  async () => {
    const topic = freshTopic("transport-time");
    const transport = transportFor(topic);
    try {
      await transport.connect();
      await transport.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
      const before = Date.now();
      await transport.send(topic, records(["BTC", "ETH", "SOL"], () => '{"last_updated":1}'));
      const after = Date.now();
      for (const record of await readTopic(topic, 3)) {
        assert.ok(record.timestamp >= before && record.timestamp <= after, `${record.timestamp}`);
      }
    } finally {
      await transport.disconnect();
    }
  },
);

kafkaTest(
  "PlatformaticProducerTransport.send() fails for good, not to be retried, on a record the broker refuses",
  async () => {
    const topic = freshTopic("transport-refused");
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: 3,
        configEntries: [{ name: "max.message.bytes", value: "2000" }],
      }],
    });
    await admin.disconnect();
    const transport = transportFor(topic, false);
    try {
      await transport.connect();
      const error = await transport.send(topic, records(["BTC"], () => "x".repeat(10_000))).then(
        () => null,
        (e) => e,
      );
      assert.ok(error instanceof DeliveryError, String(error));
      assert.equal(error.retriable, false);
      assert.match(error.message, /did not acknowledge 1 message\(s\): .*(large|size)/i);
    } finally {
      await transport.disconnect();
    }
  },
);

kafkaTest(
  "PlatformaticProducerTransport.ensureTopic() from four processes at once: each gets the topic, one creates it",
  async () => {
    const topic = freshTopic("transport-race");
    const transports = Array.from({ length: 4 }, () => transportFor(topic));
    try {
      await Promise.all(transports.map((t) => t.connect()));
      const infos = await Promise.all(
        transports.map((t) => t.ensureTopic({ topic, partitions: 3, replicationFactor: 1 })),
      );
      assert.deepEqual(infos.map((i) => i.partitions), [3, 3, 3, 3]);
      assert.ok(infos.filter((i) => i.created).length <= 1, JSON.stringify(infos));
    } finally {
      await Promise.all(transports.map((t) => t.disconnect()));
    }
  },
);
