import assert from "node:assert/strict";
import {
  calendarProblem,
  isoInstant,
  isProduct,
  isSymbol,
  shown,
  valueFields,
} from "../../../market/messages/checks.ts";

/** Why a text is not an instant, or null when it is one. */
const why = (text: string) => {
  const read = isoInstant(text);
  return read.ok ? null : read.why;
};

Deno.test("isSymbol() and isProduct() take parts of a single character, and refuse a product part of 16", () => {
  assert.ok(isSymbol("X") && isSymbol("7"));
  assert.ok(isProduct("X-Y"));
  for (const v of [`${"X".repeat(16)}-USD`, `BTC-${"Y".repeat(16)}`, " BTC-USD", "BTC-USD "]) {
    assert.ok(!isProduct(v), v);
  } // A JSON array whose text would pass is still not a text.
  assert.ok(!isProduct(["BTC-USD"]) && !isSymbol(["BTC"]));
});

Deno.test("isoInstant() names the month and its length for a day past its end, every month of the year", () => {
  const months: [string, number][] = [
    ["January", 31],
    ["February", 28],
    ["March", 31],
    ["April", 30],
    ["May", 31],
    ["June", 30],
    ["July", 31],
    ["August", 31],
    ["September", 30],
    ["October", 31],
    ["November", 30],
    ["December", 31],
  ];
  months.forEach(([name, days], i) => {
    const month = String(i + 1).padStart(2, "0");
    assert.equal(why(`2025-${month}-${days}T00:00:00Z`), null, `${name} ${days}`);
    assert.equal(why(`2025-${month}-${days + 1}T00:00:00Z`), `${name} 2025 has ${days} days`);
    assert.equal(why(`2025-${month}-00T00:00:00Z`), `${name} 2025 has ${days} days`);
  });
  assert.equal(why("2025-00-10T00:00:00Z"), "there is no month 0");
  assert.deepEqual(isoInstant("2025-12-31T23:59:59Z"), {
    ok: true,
    ms: Date.UTC(2025, 11, 31, 23, 59, 59),
  });
});

Deno.test("isoInstant() counts leap years as the Gregorian calendar does: every 4th, but not every 100th unless every 400th", () => {
  assert.equal(why("2000-02-29T00:00:00Z"), null);
  assert.equal(why("2024-02-29T00:00:00Z"), null);
  assert.equal(why("1900-02-29T00:00:00Z"), "February 1900 has 28 days");
  assert.equal(why("2100-02-29T00:00:00Z"), "February 2100 has 28 days");
  assert.equal(why("2023-02-29T00:00:00Z"), "February 2023 has 28 days");
  // A year before 1000 is shown with its four digits.
  assert.equal(why("0999-02-29T00:00:00Z"), "February 0999 has 28 days");
});

Deno.test("isoInstant() takes hours to 23, minutes and seconds to 59, zone offsets to 23:59", () => {
  assert.equal(why("2025-01-01T23:59:59.999Z"), null);
  for (const t of ["T24:00:00Z", "T00:60:00Z", "T00:00:60Z"]) {
    assert.equal(why(`2025-01-01${t}`), "hours go to 23, minutes and seconds to 59", t);
  }
  assert.deepEqual(isoInstant("2025-01-01T00:00:00+23:59"), {
    ok: true,
    ms: Date.UTC(2024, 11, 31, 0, 1),
  });
  assert.equal(why("2025-01-01T00:00:00+00:60"), "a zone offset goes to 23:59");
  assert.equal(why("2025-01-01T00:00:00-24:00"), "a zone offset goes to 23:59");
});

Deno.test("isoInstant() takes offsets with or without a colon, west and east, and 1 to 9 digits of a second", () => {
  const ms = Date.UTC(2025, 0, 1, 5, 30);
  assert.deepEqual(isoInstant("2025-01-01T00:00:00-05:30"), { ok: true, ms });
  assert.deepEqual(isoInstant("2025-01-01T00:00:00-0530"), { ok: true, ms });
  assert.deepEqual(isoInstant("2025-01-01T06:30:00+0100"), { ok: true, ms });
  assert.deepEqual(isoInstant("2025-01-01T00:00:00.1Z"), {
    ok: true,
    ms: Date.UTC(2025, 0, 1) + 100,
  });
  assert.deepEqual(isoInstant("2025-01-01T00:00:00.123456789Z"), {
    ok: true,
    ms: Date.UTC(2025, 0, 1) + 123,
  });
  for (
    const text of [
      "2025-01-01T00:00:00.1234567891Z", // 10 digits
      "2025-01-01T00:00:00.Z",
      "2025-01-01T00:00:00*01:00",
      "2025-01-01T00:00:00+1:00",
      "2025-01-01T00:00:00+01:0",
      "x2025-01-01T00:00:00Z",
      "+002025-01-01T00:00:00Z", // an extended year, which Date.parse takes
      "2025-01-01T00:00:00Zx",
      "25-01-01T00:00:00Z",
      "2025-1-01T00:00:00Z",
      "2025-01-1T00:00:00Z",
      "2025-01-01T0:00:00Z",
      "2025-01-01T00:0:00Z",
      "2025-01-01T00:00:0Z",
      "2025-01-01 00:00:00Z",
    ]
  ) {
    assert.equal(why(text), "not an ISO-8601 time", text);
  }
});

Deno.test("isoInstant() takes a text only, not an array whose text would be a time", () => {
  assert.deepEqual(isoInstant(["2025-01-01T00:00:00Z"]), {
    ok: false,
    why: "not an ISO-8601 time",
  });
});

Deno.test("calendarProblem() counts the parts not given as 0, as the HTTP API's dates without a time give them", () => {
  assert.equal(calendarProblem(["2025", "02", "28"]), null);
  assert.equal(calendarProblem(["2025", "02", "29"]), "February 2025 has 28 days");
  assert.equal(calendarProblem(["2025", "02"]), "February 2025 has 28 days"); // day 0
  assert.equal(calendarProblem(["2025", "01", "01", "23", "59", "59", "23", "59"]), null);
});

Deno.test("shown() keeps a value of exactly 40 characters whole and cuts a longer one to 37 and '...'", () => {
  const forty = "x".repeat(38); // 40 with its quotes
  assert.equal(shown(forty), `"${forty}"`);
  assert.equal(shown("y".repeat(39)), `"${"y".repeat(36)}...`);
  assert.equal(shown(1.5), "1.5");
  assert.equal(shown(null), "null");
});

Deno.test("valueFields() tells an empty value, text that is not JSON and JSON that is not an object apart", () => {
  assert.deepEqual(valueFields('{"a":1}'), { ok: true, message: { a: 1 } });
  assert.deepEqual(valueFields(null), { ok: false, reason: "value is empty" });
  assert.deepEqual(valueFields(""), { ok: false, reason: "value is empty" });
  assert.deepEqual(valueFields(" "), { ok: false, reason: "value is not JSON" });
  assert.deepEqual(valueFields("{"), { ok: false, reason: "value is not JSON" });
  for (const text of ["[1]", "null", "7", '"x"']) {
    assert.deepEqual(valueFields(text), { ok: false, reason: "value is not a JSON object" }, text);
  }
});
