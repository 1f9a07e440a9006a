/**
 * The basic checks of a field, written once: every message decoder, the replay reader, the live
 * feed's reader and the live stream's reader use these, so that a rule about what a number, a
 * text or a time is holds the same everywhere.
 *
 * @module
 */
import { isSource, productParts, type Source } from "../market.ts";
import type { Decoded } from "./decoded.ts";

/**
 * Whether a value is a number other than `NaN` and ±Infinity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFiniteNumber } from "./checks.ts";
 * assert.deepEqual(
 *   [isFiniteNumber(1.5), isFiniteNumber("1.5"), isFiniteNumber(Infinity)],
 *   [true, false, false],
 * );
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
 * import assert from "node:assert/strict";
 * import { isFiniteOrNull } from "./checks.ts";
 * assert.deepEqual(
 *   [isFiniteOrNull(null), isFiniteOrNull(0), isFiniteOrNull(undefined)],
 *   [true, true, false],
 * );
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
 * import assert from "node:assert/strict";
 * import { isPositive } from "./checks.ts";
 * assert.deepEqual([isPositive(0.01), isPositive(0), isPositive(-1)], [true, false, false]);
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
 * import assert from "node:assert/strict";
 * import { isText } from "./checks.ts";
 * assert.deepEqual([isText("BTC"), isText(""), isText("BTC", 2)], [true, false, false]);
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
 * import assert from "node:assert/strict";
 * import { timeOf } from "./checks.ts";
 * assert.equal(timeOf("1970-01-01T00:00:01Z"), 1000);
 * assert.deepEqual([timeOf("soon"), timeOf(1000)], [null, null]);
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
 * import assert from "node:assert/strict";
 * import { isTime } from "./checks.ts";
 * assert.deepEqual([isTime("2025-11-12T10:30:45.123Z"), isTime("")], [true, false]);
 * ```
 */
export function isTime(value: unknown): value is string {
  return timeOf(value) !== null;
}

const SYMBOL = /^[A-Z0-9]{1,15}$/;
const PRODUCT = /^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$/;

/**
 * A symbol as the records read must spell it (docs/messages.md#what-every-record-is-checked-for):
 * 1 to 15 upper-case letters and digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSymbol } from "./checks.ts";
 * assert.deepEqual(
 *   [isSymbol("BTC"), isSymbol("btc"), isSymbol("<img src=x>")],
 *   [true, false, false],
 * );
 * ```
 */
export function isSymbol(value: unknown): value is string {
  return typeof value === "string" && SYMBOL.test(value);
}

/**
 * A product as the records read must spell it: `BASE-QUOTE`, each part 1 to 15 upper-case
 * letters and digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isProduct } from "./checks.ts";
 * assert.deepEqual(
 *   [isProduct("BTC-USD"), isProduct("BTCUSD"), isProduct("btc-usd")],
 *   [true, false, false],
 * );
 * ```
 */
export function isProduct(value: unknown): value is string {
  return typeof value === "string" && PRODUCT.test(value);
}

/** Every price and size read is below this: larger ones are mistakes, and their products overflow. */
export const AMOUNT_LIMIT = 1e12;

/**
 * Whether a value is a price or a size a record may carry: a finite number above 0 and below
 * {@linkcode AMOUNT_LIMIT}, so that a candle's sums of price × size stay finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAmount } from "./checks.ts";
 * assert.deepEqual(
 *   [isAmount(1e-200), isAmount(0), isAmount(1e12), isAmount(1e200)],
 *   [true, false, false, false],
 * );
 * ```
 */
export function isAmount(value: unknown): value is number {
  return typeof value === "number" && value > 0 && value < AMOUNT_LIMIT;
}

/** The earliest event time a record may carry: 2009-01-03T00:00:00Z, the first Bitcoin block. */
export const EARLIEST_EVENT_TIME = Date.UTC(2009, 0, 3);

