import assert from "node:assert/strict";
import {
  isFiniteNumber,
  isFiniteOrNull,
  isPositive,
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
