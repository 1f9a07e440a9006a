import assert from "node:assert/strict";
import {
  encodePrice,
  encoder,
  IsoTimes,
  MESSAGE_HEADERS,
  MessageIds,
  PRODUCER_ID,
} from "../../actors/encoder.ts";
import type { EncodedPrice, PriceTick } from "../../market/price.ts";
import { Channel } from "../../runtime/channel.ts";
import { FETCHED_AT, MESSAGE_FIELDS, tick } from "../consumer/helpers.ts";

Deno.test("encodePrice() writes exactly the ten fields of the message contract", () => {
  const encoded = encodePrice(tick(), "BTC-1762943445123");
  const value = JSON.parse(encoded.value);

  assert.deepEqual(Object.keys(value).sort(), [...MESSAGE_FIELDS].sort());
  assert.deepEqual(value, {
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
  });
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
  assert.equal(MESSAGE_HEADERS["schema"], "crypto-price/v1");
});

Deno.test("MessageIds.next() starts at the symbol and the fetch time in milliseconds", () => {
  const ids = new MessageIds();

  assert.equal(ids.next("BTC", 1699876545123), "BTC-1699876545123");
  assert.equal(ids.next("ETH", 1699876545123), "ETH-1699876545123");
});

Deno.test("MessageIds.next() gives 1000 unique ids for the same symbol in the same millisecond", () => {
  const ids = new MessageIds();
  const seen = new Set<string>();

  for (let i = 0; i < 1_000; i++) {
    const id = ids.next("BTC", 1699876545123);
    assert.match(id, /^BTC-\d+$/);
    seen.add(id);
  }

  assert.equal(seen.size, 1_000);
});

Deno.test("MessageIds.next() never repeats an id when the clock goes back", () => {
  const ids = new MessageIds();
  const first = ids.next("BTC", 2_000);
  const second = ids.next("BTC", 1_000);

  assert.notEqual(first, second);
  assert.match(second, /^BTC-\d+$/);
});

Deno.test("MessageIds made from a snapshot carries on without repeating an id", () => {
  const ids = new MessageIds();
  const before = [ids.next("BTC", 5_000), ids.next("BTC", 5_000), ids.next("ETH", 7_000)];
  const resumed = new MessageIds(ids.snapshot());
  const after = [resumed.next("BTC", 5_000), resumed.next("ETH", 6_000), resumed.next("SOL", 1)];
  assert.deepEqual(after, ["BTC-5002", "ETH-7001", "SOL-1"]);
  assert.equal(new Set([...before, ...after]).size, 6);
});

Deno.test("encoder() encodes every tick in order with unique message ids, and ends with its inbox", async () => {
  const inbox = new Channel<PriceTick>(10);
  const outbox = new Channel<EncodedPrice>(10);
  for (let i = 0; i < 3; i++) {
    await inbox.send(tick({ cycle: i + 1 }));
    await inbox.send(tick({ symbol: "ETH", coinId: "ethereum", cycle: i + 1 }));
  }
  inbox.close();

  await encoder(new MessageIds())(inbox, outbox, {
    name: "encoder",
    signal: new AbortController().signal,
    attempt: 0,
  });
  outbox.close();
  const encoded: EncodedPrice[] = [];
  for await (const message of outbox) encoded.push(message);

  assert.deepEqual(
    encoded.map((m) => `${m.tick.cycle}:${m.key}`),
    ["1:BTC", "1:ETH", "2:BTC", "2:ETH", "3:BTC", "3:ETH"],
  );
  const ids = encoded.map((m) => JSON.parse(m.value as string).message_id as string);
  assert.equal(new Set(ids).size, 6);
  for (const [i, id] of ids.entries()) assert.ok(id.startsWith(`${encoded[i]!.key}-`), id);
});

Deno.test("IsoTimes.format() writes what toISOString writes, in order and out of it", () => {
  const times = new IsoTimes();
  const stamps = [0, 1, 999, 1000, 1000.7, 1001, 59_999, 60_000, -1, -1.7, -1000, 1.5, 0];
  let seed = 42;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const base = 1_763_000_000_000 + (seed % 5_000_000);
    stamps.push(base, base + 1, base + (seed % 1000) / 7, base - 999);
  }
  stamps.push(253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001, 8.64e15);
  for (const ms of stamps) assert.equal(times.format(ms), new Date(ms).toISOString(), String(ms));
});
