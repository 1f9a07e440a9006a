import assert from "node:assert/strict";
import {
  eventTimeProblem,
  isAmount,
  isFiniteNumber,
  isFiniteOrNull,
  isoInstant,
  isPositive,
  isProduct,
  isSymbol,
  isText,
  isTime,
  parseObject,
  shown,
  timeOf,
} from "../../../market/messages/checks.ts";

Deno.test("the number checks take finite numbers only, null where it is allowed", () => {
  for (const v of [0, -0, -1.5, 1e300, Number.MAX_VALUE]) assert.ok(isFiniteNumber(v), String(v));
  for (const v of [NaN, Infinity, -Infinity, "1", null, undefined, true, [1], 1n]) {
    assert.ok(!isFiniteNumber(v), String(v));
    assert.equal(isFiniteOrNull(v), v === null, String(v));
  }
  assert.ok(isFiniteOrNull(2.5));
  assert.ok(isPositive(Number.MIN_VALUE) && isPositive(1));
  for (const v of [0, -0, -1, Infinity, NaN, "1", null]) assert.ok(!isPositive(v), String(v));
});

Deno.test("isText() takes 1 to maxLength characters of a string", () => {
  assert.ok(isText("a") && isText("x".repeat(10_000)) && isText("x".repeat(64), 64));
  for (const v of ["", 1, null, undefined, ["a"]]) assert.ok(!isText(v), String(v));
  assert.ok(!isText("x".repeat(65), 64));
});

Deno.test("timeOf() reads what Date.parse reads, null for the rest", () => {
  assert.equal(timeOf("2025-11-12T10:30:45.123Z"), Date.UTC(2025, 10, 12, 10, 30, 45, 123));
  assert.equal(timeOf("1970-01-01T00:00:00Z"), 0);
  for (const v of ["", "soon", "2025-13-01T00:00:00Z", 1000, null, undefined]) {
    assert.equal(timeOf(v), null, String(v));
    assert.ok(!isTime(v));
  }
  assert.ok(isTime("2014-11-07T08:19:27.028459Z"));
});

Deno.test("shown() keeps a value to one line of at most 40 characters", () => {
  assert.equal(shown("BTC"), '"BTC"');
  assert.equal(shown(undefined), "undefined");
  assert.equal(shown({ a: 1 }), '{"a":1}');
  const long = shown("x".repeat(1_000_000));
  assert.equal(long.length, 40);
  assert.ok(long.endsWith("..."));
  assert.doesNotMatch(shown("a\nb"), /\n/);
});

Deno.test("parseObject() tells an object from other JSON and from text that is not JSON", () => {
  assert.deepEqual(parseObject('{"a":[1]}'), { ok: true, fields: { a: [1] } });
  assert.deepEqual(parseObject("{"), { ok: false, json: false });
  assert.deepEqual(parseObject(""), { ok: false, json: false });
  for (const [text, value] of [["[]", []], ["null", null], ["7", 7], ['"x"', "x"]] as const) {
    assert.deepEqual(parseObject(text), { ok: false, json: true, value });
  }
});

Deno.test("isSymbol() and isProduct() take 1-15 upper-case letters and digits, a product as BASE-QUOTE", () => {
  for (const v of ["BTC", "1INCH", "X".repeat(15)]) assert.ok(isSymbol(v), v);
  for (const v of ["", "btc", "X".repeat(16), "<img src=x>", "BT\nC", "BTC ", "ÄBC", 7, null]) {
    assert.ok(!isSymbol(v), String(v));
  }
  for (const v of ["BTC-USD", "1INCH-EUR", `${"X".repeat(15)}-${"Y".repeat(15)}`]) {
    assert.ok(isProduct(v), v);
  }
  for (const v of ["BTCUSD", "btc-usd", "BTC-", "-USD", "BTC-USD-X", "BTC_USD", null]) {
    assert.ok(!isProduct(v), String(v));
  }
});

Deno.test("isAmount() takes finite numbers above 0 and below 1e12", () => {
  for (const v of [1e-200, Number.MIN_VALUE, 1, 999_999_999_999.99]) {
    assert.ok(isAmount(v), String(v));
  }
  for (const v of [0, -0, -1, 1e12, 1e200, Infinity, NaN, "1", null]) {
    assert.ok(!isAmount(v), String(v));
  }
});

Deno.test("eventTimeProblem() takes times from 2009-01-03 to maxAheadMs after now", () => {
  const read = { now: Date.UTC(2026, 0, 1), maxAheadMs: 300_000 };
  assert.equal(eventTimeProblem(Date.UTC(2009, 0, 3), read), null);
  assert.equal(eventTimeProblem(read.now + 300_000, read), null);
  assert.equal(eventTimeProblem(Date.UTC(2009, 0, 3) - 1, read), "before 2009-01-03");
  assert.equal(eventTimeProblem(read.now + 300_001, read), "more than 300 s ahead of the clock");
  assert.equal(eventTimeProblem(NaN, read), "before 2009-01-03");
  assert.equal(eventTimeProblem(Infinity, read), "more than 300 s ahead of the clock");
});

Deno.test("isoInstant() reads ISO-8601 times with a zone strictly, never rolling a day over", () => {
  assert.deepEqual(isoInstant("2025-01-01T00:00:00.123456Z"), { ok: true, ms: 1735689600123 });
  assert.deepEqual(isoInstant("2025-01-01T01:00:00+01:00"), { ok: true, ms: 1735689600000 });
  assert.deepEqual(isoInstant("2024-02-29T00:00:00Z"), { ok: true, ms: Date.UTC(2024, 1, 29) });
  const why = (v: unknown) => {
    const read = isoInstant(v);
    return read.ok ? null : read.why;
  };
  assert.equal(why("2025-02-29T00:00:00Z"), "February 2025 has 28 days");
  assert.equal(why("2025-04-31T00:00:00Z"), "April 2025 has 30 days");
  assert.equal(why("2025-13-01T00:00:00Z"), "there is no month 13");
  assert.equal(why("2025-01-01T24:00:00Z"), "hours go to 23, minutes and seconds to 59");
  assert.equal(why("2025-01-01T00:00:00+24:00"), "a zone offset goes to 23:59");
  for (const v of ["2025-01-01", "2025-01-01T00:00:00", "yesterday", "", 1735689600000, null]) {
    assert.equal(why(v), "not an ISO-8601 time", String(v));
  }
});
