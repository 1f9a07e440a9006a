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

Deno.test("TradeSequence.missingIn() reports nothing before the first id, nor while ids come in order", () => {
  const ids = new TradeSequence();
  assert.equal(ids.missingIn(0, 1_000), null);
  ids.accept(10);
  ids.accept(11);
  assert.equal(ids.missingIn(0, 1_000), null);
  // An id below the first one seen is too old to tell: not late, and never reported missing.
  assert.equal(ids.accept(5).kind, "repeat");
  assert.equal(ids.missingIn(0, 1_000), null);
});

Deno.test("TradeSequence.missingIn() counts the skipped ids within the range asked, with the lowest and highest", () => {
  const ids = new TradeSequence();
  ids.accept(10);
  ids.accept(14); // 11, 12, 13 skipped
  assert.deepEqual(ids.missingIn(0, 100), { count: 3, from: 11, to: 13 });
  assert.deepEqual(ids.missingIn(11, 13), { count: 3, from: 11, to: 13 });
  assert.deepEqual(ids.missingIn(12, 20), { count: 2, from: 12, to: 13 });
  assert.deepEqual(ids.missingIn(0, 12), { count: 2, from: 11, to: 12 });
  assert.deepEqual(ids.missingIn(13, 13), { count: 1, from: 13, to: 13 });
  assert.equal(ids.missingIn(0, 10), null);
  assert.equal(ids.missingIn(14, 100), null);
  // The ids on either side of the gap were seen: they are repeats, not late.
  assert.equal(ids.accept(10).kind, "repeat");
  assert.equal(ids.accept(14).kind, "repeat");
  // A second gap: 15 to 19.
  assert.deepEqual(ids.accept(20), { kind: "new", missing: 5, after: 14 });
  assert.deepEqual(ids.missingIn(0, 100), { count: 8, from: 11, to: 19 });
  assert.deepEqual(ids.missingIn(12, 16), { count: 4, from: 12, to: 16 });
  assert.deepEqual(ids.missingIn(16, 16), { count: 1, from: 16, to: 16 });
  assert.equal(ids.missingIn(14, 14), null);
});

Deno.test("TradeSequence.accept() takes each skipped id coming late as late once, whichever part of the gap it fills", () => {
  const ids = new TradeSequence();
  ids.accept(10);
  ids.accept(14);
  // The first id of the gap.
  assert.equal(ids.accept(11).kind, "late");
  assert.deepEqual(ids.missingIn(0, 100), { count: 2, from: 12, to: 13 });
  // The last.
  assert.equal(ids.accept(13).kind, "late");
  assert.deepEqual(ids.missingIn(0, 100), { count: 1, from: 12, to: 12 });
  assert.equal(ids.accept(12).kind, "late");
  assert.equal(ids.missingIn(0, 100), null);
  for (const id of [11, 12, 13]) assert.equal(ids.accept(id).kind, "repeat", `${id}`);
  // One from the middle of a gap splits it in two.
  ids.accept(20);
  assert.equal(ids.accept(17).kind, "late");
  assert.deepEqual(ids.missingIn(0, 100), { count: 4, from: 15, to: 19 });
  assert.deepEqual(ids.missingIn(15, 17), { count: 2, from: 15, to: 16 });
  assert.deepEqual(ids.missingIn(17, 19), { count: 2, from: 18, to: 19 });
  for (const id of [16, 18, 15, 19]) assert.equal(ids.accept(id).kind, "late", `${id}`);
  assert.equal(ids.missingIn(0, 100), null);
  assert.equal(ids.accept(17).kind, "repeat");
});

Deno.test("TradeSequence forgets the skipped ids as far below the highest as its memory reaches, and no others", () => {
  const ids = new TradeSequence({ remember: 5 });
  ids.accept(1);
  assert.deepEqual(ids.accept(20), { kind: "new", missing: 18, after: 1 });
  // Of 2 to 19, only what lies above 20 - 5 is still remembered.
  assert.deepEqual(ids.missingIn(0, 100), { count: 4, from: 16, to: 19 });
  assert.equal(ids.accept(15).kind, "repeat");
  assert.equal(ids.accept(16).kind, "late");
  assert.deepEqual(ids.missingIn(0, 100), { count: 3, from: 17, to: 19 });

  // A gap starting right at the edge of memory: its first id is forgotten.
  const edge = new TradeSequence({ remember: 5 });
  edge.accept(14);
  edge.accept(20);
  assert.deepEqual(edge.missingIn(0, 100), { count: 4, from: 16, to: 19 });

  // Several older gaps go at once, a straddling one is cut.
  const older = new TradeSequence({ remember: 5 });
  for (const id of [1, 3, 6]) older.accept(id); // 2, 4 and 5 skipped
  assert.deepEqual(older.missingIn(0, 100), { count: 3, from: 2, to: 5 });
  older.accept(30);
  assert.deepEqual(older.missingIn(0, 100), { count: 4, from: 26, to: 29 });
  assert.equal(older.accept(4).kind, "repeat");

  // A gap well within memory is kept whole, and nothing below it appears missing.
  const near = new TradeSequence();
  near.accept(100);
  near.accept(103);
  assert.deepEqual(near.missingIn(-100_000, 100_000), { count: 2, from: 101, to: 102 });
  assert.equal(near.accept(50).kind, "repeat");
});

Deno.test("TradeSequence remembers skipped ids 10,000 below the highest by default", () => {
  const ids = new TradeSequence();
  ids.accept(0);
  assert.deepEqual(ids.accept(20_000), { kind: "new", missing: 19_999, after: 0 });
  assert.deepEqual(ids.missingIn(0, 20_000), { count: 9_999, from: 10_001, to: 19_999 });
  assert.equal(ids.accept(10_000).kind, "repeat");
  assert.equal(ids.accept(10_001).kind, "late");
});

Deno.test("TradeSequences applies its memory to every product and reports each product's missing ids", () => {
  const ids = new TradeSequences({ remember: 5 });
  ids.accept("BTC-USD", 1);
  ids.accept("BTC-USD", 20);
  ids.accept("ETH-USD", 1);
  ids.accept("ETH-USD", 3);
  assert.deepEqual(ids.missingIn("BTC-USD", 0, 100), { count: 4, from: 16, to: 19 });
  assert.deepEqual(ids.missingIn("ETH-USD", 0, 100), { count: 1, from: 2, to: 2 });
  assert.equal(ids.missingIn("BTC-USD", 0, 15), null);
  assert.equal(ids.missingIn("SOL-USD", 0, 100), null);
  assert.equal(ids.accept("BTC-USD", 15).kind, "repeat");
  assert.equal(ids.accept("BTC-USD", 16).kind, "late");
  assert.equal(ids.last("BTC-USD"), 20);
});
