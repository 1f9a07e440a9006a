/**
 * How the consumer prints each message: `pretty` (a block of lines), `line` (one short line) or
 * `json` (the message value with `partition` and `offset` added, one line); and each dead letter,
 * when it reads the dead-letter topic.
 *
 * @module
 */
import type { InRecord } from "../kafka/transport.ts";
import { type DeadLetter, deadLetterJson } from "../market/messages/dead_letter_message.ts";
import type { PriceMessage } from "../market/messages/price_message.ts";
import { formatChange, formatUsd, formatWholeUsd } from "./format.ts";

/** How each message is printed. */
export type OutputFormat = "pretty" | "line" | "json";

const RULE = "=".repeat(70);

/**
 * One message as the console shows it.
 *
 * @param format `pretty`, `line` or `json`.
 * @param n The message's number, from 1.
 * @param message The message.
 * @param record Where it was read from.
 * @returns The text (several lines for `pretty`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMessage } from "./consume_format.ts";
 * const message = { symbol: "BTC", coin_id: "bitcoin", price_usd: 45234.56, volume_24h: null,
 *   market_cap: null, price_change_24h: null, last_updated: null,
 *   timestamp: "2025-11-12T10:30:45.123Z", producer_id: "p", message_id: "BTC-1" };
 * const record = { topic: "t", partition: 1, offset: "0", key: "BTC", value: "", headers: {} };
 * assert.equal(formatMessage("line", 1, message, record), "Message #1 - BTC $45,234.56");
 * ```
 */
export function formatMessage(
  format: OutputFormat,
  n: number,
  message: PriceMessage,
  record: InRecord,
): string {
  switch (format) {
    case "line":
      return `Message #${n} - ${message.symbol} ${formatUsd(message.price_usd)}`;
    case "json":
      return JSON.stringify({
        ...message,
        partition: record.partition,
        offset: Number(record.offset),
      });
    case "pretty":
      return [
        "",
        RULE,
        `Message #${n}`,
        RULE,
        `Symbol:          ${message.symbol}`,
        `Price:           ${formatUsd(message.price_usd)}`,
        `24h Volume:      ${formatWholeUsd(message.volume_24h)}`,
        `24h Change:      ${formatChange(message.price_change_24h)}`,
        `Timestamp:       ${message.timestamp}`,
        `Partition:       ${record.partition}`,
        `Offset:          ${record.offset}`,
        RULE,
      ].join("\n");
  }
}

const LINE_BREAK = /[\n\r]/;

/**
 * The `json` line of a record whose value was checked (the message value with
 * `partition` and `offset` added), made from the value's own text: the two fields are spliced
 * in before its closing brace instead of serialising the parsed message again. For a value
 * written by `JSON.stringify` (what the producer writes) the line is the same, character for
 * character, as {@linkcode formatMessage}'s; other valid values keep their own spacing and
 * number spelling. A value spread over several lines, not ending in `}`, or with its own
 * `partition` or `offset` field goes through `formatMessage`.
 *
 * @param message The parsed, checked value.
 * @param record The record it was parsed from.
 * @returns One line of JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonLine } from "./consume_format.ts";
 * const value = '{"symbol":"BTC","price_usd":45234.56}';
 * const message = JSON.parse(value);
 * assert.equal(
 *   jsonLine(message, { topic: "t", partition: 1, offset: "7", key: "BTC", value, headers: {} }),
 *   '{"symbol":"BTC","price_usd":45234.56,"partition":1,"offset":7}',
 * );
 * ```
 */
export function jsonLine(message: PriceMessage, record: InRecord): string {
  const value = record.value;
  if (
    value !== null && value.charCodeAt(0) === 0x7b && value.charCodeAt(value.length - 1) === 0x7d &&
    !("partition" in message) && !("offset" in message) && !LINE_BREAK.test(value)
  ) {
    return splicedLine(value, record);
  }
  return formatMessage("json", 0, message, record);
}

/**
 * The `--format json` line of a value that is one JSON object on one line, without its own
 * `partition` or `offset` field: its text with them put before the closing brace.
 *
 * @param value The value's text.
 * @param record Where it was read.
 * @returns The line.
 */
export function splicedLine(value: string, record: InRecord): string {
  return `${value.slice(0, -1)},"partition":${record.partition},"offset":${Number(record.offset)}}`;
}

/** Control characters, shown escaped on the console rather than acted on. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A text from a record, on one line: its control characters written as `\uXXXX`. */
function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A dead letter (a record of the dead-letter topic) as the console shows it: with `json`, its
 * JSON (`dead_letter` with where the refused record was read, why and when it was refused, then
 * the record's `key`, `value` and own `headers`) with the dead letter's own `partition` and
 * `offset` added; with `line`, one line with where it was read and the reason.
 *
 * @param format `pretty`, `line` or `json`.
 * @param n Its number, from 1.
 * @param letter The dead letter.
 * @param record Where it was read from (on the dead-letter topic).
 * @returns The text (several lines for `pretty`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDeadLetter } from "./consume_format.ts";
 * const reason = 'symbol is "btc", expected 1-15 upper-case letters and digits';
 * const letter = { topic: "crypto-prices", partition: 2, offset: "17", reason, at: 0, key: "btc",
 *   value: "{}", headers: {} };
 * const record = { topic: "crypto-dlq", partition: 0, offset: "3", key: "btc", value: "{}",
 *   headers: {} };
 * assert.equal(
 *   formatDeadLetter("line", 1, letter, record),
 *   `Dead letter #1 - crypto-prices 2/17: ${reason}`,
 * );
 * ```
 */
export function formatDeadLetter(
  format: OutputFormat,
  n: number,
  letter: DeadLetter,
  record: InRecord,
): string {
  const where = letter.partition === null
    ? oneLine(letter.topic)
    : `${oneLine(letter.topic)} ${letter.partition}/${letter.offset}`;
  switch (format) {
    case "json":
      return JSON.stringify({
        ...deadLetterJson(letter),
        partition: record.partition,
        offset: Number(record.offset),
      });
    case "line":
      return `Dead letter #${n} - ${where}: ${oneLine(letter.reason)}`;
    case "pretty":
      return [
        "",
        RULE,
        `Dead letter #${n}`,
        RULE,
        `Read from:       ${where}`,
        `Reason:          ${oneLine(letter.reason)}`,
        `Refused at:      ${new Date(letter.at).toISOString()}`,
        `Key:             ${letter.key === null ? "(none)" : oneLine(letter.key.slice(0, 200))}`,
        `Value:           ${
          letter.value === null ? "(none)" : oneLine(letter.value.slice(0, 1_000))
        }`,
        `Partition:       ${record.partition}`,
        `Offset:          ${record.offset}`,
        RULE,
      ].join("\n");
  }
}
