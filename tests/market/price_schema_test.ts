import assert from "node:assert/strict";
import { encodePrice } from "../../actors/encoder.ts";
import { decodePrice } from "../../market/price_schema.ts";
import { toInRecord } from "../../kafka/in_record.ts";
import type { InRecord } from "../../kafka/transport.ts";
import { MESSAGE_FIELDS, rawRecord, tick, validRecord, validValue } from "../consumer/helpers.ts";

/** The reason a value is refused; fails the test when it is accepted. */
function reasonFor(key: string | null, value: string | null): string {
  const decoded = decodePrice(rawRecord(0, 0, key, value));
  assert.equal(decoded.ok, false, `accepted: ${value?.slice(0, 80)}`);
  return decoded.ok ? "" : decoded.reason;
}

/** A one-line, short reason that mentions `expected`. */
function assertReason(reason: string, expected: RegExp, maxLength = 200): void {
  assert.match(reason, expected);
  assert.doesNotMatch(reason, /[\r\n]/, "one line");
  assert.ok(reason.length <= maxLength, `${reason.length} characters: ${reason.slice(0, 300)}`);
}

const withField = (field: string, v: unknown) => JSON.stringify({ ...validValue(), [field]: v });
const without = (field: string) => {
  const value = validValue();
  delete value[field];
  return JSON.stringify(value);
};

Deno.test("decodePrice() accepts a value made by encodePrice and returns its fields", () => {
  const record = validRecord(1, 0);
  const decoded = decodePrice(record);
  assert.equal(decoded.ok, true);
  assert.deepEqual(decoded.ok && decoded.message, JSON.parse(record.value!));
});

Deno.test("decodePrice() accepts encodePrice values with null numbers and tiny prices", () => {
  const t = tick({
    symbol: "SHIB",
    coinId: "shiba-inu",
    priceUsd: 0.000012345,
    volume24h: null,
    marketCap: null,
    change24h: null,
    lastUpdated: null,
  });
  const encoded = encodePrice(t, "SHIB-1");
  assert.equal(decodePrice(rawRecord(0, 0, encoded.key, encoded.value)).ok, true);
});

Deno.test("decodePrice() tolerates extra unknown fields", () => {
  const value = JSON.stringify({ ...validValue(), source: "replay", extra: { nested: [1, 2] } });
  const decoded = decodePrice(rawRecord(0, 0, "BTC", value));
  assert.equal(decoded.ok, true);
  assert.equal(decoded.ok && decoded.message.price_usd, 45234.56);
});

Deno.test("decodePrice() refuses a value that is not JSON", () => {
  assertReason(reasonFor("BTC", "{not json"), /not JSON/);
  assertReason(reasonFor("BTC", "<html>502 Bad Gateway</html>"), /not JSON/);
});

Deno.test("decodePrice() refuses JSON that is not an object", () => {
  for (const value of ["[1]", '"x"', "null", "42", "true"]) {
    assertReason(reasonFor("BTC", value), /not a JSON object/);
  }
});

Deno.test("decodePrice() refuses an empty or null value", () => {
  assertReason(reasonFor("BTC", ""), /empty/);
  assertReason(reasonFor("BTC", null), /empty/);
});

Deno.test("decodePrice() names each missing field", () => {
  for (const field of MESSAGE_FIELDS) {
    assertReason(reasonFor("BTC", without(field)), new RegExp(`${field}.*missing`));
  }
});

Deno.test("decodePrice() names a field of the wrong type", () => {
  assertReason(reasonFor("BTC", withField("price_usd", "1")), /price_usd/);
  assertReason(reasonFor("BTC", withField("volume_24h", "lots")), /volume_24h/);
  assertReason(reasonFor("BTC", withField("coin_id", 1)), /coin_id/);
  assertReason(reasonFor("BTC", withField("last_updated", "yesterday")), /last_updated/);
  assertReason(reasonFor("BTC", withField("timestamp", "not a time")), /timestamp/);
  assertReason(reasonFor("BTC", withField("message_id", "")), /message_id/);
});

