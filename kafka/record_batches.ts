/**
 * Kafka's record batches (format v2, what brokers write since Kafka 0.11) decoded straight from
 * the bytes of a fetch response into the records the actors see: key and value as text, the
 * offset as decimal text, the headers read only when asked for. No object is made for a record
 * beyond the record itself and its two strings.
 *
 * The layout is Kafka's (`DefaultRecordBatch`, `DefaultRecord`): a 61-byte batch header, then
 * the records, compressed together when the batch says so; in each record, lengths are zigzag
 * varints and a length of -1 means null.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { compressionsAlgorithmsByBitmask } from "@platformatic/kafka";
import type { InRecord } from "./transport.ts";
import { utf8Range, wasUtf8 } from "./in_record.ts";

/** A partition's records from one fetch, and the offset after them. */
export interface PartitionRecords {
  /** The records, in offset order. */
  records: InRecord[];
  /** The offset after the last record (or transaction marker) fetched. */
  end: bigint;
}

/** A transaction a producer aborted, as a fetch response lists them (read_committed). */
export interface AbortedTransaction {
  /** The producer. */
  producerId: bigint;
  /** The transaction's first offset. */
  firstOffset: bigint;
}

/** Byte offsets in a batch header. */
const BATCH_LENGTH = 8;
const MAGIC = 16;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const PRODUCER_ID = 43;
const RECORD_COUNT = 57;
const RECORDS = 61;
/** Attribute bits: the compression codec, a transactional batch, a transaction marker. */
const CODEC = 0x07;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** Where the decoder is in the bytes. */
let at = 0;

/** A zigzag varint of up to 32 bits. */
function varint(data: Uint8Array): number {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = data[at++]!;
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while ((byte & 0x80) !== 0 && shift < 35);
  return (value >>> 1) ^ -(value & 1);
}

/** Steps over a varint of any length. */
function skipVarint(data: Uint8Array): void {
  while ((data[at++]! & 0x80) !== 0);
}

/** A record from the wire: its key and value as text, its headers read when first asked for. */
class WireRecord implements InRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  declare readonly notUtf8?: readonly ("key" | "value")[];
  #data: Uint8Array;
  #headersAt: number;
  #headers: Record<string, string> | null = null;

  constructor(
    topic: string,
    partition: number,
    offset: string,
    data: Uint8Array,
    key: string | null,
    value: string | null,
    headersAt: number,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.#data = data;
    this.key = key;
    this.value = value;
    this.#headersAt = headersAt;
  }

  get headers(): Record<string, string> {
    if (this.#headers === null) {
      const headers: Record<string, string> = {};
      const data = this.#data;
      at = this.#headersAt;
      const count = varint(data);
      for (let i = 0; i < count; i++) {
        const nameLength = varint(data);
        const name = utf8Range(data, at, at + Math.max(0, nameLength));
        at += Math.max(0, nameLength);
        const valueLength = varint(data);
        headers[name] = valueLength < 0 ? "" : utf8Range(data, at, at + valueLength);
        if (valueLength > 0) at += valueLength;
      }
      this.#headers = headers;
    }
    return this.#headers;
  }
}

/** The records of one batch's record bytes, from offset `from` on, appended to `records`. */
function readRecords(
  topic: string,
  partition: number,
  data: Uint8Array,
  count: number,
  base: { number: number; big: bigint | null },
  from: bigint,
  records: InRecord[],
): void {
  const start = Number(from);
  for (let i = 0; i < count; i++) {
    const length = varint(data);
    const next = at + length;
    at++; // attributes
    skipVarint(data); // timestamp delta
    const offsetDelta = varint(data);
    let offset: string;
    if (base.big === null) {
      const n = base.number + offsetDelta;
      if (n < start) {
        at = next;
        continue;
      }
      offset = String(n);
    } else {
      const n = base.big + BigInt(offsetDelta);
      if (n < from) {
        at = next;
        continue;
      }
      offset = n.toString();
    }
    const keyLength = varint(data);
    let key: string | null = null;
    let bad: ("key" | "value")[] | undefined;
    if (keyLength >= 0) {
      key = utf8Range(data, at, at + keyLength);
      if (!wasUtf8(data, at, at + keyLength, key)) (bad ??= []).push("key");
      at += keyLength;
    }
    const valueLength = varint(data);
    let value: string | null = null;
    if (valueLength >= 0) {
      value = utf8Range(data, at, at + valueLength);
      if (!wasUtf8(data, at, at + valueLength, value)) (bad ??= []).push("value");
      at += valueLength;
    }
    const record = new WireRecord(topic, partition, offset, data, key, value, at);
    if (bad) (record as { notUtf8?: readonly ("key" | "value")[] }).notUtf8 = bad;
    records.push(record);
    at = next;
  }
}

