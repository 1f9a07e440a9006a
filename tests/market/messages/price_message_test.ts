import assert from "node:assert/strict";
import {
  decodePrice,
  encodePrice,
  PRICE_HEADERS,
  PRODUCER_ID,
} from "../../../market/messages/price_message.ts";
import { toInRecord } from "../../../kafka/in_record.ts";
import type { InRecord } from "../../../kafka/transport.ts";
import {
  decodePriceRecord,
  FETCHED_AT,
  MESSAGE_FIELDS,
  rawRecord,
  tick,
  validRecord,
  validValue,
} from "../../support/consumer_records.ts";

/** The reason a value is refused; fails the test when it is accepted. */
function reasonFor(key: string | null, value: string | null): string {
  const decoded = decodePriceRecord(rawRecord(0, 0, key, value));
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
  const decoded = decodePriceRecord(record);
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
  assert.equal(decodePriceRecord(rawRecord(0, 0, encoded.key, encoded.value)).ok, true);
});

Deno.test("decodePrice() tolerates extra unknown fields", () => {
  const value = JSON.stringify({ ...validValue(), source: "replay", extra: { nested: [1, 2] } });
  const decoded = decodePriceRecord(rawRecord(0, 0, "BTC", value));
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
  assert.equal(decodePriceRecord(good).ok, true);

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
  const decoded = decodePriceRecord(replacement);
  assert.ok(decoded.ok && decoded.message.coin_id === "bit\uFFFDcoin");
  assert.deepEqual(replacement.headers, { schema: "crypto-price/v1" });
});

function reasonOf(record: InRecord): string {
  const decoded = decodePriceRecord(record);
  assert.equal(decoded.ok, false, `accepted: ${record.value?.slice(0, 80)}`);
  return decoded.ok ? "" : decoded.reason;
}

Deno.test("encodePrice() writes exactly the ten fields of the message contract", () => {
  const encoded = encodePrice(tick(), "BTC-1762943445123");
  const value = JSON.parse(encoded.value);

  assert.deepEqual(Object.keys(value).sort(), [...MESSAGE_FIELDS].sort());
  assert.deepEqual(value, VALUE);
  assert.equal(PRODUCER_ID, "deno-producer-v1");
});

Deno.test("encodePrice() keeps unknown optional numbers as null, not missing or zero", () => {
  const encoded = encodePrice(
    tick({ volume24h: null, marketCap: null, change24h: null, lastUpdated: null }),
    "BTC-1",
  );
  const value = JSON.parse(encoded.value);

  assert.deepEqual(Object.keys(value).sort(), [...MESSAGE_FIELDS].sort());
  assert.equal(value.volume_24h, null);
  assert.equal(value.market_cap, null);
  assert.equal(value.price_change_24h, null);
  assert.equal(value.last_updated, null);
  assert.equal(typeof value.price_usd, "number");
});

Deno.test("encodePrice() gives every field the contract's type", () => {
  const value = JSON.parse(encodePrice(tick(), "BTC-1").value);

  for (const field of ["symbol", "coin_id", "timestamp", "producer_id", "message_id"]) {
    assert.equal(typeof value[field], "string", field);
  }
  for (const field of ["price_usd", "volume_24h", "market_cap", "price_change_24h"]) {
    assert.equal(typeof value[field], "number", field);
    assert.ok(Number.isFinite(value[field]), field);
  }
  assert.ok(Number.isInteger(value.last_updated), "last_updated is whole Unix seconds");
});

Deno.test("encodePrice() keys the message by symbol with the contract's headers and the fetch time", () => {
  const encoded = encodePrice(tick({ symbol: "ETH", coinId: "ethereum" }), "ETH-1");

  assert.equal(encoded.key, "ETH");
  assert.deepEqual(encoded.headers, {
    "content-type": "application/json",
    "schema": "crypto-price/v1",
  });
  assert.equal(encoded.timestamp, FETCHED_AT);
  assert.equal(encoded.tick.symbol, "ETH");
});

Deno.test("encodePrice() stamps timestamp as ISO-8601 UTC from fetchedAt", () => {
  const value = JSON.parse(encodePrice(tick({ fetchedAt: 0 }), "BTC-0").value);

  assert.equal(value.timestamp, "1970-01-01T00:00:00.000Z");
  assert.match(
    JSON.parse(encodePrice(tick(), "BTC-1").value).timestamp,
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
  );
});