Deno.test("decodePrice() refuses a zero, negative or overflowing price", () => {
  assertReason(reasonFor("BTC", withField("price_usd", 0)), /price_usd.*positive/);
  assertReason(reasonFor("BTC", withField("price_usd", -3)), /price_usd.*positive/);
  const overflowing = JSON.stringify(validValue()).replace("45234.56", "1e999");
  assertReason(reasonFor("BTC", overflowing), /price_usd/);
});

Deno.test("decodePrice() refuses a record without a key", () => {
  assertReason(reasonFor(null, JSON.stringify(validValue())), /key/);
  assertReason(reasonFor("", JSON.stringify(validValue())), /key/);
});

Deno.test("decodePrice() refuses a key that is not the message's symbol", () => {
  const reason = reasonFor("ETH", JSON.stringify(validValue()));
  assertReason(reason, /key/);
  assert.match(reason, /ETH/);
  assert.match(reason, /BTC/);
});

Deno.test("decodePrice() keeps the reason short and on one line for a 1.5 MB value", () => {
  const huge = "x".repeat(1_500_000);
  const cases: [string | null, string][] = [
    ["BTC", huge],
    ["BTC", JSON.stringify(huge)],
    ["BTC", JSON.stringify([huge])],
    ["BTC", withField("price_usd", huge)],
    ["BTC", withField("symbol", { [huge]: huge })],
    ["BTC", JSON.stringify({ [huge]: 1 })],
    [huge, JSON.stringify(validValue())],
    ["BTC", `{"symbol":"BTC",\n"price_usd":\n"${"\n".repeat(1_000)}"}`],
  ];
  for (const [key, value] of cases) assertReason(reasonFor(key, value), /./);
});

Deno.test("decodePrice() keeps the reason bounded when many fields are wrong with huge values", () => {
  const huge = "y".repeat(1_500_000);
  const value = JSON.stringify(
    Object.fromEntries(Object.keys(validValue()).map((k) => [k, [huge]])),
  );
  const reason = reasonFor("BTC", value);
  // At most three problems are spelled out, each with its value cut to 40 characters.
  assertReason(reason, /^symbol is .*; coin_id is .*; price_usd is .*\(and 7 more\)$/, 300);
});

Deno.test("a consumed value or key that is not UTF-8 is refused, not read with replacement characters", () => {
  const value = new TextEncoder().encode(
    validRecord(0, 0).value!.replace("bitcoin", "bitcoin\u0001"),
  );
  value[value.indexOf(0x01)] = 0xfe;
  const key = new TextEncoder().encode("BTC");
  const badValue = toInRecord("t", 2, { offset: "5", key, value });
  assert.deepEqual(badValue.notUtf8, ["value"]);
  assertReason(reasonOf(badValue), /^value is not UTF-8$/);

  const good = toInRecord("t", 2, {
    offset: "6",
    key,
    value: new TextEncoder().encode(validRecord(0, 0).value!),
  });
  assert.equal(good.notUtf8, undefined);
  assert.equal(decodePrice(good).ok, true);

  const both = toInRecord("t", 2, { offset: "7", key: new Uint8Array([0x42, 0xc3]), value });
  assertReason(reasonOf(both), /^key and value are not UTF-8$/);

  // U+FFFD sent as such is UTF-8: printed, not refused.
  const replacement = toInRecord("t", 2, {
    offset: "8",
    key,
    value: new TextEncoder().encode(validRecord(0, 0).value!.replace("bitcoin", "bit\uFFFDcoin")),
    headers: { schema: new TextEncoder().encode("crypto-price/v1") },
  });
  assert.equal(replacement.notUtf8, undefined);
  const decoded = decodePrice(replacement);
  assert.ok(decoded.ok && decoded.message.coin_id === "bit\uFFFDcoin");
  assert.deepEqual(replacement.headers, { schema: "crypto-price/v1" });
});

function reasonOf(record: InRecord): string {
  const decoded = decodePrice(record);
  assert.equal(decoded.ok, false, `accepted: ${record.value?.slice(0, 80)}`);
  return decoded.ok ? "" : decoded.reason;
}