/** How far ahead of the clock an event time may be unless configured (`CANDLE_MAX_AHEAD`), ms. */
export const DEFAULT_MAX_AHEAD_MS = 300_000;

/**
 * When a record is read, which bounds its event time: a decoder is given this rather than
 * reading a clock of its own.
 */
export interface ReadTime {
  /** The wall clock when the record is read, ms since the epoch. */
  now: number;
  /** How far ahead of `now` an event time may be, ms. */
  maxAheadMs: number;
}

/**
 * What is wrong with an event time, or null when it is within the bounds: from
 * {@linkcode EARLIEST_EVENT_TIME} to `maxAheadMs` after `now`.
 *
 * @param ms The event time, ms since the epoch.
 * @param read When the record is read.
 * @returns The end of a reason, such as `more than 300 s ahead of the clock`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventTimeProblem } from "./checks.ts";
 * const read = { now: Date.UTC(2025, 0, 1), maxAheadMs: 300_000 };
 * assert.equal(eventTimeProblem(Date.UTC(2100, 0, 1), read), "more than 300 s ahead of the clock");
 * assert.equal(eventTimeProblem(Date.UTC(2024, 0, 1), read), null);
 * ```
 */
export function eventTimeProblem(ms: number, read: ReadTime): string | null {
  if (!(ms >= EARLIEST_EVENT_TIME)) return "before 2009-01-03";
  if (!(ms <= read.now + read.maxAheadMs)) {
    return `more than ${Math.round(read.maxAheadMs / 1000)} s ahead of the clock`;
  }
  return null;
}

/** An ISO-8601 date and time with a zone, as exchanges write them. */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):?(\d{2}))$/;

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/**
 * Why a calendar time names no real instant — a month past 12, a day past its month's end (leap
 * years counted), an hour past 23, a minute or second past 59, a zone offset past 23:59 — or
 * null when it names one. The HTTP API's time parameters and the messages' times share it.
 *
 * @param parts Year, month, day, hour, minute, second, offset hours and offset minutes as
 * digits; a part not given (undefined) counts as 0.
 * @returns The reason, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calendarProblem } from "./checks.ts";
 * assert.equal(calendarProblem(["2025", "02", "30"]), "February 2025 has 28 days");
 * assert.equal(calendarProblem(["2024", "02", "29", "23", "59", "59"]), null);
 * ```
 */
export function calendarProblem(parts: readonly (string | undefined)[]): string | null {
  return calendarProblemAt(parts, 0);
}

/** The days of each month of a year that is not a leap year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** {@linkcode calendarProblem} of the eight parts from `from` on (a match's groups, say). */
function calendarProblemAt(parts: readonly (string | undefined)[], from: number): string | null {
  const part = (i: number) => {
    const text = parts[from + i];
    return text === undefined ? 0 : Number(text);
  };
  const year = part(0);
  const month = part(1);
  const day = part(2);
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!;
  if (day < 1 || day > days) {
    return `${MONTH_NAMES[month - 1]} ${String(year).padStart(4, "0")} has ${days} days`;
  }
  if (part(3) > 23 || part(4) > 59 || part(5) > 59) {
    return "hours go to 23, minutes and seconds to 59";
  }
  if (part(6) > 23 || part(7) > 59) return "a zone offset goes to 23:59";
  return null;
}

/** What {@linkcode isoInstant} found: the time, or why the text names none. */
export type IsoInstant = { ok: true; ms: number } | { ok: false; why: string };

/**
 * Reads an ISO-8601 date and time with a zone (`2025-01-01T00:00:00.123456Z`,
 * `…+01:00`) strictly: a date or time that does not exist (`2025-02-30`, `T24:00`) is not
 * rolled over to another day, as `Date.parse` would.
 *
 * @param value The value.
 * @returns Milliseconds since the epoch, or why it is not a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoInstant } from "./checks.ts";
 * assert.deepEqual(isoInstant("2025-01-01T00:00:00.5Z"), { ok: true, ms: 1735689600500 });
 * assert.deepEqual(
 *   isoInstant("2025-02-30T00:00:00Z"),
 *   { ok: false, why: "February 2025 has 28 days" },
 * );
 * ```
 */
