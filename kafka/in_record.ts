/**
 * A consumed record as the actors see it ({@linkcode InRecord}): key and value as text, the parts
 * that were not UTF-8 named, the headers decoded only when read.
 *
 * @module
 */
import type { InRecord } from "./transport.ts";

const decoder = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 to text; short ASCII (keys, header values) without a call into the runtime. */
function utf8(bytes: Uint8Array): string {
  if (bytes.length <= 24) {
    let ascii = "";
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return decoder.decode(bytes);
      ascii += String.fromCharCode(byte);
    }
    return ascii;
  }
  return decoder.decode(bytes);
}

/**
 * Whether bytes whose lenient decoding is `text` were UTF-8: the lenient decoder puts U+FFFD for
 * bytes that are not, so only then (or for a U+FFFD sent as such) must the strict decoder tell.
 */
function wasUtf8(bytes: Uint8Array, text: string): boolean {
  if (!text.includes("\uFFFD")) return true;
  try {
    strict.decode(bytes);
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
      if (!wasUtf8(record.key, this.key)) (bad ??= []).push("key");
    }
    if (record.value !== null) {
      this.value = utf8(record.value);
      if (!wasUtf8(record.value, this.value)) (bad ??= []).push("value");
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
 * import { toInRecord } from "./in_record.ts";
 * const record = toInRecord("t", 0, { offset: "7", key: new Uint8Array([0xff]), value: null });
 * console.log(record.notUtf8); // ["key"]
 * ```
 */
export function toInRecord(topic: string, partition: number, record: RawRecord): InRecord {
  return new ConsumedRecord(topic, partition, record);
}
