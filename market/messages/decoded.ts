/**
 * What every message decoder is given besides the record's fields, and what it returns.
 *
 * @module
 */

/** A message that matched, or the reason it does not: one short line naming the field. */
export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };

/**
 * The parts of a record whose bytes were not UTF-8, as the consumer found them (their text has
 * U+FFFD in place of the bad bytes): a decoder refuses such a record rather than read it.
 */
export type NotUtf8 = readonly ("key" | "value")[];