/**
 * The records of a partition's record batches from offset `from` on, and the offset after the
 * last batch. Records before `from` (a batch comes whole) and transaction markers are left out,
 * and so are the records of aborted transactions when the broker lists them; the markers still
 * move the offset on. A batch cut off at the end of the bytes (the fetch's size limit) is left for
 * the next fetch. Offsets are numbers while exact, BigInt beyond.
 *
 * @param topic The topic.
 * @param partition The partition.
 * @param bytes The partition's record bytes from a fetch response.
 * @param options The offset the fetch asked for, and the aborted transactions listed with them.
 * @returns The records and the next offset to fetch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeRecordBatches } from "./record_batches.ts";
 * const { records, end } = decodeRecordBatches("t", 0, new Uint8Array(0), { from: 5n });
 * assert.deepEqual([records.length, end], [0, 5n]);
 * ```
 */
export function decodeRecordBatches(
  topic: string,
  partition: number,
  data: Uint8Array,
  options: { from: bigint; aborted?: readonly AbortedTransaction[] | null },
): PartitionRecords {
  const { from } = options;
  // A plain view: a Buffer's subarray (one per value decoded) costs several times a view's.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const records: InRecord[] = [];
  let end = from;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Read committed: the producers whose transaction is aborted at this point of the log.
  const aborted = [...(options.aborted ?? [])].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0
  );
  const abortedProducers = new Set<bigint>();
  let pos = 0;
  while (pos + RECORDS <= bytes.length) {
    const batchEnd = pos + 12 + view.getInt32(pos + BATCH_LENGTH);
    if (batchEnd > bytes.length) break;
    const magic = bytes[pos + MAGIC]!;
    if (magic !== 2) {
      throw new RangeError(
        `Cannot read a record batch of format ${magic} at partition ${partition}: expected format 2`,
      );
    }
    const baseOffset = view.getBigInt64(pos);
    const attributes = view.getInt16(pos + ATTRIBUTES);
    const last = baseOffset + BigInt(view.getInt32(pos + LAST_OFFSET_DELTA));
    if (last + 1n > end) end = last + 1n;
    const producerId = view.getBigInt64(pos + PRODUCER_ID);
    while (aborted.length > 0 && aborted[0]!.firstOffset <= last) {
      abortedProducers.add(aborted.shift()!.producerId);
    }
    const transactional = (attributes & TRANSACTIONAL) !== 0;
    if ((attributes & CONTROL) !== 0) {
      // A marker ends its producer's transaction: an abort marker (type 0) ends the skipping.
      at = pos + RECORDS;
      varint(bytes);
      at++;
      skipVarint(bytes);
      varint(bytes);
      const keyLength = varint(bytes);
      const type = keyLength >= 4 ? view.getInt16(at + 2) : -1;
      if (transactional && type === 0) abortedProducers.delete(producerId);
    } else if (last >= from && !(transactional && abortedProducers.has(producerId))) {
      const count = view.getInt32(pos + RECORD_COUNT);
      const codec = attributes & CODEC;
      let recordBytes = bytes;
      at = pos + RECORDS;
      if (codec !== 0) {
        const algorithm = compressionsAlgorithmsByBitmask[codec];
        if (!algorithm) {
          throw new RangeError(`Cannot decompress a record batch with codec ${codec}`);
        }
        const compressed = Buffer.from(bytes.buffer, bytes.byteOffset + at, batchEnd - at);
        const plain = algorithm.decompressSync(compressed);
        recordBytes = new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
        at = 0;
      }
      const number = Number(baseOffset);
      const exact = Number.isSafeInteger(Number(last) + 1);
      readRecords(
        topic,
        partition,
        recordBytes,
        count,
        {
          number,
          big: exact ? null : baseOffset,
        },
        from,
        records,
      );
    }
    pos = batchEnd;
  }
  return { records, end };
}
