import assert from "node:assert/strict";
import { formatMessage, jsonLine } from "../../report/consume_format.ts";
import type { PriceMessage } from "../../market/messages/price_message.ts";
import type { InRecord } from "../../kafka/transport.ts";
import { priceLine } from "../../bench/data.ts";
import {
  decodePriceRecord,
  rawRecord,
  tick,
  validRecord,
  validValue,
} from "../support/consumer_records.ts";

function decoded(record: InRecord): PriceMessage {
  const result = decodePriceRecord(record);
  if (!result.ok) throw new Error(result.reason);
  return result.message;
}

Deno.test("jsonLine() is character for character the re-serialised line for what the producer writes", () => {
  const records: InRecord[] = [
    validRecord(0, 0),
    validRecord(2, "123456789012", { priceUsd: 0.000012345, volume24h: null, change24h: -3.5 }),
    validRecord(1, 7, { symbol: "ÉTH", coinId: 'éther "quoted" \\ name', marketCap: null }),
    validRecord(1, 8, tick({ lastUpdated: null, priceUsd: 1e21, volume24h: 1e-7 })),
  ];
  for (let i = 0; i < 500; i++) {
    const value = priceLine(i);
    records.push(rawRecord(i % 3, i * 17, JSON.parse(value).symbol, value));
  }
  for (const record of records) {
    const message = decoded(record);
    assert.equal(jsonLine(message, record), formatMessage("json", 1, message, record));
  }
});

Deno.test("jsonLine() of a value with its own spacing is one line holding the same fields", () => {
  const value = JSON.stringify(validValue(), null, 1).replaceAll("\n", "");
  const record = rawRecord(2, 41, "BTC", value);
  const line = jsonLine(decoded(record), record);
  assert.doesNotMatch(line, /[\n\r]/);
  assert.deepEqual(JSON.parse(line), { ...validValue(), partition: 2, offset: 41 });
});

Deno.test("jsonLine() re-serialises a value spread over several lines, so the output stays one line a message", () => {
  const record = rawRecord(0, 5, "BTC", JSON.stringify(validValue(), null, 2));
  const message = decoded(record);
  const line = jsonLine(message, record);
  assert.equal(line, formatMessage("json", 1, message, record));
  assert.doesNotMatch(line, /\n/);
});

Deno.test("jsonLine() re-serialises a value with its own partition or offset field: one of each in the line", () => {
  for (const extra of [{ partition: 99 }, { offset: "x" }]) {
    const record = rawRecord(1, 3, "BTC", JSON.stringify({ ...validValue(), ...extra }));
    const line = jsonLine(decoded(record), record);
    assert.equal((line.match(/"partition"/g) ?? []).length, 1);
    assert.equal((line.match(/"offset"/g) ?? []).length, 1);
    assert.deepEqual(JSON.parse(line), { ...validValue(), partition: 1, offset: 3 });
  }
});

Deno.test("jsonLine() re-serialises a value with whitespace after its closing brace", () => {
  const record = rawRecord(0, 9, "BTC", JSON.stringify(validValue()) + " \t");
  const line = jsonLine(decoded(record), record);
  assert.deepEqual(JSON.parse(line), { ...validValue(), partition: 0, offset: 9 });
  assert.equal(line, formatMessage("json", 1, decoded(record), record));
});
