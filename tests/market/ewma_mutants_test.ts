import assert from "node:assert/strict";
import { ewmaWeight } from "../../market/ewma.ts";

Deno.test("ewmaWeight() refuses a bad half-life with a message that names it", () => {
  for (const bad of [0, -2, Number.NaN, Infinity]) {
    assert.throws(
      () => ewmaWeight(bad),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === `The half-life must be a finite number greater than 0, not ${bad}`,
      String(bad),
    );
  }
});
