/**
 * A consumed record as the actors see it ({@linkcode InRecord}): key and value as text, the parts
 * that were not UTF-8 named, the headers decoded only when read.
 *
 * @module
 */
import type { InRecord } from "./transport.ts";

const decoder = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 bytes `start` to `end` as text (bytes that are not UTF-8 become U+FFFD); short ASCII
 * (keys, header values) without a call into the runtime.
 *
 * @param bytes The bytes.
 * @param start Where the text starts.
 * @param end Where it ends.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { utf8Range } from "./in_record.ts";
 * assert.equal(utf8Range(new TextEncoder().encode("xBTCx"), 1, 4), "BTC");
 * ```
 */
export function utf8Range(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 24) {
    let ascii = "";
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return decoder.decode(bytes.subarray(start, end));
      ascii += String.fromCharCode(byte);
    }
    return ascii;
  }
  return decoder.decode(bytes.subarray(start, end));
}

function utf8(bytes: Uint8Array): string {
  return utf8Range(bytes, 0, bytes.length);
}

/**
 * Whether bytes `start` to `end`, whose lenient decoding is `text`, were UTF-8: the lenient
 * decoder puts U+FFFD for bytes that are not, so only then (or for a U+FFFD sent as such) must
 * the strict decoder tell.
 *
 * @param bytes The bytes.
 * @param start Where the text starts.
 * @param end Where it ends.
 * @param text Their lenient decoding.
 * @returns Whether they were UTF-8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wasUtf8 } from "./in_record.ts";
 * assert.equal(wasUtf8(new Uint8Array([0xff]), 0, 1, "\uFFFD"), false);
 * ```
 */
export function wasUtf8(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (!text.includes("\uFFFD")) return true;
  try {
    strict.decode(bytes.subarray(start, end));
    return true;
  } catch {
    return false;
  }
}

/** Header name and value byte pairs, as the client hands them over. */
export type HeaderPairs = readonly (readonly [Uint8Array | null, Uint8Array | null])[];

/** Headers as the client hands them over (or, in tests, a record of names and values). */
export type RawHeaders = HeaderPairs | Record<string, Uint8Array | string>;

/** The parts of a record a client hands over. */
export interface RawRecord {
  /** The offset, decimal. */
  offset: string;
  /** The key bytes, or null. */
  key: Uint8Array | null;
  /** The value bytes, or null. */
  value: Uint8Array | null;
  /** The headers. */
  headers?: RawHeaders;
}

class ConsumedRecord implements InRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null = null;
  readonly value: string | null = null;
  declare readonly notUtf8?: readonly ("key" | "value")[];
  #raw: RawHeaders | undefined;
  #headers: Record<string, string> | null = null;

  constructor(topic: string, partition: number, record: RawRecord) {
    this.topic = topic;
    this.partition = partition;
    this.offset = record.offset;
    this.#raw = record.headers;
    let bad: ("key" | "value")[] | undefined;
    if (record.key !== null) {
      this.key = utf8(record.key);
      if (!wasUtf8(record.key, 0, record.key.length, this.key)) (bad ??= []).push("key");
    }
    if (record.value !== null) {
      this.value = utf8(record.value);
      if (!wasUtf8(record.value, 0, record.value.length, this.value)) (bad ??= []).push("value");
    }
    if (bad) (this as { notUtf8?: readonly ("key" | "value")[] }).notUtf8 = bad;
  }

  get headers(): Record<string, string> {
    if (this.#headers === null) {
      const headers: Record<string, string> = {};
      const raw = this.#raw;
      if (Array.isArray(raw)) {
        for (const [name, value] of raw as HeaderPairs) {
          if (name !== null) headers[utf8(name)] = value === null ? "" : utf8(value);
        }
      } else if (raw) {
        for (const [name, value] of Object.entries(raw)) {
          headers[name] = typeof value === "string" ? value : utf8(value);
        }
      }
      this.#headers = headers;
    }
    return this.#headers;
  }
}

/**
 * A consumed record as the actors see it: key and value as text, with the parts that were not
 * UTF-8 named, so that such a record is reported rather than printed with replacement characters.
 *
 * @param topic The topic.
 * @param partition The partition.
 * @param record The offset, key, value and headers.
 * @returns The record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toInRecord } from "./in_record.ts";
 * const record = toInRecord("t", 0, { offset: "7", key: new Uint8Array([0xff]), value: null });
 * assert.deepEqual(record.notUtf8, ["key"]);
 * ```
 */
export function toInRecord(topic: string, partition: number, record: RawRecord): InRecord {
  return new ConsumedRecord(topic, partition, record);
}
