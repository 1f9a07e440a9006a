import assert from "node:assert/strict";
import { SeenSet } from "../../market/seen_set.ts";

// 60,000 in base 36: 1·36³ + 10·36² + 10·36 + 24 → "1aao".
const MINUTE_36 = "1aao";

Deno.test("SeenSet.encode() writes the stored form: sorted by time then identity, time steps in base 36, the identity only when it is not the time", () => {
  const set = new SeenSet();
  set.add(7, 120_000);
  set.add(60_000, 60_000);
  set.add(-5, 60_000);
  assert.equal(set.encode(), `${MINUTE_36}:-5,0,${MINUTE_36}:7`);
  assert.equal(new SeenSet().encode(), "");
});

Deno.test("SeenSet.decode() reads the stored form back, the empty text as the empty set", () => {
  const set = SeenSet.decode(`${MINUTE_36}:-5,0,${MINUTE_36}:7`);
  assert.equal(set.size, 3);
  assert.ok(set.has(-5) && set.has(60_000) && set.has(7));
  assert.ok(!set.has(120_000));
  // Only identity 7 is as late as 120,000 ms; -5 and 60,000 are at 60,000 ms.
  assert.equal(set.pruneBefore(120_000), 2);
  assert.ok(set.has(7) && !set.has(-5) && !set.has(60_000));
  assert.equal(SeenSet.decode("").size, 0);
});

Deno.test("SeenSet.decode() refuses a bad time step or identity, naming the entry", () => {
  for (const [text, entry] of [["??:5", "??:5"], ["1aao,??", "??"], ["1aao:??", "1aao:??"]]) {
    assert.throws(
      () => SeenSet.decode(text!),
      (e: unknown) => e instanceof SyntaxError && e.message === `Invalid seen-set entry: ${entry}`,
      text,
    );
  }
});

Deno.test("SeenSet.pruneBefore() keeps an identity whose time is the bound, and counts only those let go", () => {
  const set = new SeenSet();
  set.add(1, 1_000);
  set.add(2, 2_000);
  set.add(3, 3_000);
  assert.equal(set.pruneBefore(2_000), 1);
  assert.equal(set.pruneBefore(2_000), 0);
  assert.deepEqual([set.has(1), set.has(2), set.has(3), set.size], [false, true, true, 2]);
});

Deno.test("SeenSet.encode() of a set pruned empty is empty, and what is added after counts its time from 0", () => {
  const set = new SeenSet();
  set.add(1, 1_000);
  set.add(2, 2_000);
  assert.equal(set.pruneBefore(5_000), 2);
  assert.equal(set.encode(), "");
  // 3,000 in base 36 is 2·36² + 11·36 + 12: "2bc".
  set.add(3, 3_000);
  assert.equal(set.encode(), "2bc:3");
});
