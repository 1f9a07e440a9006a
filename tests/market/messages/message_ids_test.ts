import assert from "node:assert/strict";
import { MessageIds } from "../../../market/messages/message_ids.ts";

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