Deno.test("encodePrice() hands each message its own headers object", () => {
  const first = encodePrice(tick(), "BTC-1");
  first.headers["schema"] = "tampered";

  assert.equal(encodePrice(tick(), "BTC-2").headers["schema"], "crypto-price/v1");
  assert.equal(PRICE_HEADERS["schema"], "crypto-price/v1");
});

/** The README's price message, written out. */
const VALUE = {
  symbol: "BTC",
  coin_id: "bitcoin",
  price_usd: 45234.56,
  volume_24h: 28456789012.34,
  market_cap: 886543210987.65,
  price_change_24h: 2.34,
  last_updated: 1699876543,
  timestamp: "2025-11-12T10:30:45.123Z",
  producer_id: "deno-producer-v1",
  message_id: "BTC-1762943445123",
};

/** Read on 2026-01-01 with 300 s ahead allowed. */
const READ = { now: Date.UTC(2026, 0, 1), maxAheadMs: 300_000 };

/** What decodePrice() says of VALUE with `changes`, keyed `key`: "ok" or the reason. */
function verdict(changes: Record<string, unknown>, key: string | null = "BTC"): string {
  const decoded = decodePrice(key, JSON.stringify({ ...VALUE, ...changes }), {}, READ);
  return decoded.ok ? "ok" : decoded.reason;
}

Deno.test("decodePrice() spells out what each field should have been", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ coin_id: 1 }, "coin_id is 1, expected a non-empty string"],
    [{ volume_24h: "lots" }, 'volume_24h is "lots", expected a finite number or null'],
    [{ market_cap: "big" }, 'market_cap is "big", expected a finite number or null'],
    [{ price_change_24h: true }, "price_change_24h is true, expected a finite number or null"],
    [
      { last_updated: "yesterday" },
      'last_updated is "yesterday", expected a finite number or null',
    ],
    [{ timestamp: "not a time" }, 'timestamp is "not a time", expected an ISO-8601 time'],
    [{ producer_id: "" }, 'producer_id is "", expected a non-empty string'],
    [{ message_id: "" }, 'message_id is "", expected a non-empty string'],
  ];
  for (const [changes, reason] of cases) assert.equal(verdict(changes), reason);
});

Deno.test("decodePrice() counts the problems past the third, and only those", () => {
  const three = { coin_id: 1, volume_24h: "a", market_cap: "b" };
  const reasonOfThree = 'coin_id is 1, expected a non-empty string; volume_24h is "a", ' +
    'expected a finite number or null; market_cap is "b", expected a finite number or null';
  assert.equal(verdict(three), reasonOfThree);
  assert.equal(verdict({ ...three, producer_id: "" }), `${reasonOfThree} (and 1 more)`);
  assert.equal(
    verdict({ ...three, producer_id: "", message_id: "" }),
    `${reasonOfThree} (and 2 more)`,
  );
});

Deno.test("decodePrice() says a record without a key, null or empty, has no key", () => {
  assert.equal(verdict({}, null), "record has no key");
  assert.equal(verdict({}, ""), "record has no key");
  assert.equal(verdict({}, "ETH"), 'key "ETH" does not match symbol "BTC"');
});

Deno.test("decodePrice() accepts a record none of whose parts was found not UTF-8", () => {
  const decoded = decodePrice("BTC", JSON.stringify(VALUE), {}, READ, []);
  assert.deepEqual(decoded, { ok: true, message: VALUE });
  const value = decodePrice("BTC", JSON.stringify(VALUE), {}, READ, ["value"]);
  assert.deepEqual(value, { ok: false, reason: "value is not UTF-8" });
});

Deno.test("decodePrice() hints at milliseconds only for a last_updated past 1e11 seconds", () => {
  assert.equal(
    verdict({ last_updated: 1699876543123 }),
    "last_updated is 1699876543123, more than 300 s ahead of the clock (milliseconds? it is in seconds)",
  );
  assert.equal(
    verdict({ last_updated: 100000000000 }),
    "last_updated is 100000000000, more than 300 s ahead of the clock",
  );
  assert.equal(verdict({ last_updated: 1000 }), "last_updated is 1000, before 2009-01-03");
  assert.equal(verdict({ last_updated: 1699876543 }), "ok");
});
