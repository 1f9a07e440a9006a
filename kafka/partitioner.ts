/**
 * Kafka's Java client default partitioner for keyed records:
 * `toPositive(murmur2(utf8(key))) % partitions`.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Kafka's `Utils.murmur2` of the bytes, as a signed 32-bit integer.
 *
 * @param data The key's bytes.
 * @returns The hash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { murmur2 } from "./partitioner.ts";
 * assert.equal(murmur2(new TextEncoder().encode("21")), -973932308);
 * ```
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) |
      ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  switch (length % 4) {
    case 3:
      h ^= (data[tail + 2]! & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[tail + 1]! & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[tail]! & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition Kafka's Java producer picks for a keyed record.
 *
 * @param key The record key, encoded as UTF-8.
 * @param partitions How many partitions the topic has.
 * @returns A partition from 0 to `partitions - 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partitionFor } from "./partitioner.ts";
 * assert.equal(partitionFor("BTC", 3) >= 0, true);
 * ```
 */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(encoder.encode(key)) & 0x7fffffff) % partitions;
}
