import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRecordsBatch, type MessageRecord } from "@platformatic/kafka";
import { decodeRecordBatches } from "../../kafka/record_batches.ts";
import type { InRecord } from "../../kafka/transport.ts";

type Codec = "none" | "gzip" | "snappy" | "lz4" | "zstd";

/** A record batch as a broker stores it, written by the client's own encoder. */
function batch(
  baseOffset: bigint,
  messages: Partial<MessageRecord>[],
  options: { compression?: Codec; producerId?: bigint; transactional?: boolean } = {},
): Uint8Array {
  const bytes = new Uint8Array(
    createRecordsBatch(
      messages.map((m) => ({ topic: "t", value: Buffer.from(""), ...m }) as MessageRecord),
      {
        compression: options.compression ?? "none",
        producerId: options.producerId ?? -1n,
        ...(options.transactional ? { transactionalId: "tx" } : {}),
      },
    ).buffer,
  );
  // The broker sets the base offset (the client writes 0).
  new DataView(bytes.buffer, bytes.byteOffset).setBigInt64(0, baseOffset);
  return bytes;
}

/** A transaction marker: a control batch whose one record's key says abort (0) or commit (1). */
function marker(offset: bigint, producerId: bigint, type: 0 | 1): Uint8Array {
  const key = Buffer.from([0, 0, 0, type]);
  const bytes = batch(offset, [{ key, value: Buffer.from([0, 0, 0, 0, 0, 0]) }], {
    producerId,
    transactional: true,
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  view.setInt16(21, view.getInt16(21) | 0x20);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const text = (s: string) => Buffer.from(s, "utf8");
const values = (records: InRecord[]) => records.map((r) => r.value);

Deno.test("decodeRecordBatches() reads keys, values, headers and offsets of every codec", () => {
  const codecs: Codec[] = ["none", "gzip", "snappy", "lz4", "zstd"];
  const bytes = concat(
    ...codecs.map((compression, i) =>
      batch(
        BigInt(100 + 3 * i),
        [0, 1, 2].map((j) => ({
          key: text(`K${i}`),
          value: text(`{"codec":"${compression}","n":${j},"é":"漢"}`),
          headers: new Map([[text("schema"), text("crypto-price/v1")], [text("n"), text(`${j}`)]]),
        })),
        { compression },
      )
    ),
  );
  const { records, end } = decodeRecordBatches("t", 4, bytes, { from: 100n });
  assert.equal(records.length, 15);
  assert.equal(end, 115n);
  records.forEach((r, k) => {
    const i = Math.floor(k / 3);
    assert.equal(r.offset, String(100 + k));
    assert.equal(r.topic, "t");
    assert.equal(r.partition, 4);
    assert.equal(r.key, `K${i}`);
    assert.equal(r.value, `{"codec":"${codecs[i]}","n":${k % 3},"é":"漢"}`);
    assert.deepEqual(r.headers, { schema: "crypto-price/v1", n: String(k % 3) });
    assert.equal(r.notUtf8, undefined);
  });
});

Deno.test("decodeRecordBatches() starts at the offset asked for, inside a batch", () => {
  const bytes = concat(
    batch(10n, ["a", "b", "c", "d"].map((v) => ({ value: text(v) })), { compression: "gzip" }),
    batch(14n, ["e", "f"].map((v) => ({ value: text(v) }))),
  );
  const { records, end } = decodeRecordBatches("t", 0, bytes, { from: 12n });
  assert.deepEqual(records.map((r) => [r.offset, r.value]), [
    ["12", "c"],
    ["13", "d"],
    ["14", "e"],
    ["15", "f"],
  ]);
  assert.equal(end, 16n);
  // A batch wholly before the offset moves nothing.
  assert.deepEqual(decodeRecordBatches("t", 0, bytes, { from: 16n }), { records: [], end: 16n });
});

Deno.test("decodeRecordBatches() tells null, empty and not-UTF-8 keys and values apart", () => {
  const bad = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
  const bytes = batch(0n, [
    { value: text("v") },
    { key: text(""), value: text("") },
    { key: text("K"), value: null as unknown as Buffer },
    { key: Buffer.from([0xc3]), value: Buffer.from(bad) },
    { key: text("K"), value: text("real \uFFFD kept") },
  ]);
  const { records } = decodeRecordBatches("t", 0, bytes, { from: 0n });
  assert.deepEqual(records.map((r) => r.key), [null, "", "K", "\uFFFD", "K"]);
  assert.deepEqual(values(records), ["v", "", null, "{\uFFFD\uFFFD}", "real \uFFFD kept"]);
  assert.deepEqual(records.map((r) => r.notUtf8), [
    undefined,
    undefined,
    undefined,
    ["key", "value"],
    undefined,
  ]);
  assert.deepEqual(records[0]!.headers, {});
});

Deno.test("decodeRecordBatches() leaves a batch cut off by the fetch's size limit for the next fetch", () => {
  const first = batch(0n, [{ value: text("a") }, { value: text("b") }]);
  const second = batch(2n, [{ value: text("c") }]);
  const { records, end } = decodeRecordBatches(
    "t",
    0,
    concat(first, second.subarray(0, second.length - 3)),
    { from: 0n },
  );
  assert.deepEqual(values(records), ["a", "b"]);
  assert.equal(end, 2n);
});

Deno.test("decodeRecordBatches() skips transaction markers and aborted transactions (read_committed)", () => {
  const bytes = concat(
    batch(0n, [{ value: text("plain") }]),
    batch(1n, [{ value: text("aborted-1") }, { value: text("aborted-2") }], {
      producerId: 7n,
      transactional: true,
    }),
    batch(3n, [{ value: text("committed") }], { producerId: 8n, transactional: true }),
    marker(4n, 7n, 0),
    marker(5n, 8n, 1),
    batch(6n, [{ value: text("after") }], { producerId: 7n, transactional: true }),
    marker(7n, 7n, 1),
  );
  const aborted = [{ producerId: 7n, firstOffset: 1n }];
  const committed = decodeRecordBatches("t", 0, bytes, { from: 0n, aborted });
  assert.deepEqual(values(committed.records), ["plain", "committed", "after"]);
  assert.equal(committed.end, 8n);
  // Read uncommitted (no aborted list): every record, never a marker.
  assert.deepEqual(values(decodeRecordBatches("t", 0, bytes, { from: 0n }).records), [
    "plain",
    "aborted-1",
    "aborted-2",
    "committed",
    "after",
  ]);
});

Deno.test("decodeRecordBatches() keeps offsets exact past the largest exact double", () => {
  const base = 2n ** 63n - 10n;
  const bytes = batch(base, [{ value: text("a") }, { value: text("b") }, { value: text("c") }]);
  const { records, end } = decodeRecordBatches("t", 0, bytes, { from: base + 1n });
  assert.deepEqual(records.map((r) => r.offset), [
    (base + 1n).toString(),
    (base + 2n).toString(),
  ]);
  assert.equal(end, base + 3n);
});

Deno.test("decodeRecordBatches() refuses a record batch of an older format", () => {
  const bytes = batch(0n, [{ value: text("a") }]);
  bytes[16] = 1;
  assert.throws(
    () => decodeRecordBatches("t", 3, bytes, { from: 0n }),
    /Cannot read a record batch of format 1 at partition 3: expected format 2/,
  );
});
