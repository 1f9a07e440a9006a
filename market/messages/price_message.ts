/**
 * The price message (docs/messages.md), written once: topic `crypto-prices`, the symbol as key,
 * the headers `content-type: application/json` and `schema: crypto-price/v1`, and as value one
 * JSON object of ten fields, in this order:
 *
 * ```json
 * {"symbol":"BTC","coin_id":"bitcoin","price_usd":45234.56,"volume_24h":28456789012.34,
 *  "market_cap":886543210987.65,"price_change_24h":2.34,"last_updated":1699876543,
 *  "timestamp":"2025-11-12T10:30:45.123Z","producer_id":"deno-producer-v1",
 *  "message_id":"BTC-1762943445123"}
 * ```
 *
 * Here are its encoder, its decoder (every reader of the topic calls it) and the one-expression
 * check of the producer's own form that lets the consumer skip the decoder.
 *
 * @module
 */
import type { PriceTick, TickSummary } from "../price_tick.ts";
import {
  eventTimeProblem,
  isAmount,
  isFiniteOrNull,
  isoInstant,
  isSymbol,
  isText,
  isTime,
  parseObject,
  type ReadTime,
  shown,
} from "./checks.ts";
import type { Decoded, NotUtf8 } from "./decoded.ts";
import type { EncodedRecord } from "./encoded_record.ts";
import { IsoTimes } from "./iso_times.ts";

/** The value of a price message, schema `crypto-price/v1`. */
export interface PriceMessage {
  /** 1-15 upper-case letters and digits. */
  symbol: string;
  coin_id: string;
  /** Finite, above zero and below 1e12. */
  price_usd: number;
  volume_24h: number | null;
  market_cap: number | null;
  price_change_24h: number | null;
  /**
   * CoinGecko's time of the price, Unix seconds, or null when it gave none; from 2009-01-03 to a
   * few minutes ahead of the clock when read (a value in milliseconds is refused).
   */
  last_updated: number | null;
  /** When the price was fetched, ISO-8601 UTC. */
  timestamp: string;
  producer_id: string;
  /** `SYMBOL-millis`, unique per producer process (see `MessageIds`). */
  message_id: string;
}

/** The headers of every price record. */
export const PRICE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  "schema": "crypto-price/v1",
};

/** The `producer_id` of every message this program writes. */
export const PRODUCER_ID = "deno-producer-v1";

/** A tick encoded for the topic, with what the producer's report needs of the tick. */
export interface EncodedPrice extends EncodedRecord {
  /** The fetch time. */
  timestamp: number;
  tick: TickSummary;
}

const times = new IsoTimes();

/**
 * The value of a tick's message: its JSON text.
 *
 * @param tick The price.
 * @param messageId Its unique id.
 * @returns The JSON text, fields in the message's order.
 */
export function priceValue(tick: PriceTick, messageId: string): string {
  const message: PriceMessage = {
    symbol: tick.symbol,
    coin_id: tick.coinId,
    price_usd: tick.priceUsd,
    volume_24h: tick.volume24h,
    market_cap: tick.marketCap,
    price_change_24h: tick.change24h,
    last_updated: tick.lastUpdated,
    timestamp: times.format(tick.fetchedAt),
    producer_id: PRODUCER_ID,
    message_id: messageId,
  };
  return JSON.stringify(message);
}

/**
 * Encodes one tick as the topic's record; each record gets its own headers object.
 *
 * @param tick The price.
 * @param messageId Its unique id.
 * @returns Key, JSON value, headers and timestamp (the fetch time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodePrice } from "./price_message.ts";
 * const encoded = encodePrice({ coinId: "bitcoin", symbol: "BTC", priceUsd: 1, volume24h: null,
 *   marketCap: null, change24h: null, lastUpdated: null, fetchedAt: 0, cycle: 1 }, "BTC-0");
 * assert.equal(encoded.key, "BTC");
 * ```
 */
export function encodePrice(tick: PriceTick, messageId: string): EncodedPrice & { value: string } {
  return {
    key: tick.symbol,
    value: priceValue(tick, messageId),
    headers: { ...PRICE_HEADERS },
    timestamp: tick.fetchedAt,
    tick,
  };
}

