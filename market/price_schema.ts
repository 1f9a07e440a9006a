/**
 * Checks a consumed record against the message contract (SPEC §4).
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";
import type { PriceMessage } from "./price.ts";

/** A record that matched, or what is wrong with it. */
export type Decoded = { ok: true; message: PriceMessage } | { ok: false; reason: string };

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const numberOrNull = (v: unknown) => v === null || isNumber(v);
const text = (v: unknown) => typeof v === "string" && v !== "";

const CHECKS: [keyof PriceMessage, (v: unknown) => boolean, string][] = [
  ["symbol", text, "a non-empty string"],
  ["coin_id", text, "a non-empty string"],
  ["price_usd", (v) => isNumber(v) && v > 0, "a finite positive number"],
  ["volume_24h", numberOrNull, "a finite number or null"],
  ["market_cap", numberOrNull, "a finite number or null"],
  ["price_change_24h", numberOrNull, "a finite number or null"],
  ["last_updated", numberOrNull, "a finite number or null"],
  [
    "timestamp",
    (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)),
    "an ISO-8601 time",
  ],
  ["producer_id", text, "a non-empty string"],
  ["message_id", text, "a non-empty string"],
];

const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const finiteOrNull = (v: unknown) => v === null || (typeof v === "number" && Number.isFinite(v));
const filled = (v: unknown) => typeof v === "string" && v !== "";

/** The checks of {@linkcode CHECKS} in one pass, without gathering reasons: the common case. */
function matches(f: Record<string, unknown>): boolean {
  const price = f.price_usd;
  const timestamp = f.timestamp;
  return filled(f.symbol) && filled(f.coin_id) && finite(price) && (price as number) > 0 &&
    finiteOrNull(f.volume_24h) && finiteOrNull(f.market_cap) &&
    finiteOrNull(f.price_change_24h) && finiteOrNull(f.last_updated) &&
    typeof timestamp === "string" && !Number.isNaN(Date.parse(timestamp)) &&
    filled(f.producer_id) && filled(f.message_id);
}

function show(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/**
 * Decodes and checks a record's value.
 *
 * @param record The consumed record.
 * @returns The message, or the reason it does not match (one line, short).
 *
 * @example
 * ```ts
 * import { decodePrice } from "./price_schema.ts";
 * const result = decodePrice({ topic: "t", partition: 0, offset: "0", key: "BTC", value: "nope", headers: {} });
 * console.log(result.ok ? "ok" : result.reason); // "value is not JSON"
 * ```
 */
export function decodePrice(record: InRecord): Decoded {
  if (record.notUtf8 !== undefined && record.notUtf8.length > 0) {
    const parts = record.notUtf8.join(" and ");
    return { ok: false, reason: `${parts} ${record.notUtf8.length > 1 ? "are" : "is"} not UTF-8` };
  }
  if (record.value === null || record.value === "") {
    return { ok: false, reason: "value is empty" };
  }
  let value: unknown;
  try {
    value = JSON.parse(record.value);
  } catch {
    return { ok: false, reason: "value is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: `value is not a JSON object (${show(value)})` };
  }
  const fields = value as Record<string, unknown>;
  const problems: string[] = [];
  // A missing field reads as undefined, which no check lets through: the loop below says why.
  if (!matches(fields)) {
    for (const [name, check, expected] of CHECKS) {
      if (!(name in fields)) problems.push(`${name} is missing`);
      else if (!check(fields[name])) {
        problems.push(`${name} is ${show(fields[name])}, expected ${expected}`);
      }
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    return { ok: false, reason: problems.slice(0, 3).join("; ") + more };
  }
  if (record.key === null || record.key === "") return { ok: false, reason: "record has no key" };
  if (record.key !== fields.symbol) {
    return {
      ok: false,
      reason: `key ${show(record.key)} does not match symbol ${show(fields.symbol)}`,
    };
  }
  return { ok: true, message: fields as unknown as PriceMessage };
}

// The producer's own form of a message (`JSON.stringify` of the ten fields, in order): strings
// without escapes or control characters, numbers without exponents and with at most 300 digits
// before the point (so always finite), a price above zero, the time as the producer writes it.
const PLAIN_TEXT = '[^"\\\\\\x00-\\x1f]+';
const NUMBER = "-?(?:0|[1-9]\\d{0,299})(?:\\.\\d+)?";
const NUMBER_OR_NULL = `(?:null|${NUMBER})`;
const POSITIVE = "(?:0\\.\\d*[1-9]\\d*|[1-9]\\d{0,299}(?:\\.\\d+)?)";
// `Date.prototype.toISOString` of a year 0–9999: every such text is a time `Date.parse` reads.
const ISO_TIME =
  "\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\.\\d{3}Z";
const CANONICAL = new RegExp(
  `^\\{"symbol":"${PLAIN_TEXT}","coin_id":"${PLAIN_TEXT}","price_usd":${POSITIVE},` +
    `"volume_24h":${NUMBER_OR_NULL},"market_cap":${NUMBER_OR_NULL},` +
    `"price_change_24h":${NUMBER_OR_NULL},"last_updated":${NUMBER_OR_NULL},` +
    `"timestamp":"${ISO_TIME}","producer_id":"${PLAIN_TEXT}","message_id":"${PLAIN_TEXT}"\\}$`,
);

/**
 * Whether a value is a valid message in exactly the form the producer writes it (`JSON.stringify`
 * of the ten fields in SPEC §4 order: no spaces, no escapes, numbers without exponents, the time
 * as `toISOString` writes it), keyed by its symbol: one regular expression, without building the
 * object, for the common case. False says nothing about the value: anything else is left to
 * {@linkcode decodePrice}, which decides and gives the reason.
 *
 * @param value The record's value.
 * @param key The record's key.
 * @returns True only for a value `decodePrice` accepts.
 *
 * @example
 * ```ts
 * import { isCanonicalPrice } from "./price_schema.ts";
 * console.log(isCanonicalPrice('{"symbol":"BTC"}', "BTC")); // false: decodePrice decides
 * ```
 */
export function isCanonicalPrice(value: string, key: string): boolean {
  // The symbol, right after `{"symbol":"`, is the key.
  return CANONICAL.test(value) && value.startsWith(key, 11) &&
    value.charCodeAt(11 + key.length) === 0x22;
}
