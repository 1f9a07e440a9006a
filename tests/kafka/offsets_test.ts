import assert from "node:assert/strict";
import { Offsets } from "../../kafka/offsets.ts";

Deno.test("Offsets counts up from a partition's base offset", () => {
  const offsets = new Offsets("41");
  assert.deepEqual([offsets.next(), offsets.next(), offsets.next()], ["41", "42", "43"]);
});

Deno.test("Offsets stays exact past the largest exact double", () => {
  const base = 2n ** 53n - 1_000_002n;
  const offsets = new Offsets(base.toString());
  const got = Array.from({ length: 2_000_010 }, () => offsets.next());
  got.forEach((offset, i) => {
    if (i % 100_000 === 0 || i > 1_999_990) assert.equal(offset, (base + BigInt(i)).toString());
  });
  assert.equal(got.at(-1), (base + 2_000_009n).toString());
  assert.equal(new Offsets("9223372036854775806").next(), "9223372036854775806");
});

Deno.test("Offsets takes the client's BigInt base offset as it is", () => {
  const offsets = new Offsets(2n ** 63n - 2n);
  assert.deepEqual([offsets.next(), offsets.next()], [
    "9223372036854775806",
    "9223372036854775807",
  ]);
  assert.deepEqual([new Offsets(0n).next()], ["0"]);
});