const CHECKS: [keyof PriceMessage, (v: unknown) => boolean, string][] = [
  ["symbol", isSymbol, "1-15 upper-case letters and digits"],
  ["coin_id", isText, "a non-empty string"],
  ["price_usd", isAmount, "a finite positive number below 1e12"],
  ["volume_24h", isFiniteOrNull, "a finite number or null"],
  ["market_cap", isFiniteOrNull, "a finite number or null"],
  ["price_change_24h", isFiniteOrNull, "a finite number or null"],
  ["last_updated", isFiniteOrNull, "a finite number or null"],
  ["timestamp", isTime, "an ISO-8601 time"],
  ["producer_id", isText, "a non-empty string"],
  ["message_id", isText, "a non-empty string"],
];

/** The checks of {@linkcode CHECKS} in one pass, without gathering reasons: the common case. */
function matches(f: Record<string, unknown>): boolean {
  return isSymbol(f.symbol) && isText(f.coin_id) && isAmount(f.price_usd) &&
    isFiniteOrNull(f.volume_24h) && isFiniteOrNull(f.market_cap) &&
    isFiniteOrNull(f.price_change_24h) && isFiniteOrNull(f.last_updated) &&
    isTime(f.timestamp) && isText(f.producer_id) && isText(f.message_id);
}

/**
 * Decodes and checks a consumed price record (docs/messages.md#what-every-record-is-checked-for):
 * every field's type, the symbol's spelling, the price's bounds, the key, and the event time
 * (`last_updated`, or `timestamp` when that is null) between 2009-01-03 and `read.maxAheadMs`
 * after `read.now`.
 *
 * @param key The record's key.
 * @param value The record's value, or null for a tombstone.
 * @param _headers The record's headers (not checked yet).
 * @param read When the record is read, which bounds its event time.
 * @param notUtf8 The parts whose bytes were not UTF-8. @default {[]}
 * @returns The message, or the reason it does not match: one short line naming the field, at
 *   most three problems spelled out, each value cut to 40 characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePrice } from "./price_message.ts";
 * const result = decodePrice("BTC", "nope", {}, { now: 0, maxAheadMs: 300_000 });
 * assert.equal(result.ok ? "ok" : result.reason, "value is not JSON");
 * ```
 */
