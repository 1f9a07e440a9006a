/**
 * The basic checks of a field, written once: every message decoder, the replay reader, the live
 * feed's reader and the live stream's reader use these, so that a rule about what a number, a
 * text or a time is holds the same everywhere.
 *
 * @module
 */
import type { Decoded } from "./decoded.ts";

/**
 * Whether a value is a number other than `NaN` and ±Infinity.
 *
 * @example
 * ```ts
 * import { isFiniteNumber } from "./checks.ts";
 * console.log(isFiniteNumber(1.5), isFiniteNumber("1.5"), isFiniteNumber(Infinity)); // true false false
 * ```
 */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * Whether a value is a finite number or null (an optional number of a message).
 *
 * @example
 * ```ts
 * import { isFiniteOrNull } from "./checks.ts";
 * console.log(isFiniteOrNull(null), isFiniteOrNull(0), isFiniteOrNull(undefined)); // true true false
 * ```
 */
export function isFiniteOrNull(value: unknown): value is number | null {
  return value === null || isFiniteNumber(value);
}

/**
 * Whether a value is a finite number above zero (a price, a size).
 *
 * @example
 * ```ts
 * import { isPositive } from "./checks.ts";
 * console.log(isPositive(0.01), isPositive(0), isPositive(-1)); // true false false
 * ```
 */
export function isPositive(value: unknown): value is number {
  return isFiniteNumber(value) && value > 0;
}

/**
 * Whether a value is a text of 1 to `maxLength` UTF-16 units.
 *
 * @param value The value.
 * @param maxLength The longest text taken. @default {Infinity}
 *
 * @example
 * ```ts
 * import { isText } from "./checks.ts";
 * console.log(isText("BTC"), isText(""), isText("BTC", 2)); // true false false
 * ```
 */
export function isText(value: unknown, maxLength = Infinity): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= maxLength;
}

/** The longest symbol the candle, alert and latest-price readers take, in UTF-16 units. */
export const MAX_SYMBOL_LENGTH = 64;

/**
 * The time a value names, when it is a text `Date.parse` reads (ISO-8601 in every message).
 *
 * @returns Milliseconds since the epoch, or null.
 *
 * @example
 * ```ts
 * import { timeOf } from "./checks.ts";
 * console.log(timeOf("1970-01-01T00:00:01Z"), timeOf("soon"), timeOf(1000)); // 1000 null null
 * ```
 */
export function timeOf(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Whether a value is a text `Date.parse` reads as a time.
 *
 * @example
 * ```ts
 * import { isTime } from "./checks.ts";
 * console.log(isTime("2025-11-12T10:30:45.123Z"), isTime("")); // true false
 * ```
 */
export function isTime(value: unknown): value is string {
  return timeOf(value) !== null;
}

/**
 * A value as a reason shows it: its JSON, cut to 40 characters, so that a reason stays one
 * short line however large the value.
 *
 * @example
 * ```ts
 * import { shown } from "./checks.ts";
 * console.log(shown("x".repeat(100)).length, shown(undefined)); // 40 "undefined"
 * ```
 */
export function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/** What {@linkcode parseObject} found: the object's fields, or what the text is instead. */
export type ParsedObject =
  | { ok: true; fields: Record<string, unknown> }
  | { ok: false; json: false }
  | { ok: false; json: true; value: unknown };

/**
 * Reads a text that should hold one JSON object.
 *
 * @returns The object's fields; or `json: false` for a text that is not JSON; or the value of a
 *   JSON text that is not an object (an array, null, a number or a string).
 *
 * @example
 * ```ts
 * import { parseObject } from "./checks.ts";
 * console.log(parseObject('{"a":1}'), parseObject("{"), parseObject("[1]"));
 * // { ok: true, fields: { a: 1 } } { ok: false, json: false } { ok: false, json: true, value: [ 1 ] }
 * ```
 */
export function parseObject(text: string): ParsedObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, json: false };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, json: true, value };
  }
  return { ok: true, fields: value as Record<string, unknown> };
}

/**
 * The fields of a record value that should hold one JSON object, or why it does not: `value is
 * empty` (none, or no text), `value is not JSON`, `value is not a JSON object`.
 *
 * @example
 * ```ts
 * import { valueFields } from "./checks.ts";
 * console.log(valueFields('{"a":1}'), valueFields(null));
 * // { ok: true, message: { a: 1 } } { ok: false, reason: "value is empty" }
 * ```
 */
export function valueFields(value: string | null): Decoded<Record<string, unknown>> {
  if (value === null || value === "") return { ok: false, reason: "value is empty" };
  const parsed = parseObject(value);
  if (parsed.ok) return { ok: true, message: parsed.fields };
  return { ok: false, reason: parsed.json ? "value is not a JSON object" : "value is not JSON" };
}