export function isoInstant(value: unknown): IsoInstant {
  const match = typeof value === "string" ? ISO_INSTANT.exec(value) : null;
  if (match === null) return { ok: false, why: "not an ISO-8601 time" };
  const why = calendarProblemAt(match, 1);
  if (why !== null) return { ok: false, why };
  const ms = Date.parse(value as string);
  return Number.isFinite(ms) ? { ok: true, ms } : { ok: false, why: "not an ISO-8601 time" };
}

/**
 * A value as a reason shows it: its JSON, cut to 40 characters, so that a reason stays one
 * short line however large the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shown } from "./checks.ts";
 * assert.deepEqual([shown("x".repeat(100)).length, shown(undefined)], [40, "undefined"]);
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
 * import assert from "node:assert/strict";
 * import { parseObject } from "./checks.ts";
 * assert.deepEqual(parseObject('{"a":1}'), { ok: true, fields: { a: 1 } });
 * assert.deepEqual(parseObject("{"), { ok: false, json: false });
 * assert.deepEqual(parseObject("[1]"), { ok: false, json: true, value: [1] });
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
 * import assert from "node:assert/strict";
 * import { valueFields } from "./checks.ts";
 * assert.deepEqual(valueFields('{"a":1}'), { ok: true, message: { a: 1 } });
 * assert.deepEqual(valueFields(null), { ok: false, reason: "value is empty" });
 * ```
 */
export function valueFields(value: string | null): Decoded<Record<string, unknown>> {
  if (value === null || value === "") return { ok: false, reason: "value is empty" };
  const parsed = parseObject(value);
  if (parsed.ok) return { ok: true, message: parsed.fields };
  return { ok: false, reason: parsed.json ? "value is not a JSON object" : "value is not JSON" };
}

/** A message's market, as {@linkcode marketFields} checked it. */
export interface MarketFields {
  source: Source;
  /** `BASE-QUOTE`. */
  product: string;
  /** The product's base currency. */
  symbol: string;
  /** The product's quote currency. */
  quote: string;
}

/**
 * The market a message's `source`, `product` and `symbol` name, or why they name none: the
 * source is `coingecko` or `coinbase`, the product `BASE-QUOTE` of upper-case letters and digits,
 * and its base is the symbol (a `quote` field, when there is one, is the product's quote).
 *
 * @param fields The message's fields; `symbol` already checked to be text.
 * @returns The market and its currencies, or the reason (one short line naming the field).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { marketFields } from "./checks.ts";
 * assert.deepEqual(marketFields({ source: "coinbase", product: "BTC-EUR", symbol: "BTC" }), {
 *   ok: true,
 *   message: { source: "coinbase", product: "BTC-EUR", symbol: "BTC", quote: "EUR" },
 * });
 * assert.deepEqual(marketFields({ source: "coinbase", product: "ETH-EUR", symbol: "BTC" }), {
 *   ok: false,
 *   reason: 'product "ETH-EUR" is not a product of BTC',
 * });
 * ```
 */
export function marketFields(fields: Record<string, unknown>): Decoded<MarketFields> {
  const { source, product, symbol } = fields;
  if (typeof source !== "string" || !isSource(source)) {
    return { ok: false, reason: "source is not coingecko or coinbase" };
  }
  const parts = typeof product === "string" ? productParts(product) : null;
  if (parts === null) {
    return { ok: false, reason: "product is not BASE-QUOTE of upper-case letters and digits" };
  }
  if (parts.symbol !== symbol) {
    return { ok: false, reason: `product ${shown(product)} is not a product of ${String(symbol)}` };
  }
  if ("quote" in fields && fields.quote !== parts.quote) {
    return { ok: false, reason: `quote is not ${parts.quote}, the quote of ${product}` };
  }
  return { ok: true, message: { source, product: product as string, ...parts } };
}