export function decodePrice(
  key: string | null,
  value: string | null,
  _headers: Readonly<Record<string, string>>,
  read: ReadTime,
  notUtf8?: NotUtf8,
): Decoded<PriceMessage> {
  if (notUtf8 !== undefined && notUtf8.length > 0) {
    const parts = notUtf8.join(" and ");
    return { ok: false, reason: `${parts} ${notUtf8.length > 1 ? "are" : "is"} not UTF-8` };
  }
  if (value === null || value === "") return { ok: false, reason: "value is empty" };
  const parsed = parseObject(value);
  if (!parsed.ok) {
    return {
      ok: false,
      reason: parsed.json
        ? `value is not a JSON object (${shown(parsed.value)})`
        : "value is not JSON",
    };
  }
  const fields = parsed.fields;
  const problems: string[] = [];
  // A missing field reads as undefined, which no check lets through: the loop below says why.
  if (!matches(fields)) {
    for (const [name, check, expected] of CHECKS) {
      if (!(name in fields)) problems.push(`${name} is missing`);
      else if (!check(fields[name])) {
        problems.push(`${name} is ${shown(fields[name])}, expected ${expected}`);
      }
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    return { ok: false, reason: problems.slice(0, 3).join("; ") + more };
  }
  if (key === null || key === "") return { ok: false, reason: "record has no key" };
  if (key !== fields.symbol) {
    return { ok: false, reason: `key ${shown(key)} does not match symbol ${shown(fields.symbol)}` };
  }
  const message = fields as unknown as PriceMessage;
  const problem = priceTimeProblem(message.last_updated, message.timestamp, read);
  if (problem !== null) return { ok: false, reason: problem };
  return { ok: true, message };
}

/**
 * Seconds above this are milliseconds by mistake: 1e11 s is the year 5138, 1e11 ms is 1973.
 */
const MILLISECONDS_LIKE = 1e11;

/**
 * Why a price's event time is refused, or null: `last_updated` (seconds) when given, else the
 * `timestamp` read strictly.
 */
function priceTimeProblem(
  lastUpdated: number | null,
  timestamp: string,
  read: ReadTime,
): string | null {
  if (lastUpdated !== null) {
    const problem = eventTimeProblem(Math.round(lastUpdated * 1000), read);
    if (problem === null) return null;
    const hint = lastUpdated > MILLISECONDS_LIKE ? " (milliseconds? it is in seconds)" : "";
    return `last_updated is ${shown(lastUpdated)}, ${problem}${hint}`;
  }
  const time = isoInstant(timestamp);
  if (!time.ok) return `timestamp ${shown(timestamp)} is ${time.why}`;
  const problem = eventTimeProblem(time.ms, read);
  return problem === null ? null : `timestamp ${shown(timestamp)} is ${problem}`;
}

// The producer's own form of a message (`JSON.stringify` of the ten fields, in order): strings
// without escapes or control characters, numbers without exponents and with at most 300 digits
// before the point (so always finite), a price above zero, the time as the producer writes it.
const PLAIN_TEXT = '[^"\\\\\\x00-\\x1f]+';
const NUMBER = "-?(?:0|[1-9]\\d{0,299})(?:\\.\\d+)?";
const NUMBER_OR_NULL = `(?:null|${NUMBER})`;
// Above 0 (a digit other than 0, and at most 300 zeros before it so that it does not round to
// 0) and below 1e12 (at most 12 digits before the point).
const AMOUNT = "(?:0\\.0{0,300}[1-9]\\d*|[1-9]\\d{0,11}(?:\\.\\d+)?)";
const SYMBOL = "[A-Z0-9]{1,15}";
// `Date.prototype.toISOString` of a year 0–9999: every such text is a time `Date.parse` reads.
const ISO_TIME =
  "\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\.\\d{3}Z";
const CANONICAL = new RegExp(
  `^\\{"symbol":"${SYMBOL}","coin_id":"${PLAIN_TEXT}","price_usd":${AMOUNT},` +
    `"volume_24h":${NUMBER_OR_NULL},"market_cap":${NUMBER_OR_NULL},` +
    `"price_change_24h":${NUMBER_OR_NULL},"last_updated":(${NUMBER_OR_NULL}),` +
    `"timestamp":"(${ISO_TIME})","producer_id":"${PLAIN_TEXT}","message_id":"${PLAIN_TEXT}"\\}$`,
);

/**
 * Whether a value is a valid message in exactly the form the producer writes it (`JSON.stringify`
 * of the ten fields in order: no spaces, no escapes, numbers without exponents, the time as
 * `toISOString` writes it), keyed by its symbol: one regular expression and a look at the event
 * time, without building the object, for the common case. False says nothing about the value:
 * anything else is left to {@linkcode decodePrice}, which decides and gives the reason.
 *
 * @param value The record's value.
 * @param key The record's key.
 * @param read When the record is read, which bounds its event time.
 * @returns True only for a value `decodePrice` accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCanonicalPrice } from "./price_message.ts";
 * const read = { now: 0, maxAheadMs: 300_000 };
 * assert.equal(isCanonicalPrice('{"symbol":"BTC"}', "BTC", read), false); // decodePrice decides
 * ```
 */
export function isCanonicalPrice(value: string, key: string, read: ReadTime): boolean {
  const match = CANONICAL.exec(value);
  // The symbol, right after `{"symbol":"`, is the key.
  if (match === null || !value.startsWith(key, 11) || value.charCodeAt(11 + key.length) !== 0x22) {
    return false;
  }
  const lastUpdated = match[1]!;
  return priceTimeProblem(
    lastUpdated === "null" ? null : Number(lastUpdated),
    match[2]!,
    read,
  ) === null;
}
