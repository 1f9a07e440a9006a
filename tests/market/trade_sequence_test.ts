import assert from "node:assert/strict";
import { TradeSequence, TradeSequences } from "../../market/trade_sequence.ts";

Deno.test("TradeSequence.accept() takes the first id as new and the next ones in order as new", () => {
  const ids = new TradeSequence();
  assert.deepEqual(ids.accept(100), { kind: "new", missing: 0, after: null });
  assert.deepEqual(ids.accept(101), { kind: "new", missing: 0, after: 100 });
  assert.equal(ids.last, 101);
});

Deno.test("TradeSequence.accept() calls an id seen before a repeat, however often it comes", () => {
  const ids = new TradeSequence();
  for (const id of [1, 2, 3]) ids.accept(id);
  assert.equal(ids.accept(3).kind, "repeat");
  assert.equal(ids.accept(2).kind, "repeat");
  assert.equal(ids.accept(3).kind, "repeat");
  assert.equal(ids.last, 3);
});

Deno.test("TradeSequence.accept() counts the ids skipped before a new one, and takes a skipped one coming late as late, once", () => {
  const ids = new TradeSequence();
  ids.accept(10);
  assert.deepEqual(ids.accept(14), { kind: "new", missing: 3, after: 10 });
  assert.equal(ids.accept(12).kind, "late");
  assert.equal(ids.accept(12).kind, "repeat");
  assert.equal(ids.last, 14);
});

Deno.test("TradeSequence.accept() takes an id older than what it remembers as a repeat", () => {
  const ids = new TradeSequence({ remember: 5 });
  for (let id = 1; id <= 20; id++) ids.accept(id);
  assert.equal(ids.accept(3).kind, "repeat");
  assert.equal(ids.accept(15).kind, "repeat");
  ids.accept(30);
  assert.equal(ids.accept(29).kind, "late");
});

Deno.test("TradeSequence keeps its memory bounded over a long run", () => {
  const ids = new TradeSequence({ remember: 100 });
  for (let id = 0; id < 200_000; id++) assert.equal(ids.accept(id).kind, "new");
  assert.equal(ids.accept(199_950).kind, "repeat");
  assert.equal(ids.accept(199_999).kind, "repeat");
});

Deno.test("TradeSequences keeps each product's ids apart", () => {
  const ids = new TradeSequences();
  assert.equal(ids.accept("BTC-USD", 7).kind, "new");
  assert.equal(ids.accept("ETH-USD", 7).kind, "new");
  assert.equal(ids.accept("BTC-USD", 7).kind, "repeat");
  assert.equal(ids.last("ETH-USD"), 7);
  assert.equal(ids.last("SOL-USD"), null);
});

Deno.test("TradeSequence keeps a gap of a billion ids as one range, and forgets what falls out of memory", () => {
  const ids = new TradeSequence({ remember: 100 });
  ids.accept(1);
  assert.deepEqual(ids.accept(1_000_000_002), { kind: "new", missing: 1_000_000_000, after: 1 });
  assert.equal(ids.accept(1_000_000_001).kind, "late");
  assert.equal(ids.accept(1_000_000_000).kind, "late");
  assert.equal(ids.accept(5).kind, "repeat"); // far below: too old to tell
  for (let id = 1_000_000_003; id < 1_000_000_200; id++) ids.accept(id);
  assert.equal(ids.accept(1_000_000_050).kind, "repeat");
});
