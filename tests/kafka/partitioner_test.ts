import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { compatibilityPartitioner, defaultPartitioner } from "@platformatic/kafka";
import { murmur2, partitionFor } from "../../kafka/partitioner.ts";
import { javaPartitions } from "../support/broker.ts";
import { inCi } from "../support/ci.ts";

const jarsPresent = (() => {
  try {
    return [...Deno.readDirSync(`${Deno.env.get("KAFKA_HOME_DIR") ?? ".kafka"}/libs`)].some((e) =>
      e.name.startsWith("kafka-clients-")
    );
  } catch {
    return false;
  }
})();

Deno.test("murmur2() matches Kafka's published test vectors", () => {
  // From Kafka's UtilsTest.testMurmur2.
  const vectors: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
  ];
  for (const [key, hash] of vectors) {
    assert.equal(murmur2(new TextEncoder().encode(key)), hash, key);
  }
  assert.equal(murmur2(new Uint8Array([97, 98, 99])), 479470107);
});

Deno.test({
  name: "partitionFor() agrees with Kafka's Java client for 500 random keys and partition counts",
  ignore: !jarsPresent && !inCi,
  fn: async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-_.€é漢😀";
    const keys = Array.from({ length: 500 }, (_, i) => {
      const chars = [...alphabet];
      return Array.from(
        { length: 1 + (i % 23) },
        () => chars[Math.floor(Math.random() * chars.length)],
      ).join("");
    });
    for (const partitions of [1, 3, 7, 64]) {
      const java = await javaPartitions(keys, partitions);
      for (const key of keys) {
        assert.equal(partitionFor(key, partitions), java.get(key), `${key} / ${partitions}`);
      }
    }
  },
});

Deno.test({
  name:
    "the Kafka client's compatibilityPartitioner agrees with Kafka's Java client; its default does not",
  ignore: !jarsPresent && !inCi,
  fn: async () => {
    const keys = [
      "BTC",
      "ETH",
      "SOL",
      "ADA",
      "DOGE",
      "XRP",
      ...Array.from({ length: 200 }, (_, i) => `k${i}`),
    ];
    const java = await javaPartitions(keys, 3);
    for (const key of keys) {
      const hash = compatibilityPartitioner(undefined as never, Buffer.from(key));
      assert.equal(hash % 3, java.get(key), key);
      assert.equal(partitionFor(key, 3), java.get(key), key);
    }
    // Why the producer never leaves the choice to the client's default: murmur2("ETH") is
    // negative, and the default takes it unsigned.
    assert.equal(java.get("ETH"), 1);
    assert.equal(defaultPartitioner(undefined as never, Buffer.from("ETH")) % 3, 0);
  },
});
