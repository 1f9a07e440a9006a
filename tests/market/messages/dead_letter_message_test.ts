import assert from "node:assert/strict";
import {
  type DeadLetter,
  deadLetterJson,
  decodeDeadLetter,
  DLQ_HEADERS,
  DLQ_TOPIC,
  encodeDeadLetter,
} from "../../../market/messages/dead_letter_message.ts";

const LETTER: DeadLetter = {
  topic: "crypto-prices",
  partition: 2,
  offset: "9007199254740993",
  reason: "last_updated is 1700000000000, more than 300 s ahead of the clock",
  at: Date.parse("2026-01-01T00:00:00.250Z"),
  key: "BTC",
  value: '{"symbol":"BTC"}',
  headers: { "content-type": "application/json", schema: "crypto-price/v1" },
};

Deno.test("encodeDeadLetter() keeps the record's key, value and headers and adds the five dlq headers", () => {
  const record = encodeDeadLetter(LETTER);
  assert.equal(record.key, "BTC");
  assert.equal(record.value, '{"symbol":"BTC"}');
  assert.deepEqual(record.headers, {
    "content-type": "application/json",
    schema: "crypto-price/v1",
    "dlq.topic": "crypto-prices",
    "dlq.partition": "2",
    "dlq.offset": "9007199254740993",
    "dlq.reason": LETTER.reason,
    "dlq.at": "2026-01-01T00:00:00.250Z",
  });
  assert.deepEqual(Object.values(DLQ_HEADERS).sort(), [
    "dlq.at",
    "dlq.offset",
    "dlq.partition",
    "dlq.reason",
    "dlq.topic",
  ]);
});

Deno.test("decodeDeadLetter() reads back what encodeDeadLetter() writes, a null key and value too", () => {
  for (const letter of [LETTER, { ...LETTER, key: null, value: null, headers: {} }]) {
    const record = encodeDeadLetter(letter);
    assert.deepEqual(decodeDeadLetter(record.key, record.value, record.headers), {
      ok: true,
      message: letter,
    });
  }
  // An alert the store refused was never on a topic: no partition, no offset.
  const alert = { ...LETTER, topic: "crypto-alerts", partition: null, offset: null };
  const record = encodeDeadLetter(alert);
  assert.ok(!("dlq.partition" in record.headers) && !("dlq.offset" in record.headers));
  assert.deepEqual(decodeDeadLetter(record.key, record.value, record.headers), {
    ok: true,
    message: alert,
  });
});

Deno.test("a dead letter of a dead letter replaces the dlq headers rather than doubling them", () => {
  const once = encodeDeadLetter(LETTER);
  const twice = encodeDeadLetter({ ...LETTER, headers: once.headers, reason: "again" });
  assert.equal(twice.headers["dlq.reason"], "again");
  assert.equal(Object.keys(twice.headers).length, Object.keys(once.headers).length);
});

Deno.test("decodeDeadLetter() names the dlq header that is missing or wrong", () => {
  const headers = encodeDeadLetter(LETTER).headers;
  const without = (name: string) => {
    const copy = { ...headers };
    delete copy[name];
    return copy;
  };
  const reason = (h: Record<string, string>) => {
    const decoded = decodeDeadLetter("BTC", "{}", h);
    return decoded.ok ? null : decoded.reason;
  };
  assert.equal(reason(without("dlq.topic")), "dlq.topic is missing");
  assert.equal(reason(without("dlq.reason")), "dlq.reason is missing");
  assert.equal(reason(without("dlq.at")), "dlq.at is not an ISO-8601 time");
  assert.equal(
    reason({ ...headers, "dlq.partition": "-1" }),
    "dlq.partition is not a partition number",
  );
  assert.equal(reason({ ...headers, "dlq.offset": "x" }), "dlq.offset is not an offset");
  assert.equal(reason({}), "dlq.topic is missing");
});

Deno.test("deadLetterJson() shows where the record was read, why and when it was refused, and the record", () => {
  assert.deepEqual(deadLetterJson(LETTER), {
    dead_letter: {
      topic: "crypto-prices",
      partition: 2,
      offset: 9007199254740993,
      reason: LETTER.reason,
      at: "2026-01-01T00:00:00.250Z",
    },
    key: "BTC",
    value: '{"symbol":"BTC"}',
    headers: LETTER.headers,
  });
});

Deno.test("dead letters go to crypto-dlq unless configured otherwise", () => {
  assert.equal(DLQ_TOPIC, "crypto-dlq");
});

Deno.test("a dead letter never written to a topic drops the partition and offset headers of the record it carries", () => {
  const once = encodeDeadLetter(LETTER);
  const again = encodeDeadLetter({
    ...LETTER,
    topic: "crypto-alerts",
    partition: null,
    offset: null,
    headers: once.headers,
  });
  assert.deepEqual(again.headers, {
    "content-type": "application/json",
    schema: "crypto-price/v1",
    "dlq.topic": "crypto-alerts",
    "dlq.reason": LETTER.reason,
    "dlq.at": "2026-01-01T00:00:00.250Z",
  });
});

Deno.test("decodeDeadLetter() takes an empty topic or reason as missing, and only an offset of digits alone", () => {
  const headers = encodeDeadLetter(LETTER).headers;
  const reason = (h: Record<string, string>) => {
    const decoded = decodeDeadLetter("BTC", "{}", { ...headers, ...h });
    return decoded.ok ? null : decoded.reason;
  };
  assert.equal(reason({ "dlq.topic": "" }), "dlq.topic is missing");
  assert.equal(reason({ "dlq.reason": "" }), "dlq.reason is missing");
  assert.equal(reason({ "dlq.offset": "17x" }), "dlq.offset is not an offset");
  assert.equal(reason({ "dlq.offset": "x17" }), "dlq.offset is not an offset");
  assert.equal(reason({ "dlq.offset": "17" }), null);
});

Deno.test("deadLetterJson() shows no offset, not 0, for a record never written to a topic", () => {
  const json = deadLetterJson({ ...LETTER, partition: null, offset: null });
  assert.deepEqual(json.dead_letter, {
    topic: "crypto-prices",
    partition: null,
    offset: null,
    reason: LETTER.reason,
    at: "2026-01-01T00:00:00.250Z",
  });
});
