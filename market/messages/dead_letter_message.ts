/**
 * The dead letter (docs/messages.md#dead-letters), written once: a record the program refused,
 * on the dead-letter topic (`crypto-dlq`), as Kafka Connect's `errors.deadletterqueue` writes
 * one: the refused record's own key, value and headers, unchanged, and five headers more:
 *
 * | header          | value                                                          |
 * | --------------- | -------------------------------------------------------------- |
 * | `dlq.topic`     | the topic the record was read from (for an alert: its topic)    |
 * | `dlq.partition` | its partition, decimal (left out for an alert never written)   |
 * | `dlq.offset`    | its offset, decimal (left out for an alert never written)      |
 * | `dlq.reason`    | why it was refused: one sentence naming the field or the store |
 * | `dlq.at`        | when it was refused, ISO-8601 UTC                               |
 *
 * @module
 */
import { isoInstant } from "./checks.ts";
import type { Decoded } from "./decoded.ts";

/** The names of the headers a dead letter adds. */
export const DLQ_HEADERS = Object.freeze({
  topic: "dlq.topic",
  partition: "dlq.partition",
  offset: "dlq.offset",
  reason: "dlq.reason",
  at: "dlq.at",
});

const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

/** The dead-letter topic unless `DLQ_TOPIC` names another. */
export const DLQ_TOPIC = "crypto-dlq";

/** A refused record and why. */
export interface DeadLetter {
  /** The topic it was read from, or (an alert the store refused) the topic it was meant for. */
  topic: string;
  /** Its partition, or null for a record never written to a topic. */
  partition: number | null;
  /** Its offset (decimal), or null for a record never written to a topic. */
  offset: string | null;
  /** Why it was refused: one sentence. */
  reason: string;
  /** When it was refused, ms since the epoch. */
  at: number;
  /** Its key, or null. */
  key: string | null;
  /** Its value, or null (a tombstone). */
  value: string | null;
  /** Its own headers (without the five above). */
  headers: Record<string, string>;
}

/** A dead letter as its record: the refused record's key and value, and its headers with `dlq.*`. */
export interface EncodedDeadLetter {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * The record that carries a dead letter.
 *
 * @param letter The refused record and why.
 * @returns Its key and value as they were, its headers with the five `dlq.*` added (any of
 *   those five it had already are replaced).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeDeadLetter } from "./dead_letter_message.ts";
 * const record = encodeDeadLetter({ topic: "crypto-prices", partition: 2, offset: "17",
 *   reason: "price_usd is 0, expected a finite positive number below 1e12", at: 0,
 *   key: "BTC", value: "{}", headers: { schema: "crypto-price/v1" } });
 * assert.deepEqual(
 *   [record.headers["dlq.offset"], record.headers["dlq.at"]],
 *   ["17", "1970-01-01T00:00:00.000Z"],
 * );
 * ```
 */
export function encodeDeadLetter(letter: DeadLetter): EncodedDeadLetter {
  const headers: Record<string, string> = {};
  for (const name in letter.headers) {
    if (!DLQ_HEADER_NAMES.has(name)) headers[name] = letter.headers[name]!;
  }
  headers[DLQ_HEADERS.topic] = letter.topic;
  if (letter.partition !== null) headers[DLQ_HEADERS.partition] = String(letter.partition);
  if (letter.offset !== null) headers[DLQ_HEADERS.offset] = letter.offset;
  headers[DLQ_HEADERS.reason] = letter.reason;
  headers[DLQ_HEADERS.at] = new Date(letter.at).toISOString();
  return { key: letter.key, value: letter.value, headers };
}

/**
 * Reads a record of the dead-letter topic.
 *
 * @param key The record's key.
 * @param value The record's value.
 * @param headers The record's headers.
 * @returns The dead letter, or why the record is not one (a `dlq.*` header missing or wrong).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeDeadLetter, encodeDeadLetter } from "./dead_letter_message.ts";
 * const record = encodeDeadLetter({ topic: "t", partition: 0, offset: "5", reason: "bad", at: 0,
 *   key: null, value: "x", headers: {} });
 * const letter = decodeDeadLetter(record.key, record.value, record.headers);
 * assert.equal(letter.ok && letter.message.offset, "5");
 * ```
 */
export function decodeDeadLetter(
  key: string | null,
  value: string | null,
  headers: Readonly<Record<string, string>>,
): Decoded<DeadLetter> {
  const topic = headers[DLQ_HEADERS.topic];
  const reason = headers[DLQ_HEADERS.reason];
  const at = headers[DLQ_HEADERS.at];
  if (topic === undefined || topic === "") return { ok: false, reason: "dlq.topic is missing" };
  if (reason === undefined || reason === "") {
    return { ok: false, reason: "dlq.reason is missing" };
  }
  const when = isoInstant(at);
  if (!when.ok) return { ok: false, reason: "dlq.at is not an ISO-8601 time" };
  const partitionText = headers[DLQ_HEADERS.partition];
  const offset = headers[DLQ_HEADERS.offset] ?? null;
  const partition = partitionText === undefined ? null : Number(partitionText);
  if (partition !== null && !(Number.isSafeInteger(partition) && partition >= 0)) {
    return { ok: false, reason: "dlq.partition is not a partition number" };
  }
  if (offset !== null && !/^\d{1,19}$/.test(offset)) {
    return { ok: false, reason: "dlq.offset is not an offset" };
  }
  const own: Record<string, string> = {};
  for (const name in headers) if (!DLQ_HEADER_NAMES.has(name)) own[name] = headers[name]!;
  return {
    ok: true,
    message: { topic, partition, offset, reason, at: when.ms, key, value, headers: own },
  };
}

/**
 * A dead letter as `consume --format json` shows it, and as `GET /api/v1/pipeline` lists the
 * latest ones: where the record was read, why and when it was refused, and the record itself.
 */
export interface DeadLetterJson {
  dead_letter: {
    topic: string;
    partition: number | null;
    offset: number | null;
    reason: string;
    at: string;
  };
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * The JSON form of a dead letter.
 *
 * @param letter The dead letter.
 * @returns Its JSON object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadLetterJson } from "./dead_letter_message.ts";
 * const json = deadLetterJson({ topic: "t", partition: 1, offset: "9", reason: "bad", at: 0,
 *   key: "BTC", value: "{}", headers: {} });
 * assert.equal(json.dead_letter.offset, 9);
 * assert.equal(json.dead_letter.at, "1970-01-01T00:00:00.000Z");
 * ```
 */
export function deadLetterJson(letter: DeadLetter): DeadLetterJson {
  return {
    dead_letter: {
      topic: letter.topic,
      partition: letter.partition,
      offset: letter.offset === null ? null : Number(letter.offset),
      reason: letter.reason,
      at: new Date(letter.at).toISOString(),
    },
    key: letter.key,
    value: letter.value,
    headers: { ...letter.headers },
  };
}
