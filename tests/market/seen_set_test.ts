import assert from "node:assert/strict";
import { SeenSet } from "../../market/seen_set.ts";

/** The stored form of entries, written here from its definition: sorted, base-36 time steps. */
function expectedText(entries: Map<number, number>): string {
  let previous = 0;
  return [...entries].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([id, time]) => {
    const step = (time - previous).toString(36);
    previous = time;
    return id === time ? step : `${step}:${id.toString(36)}`;
  }).join(",");
}

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

Deno.test("SeenSet.encode() after any mix of in-order adds, late adds, repeats and prunes is the stored form of what is kept", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed);
    const set = new SeenSet();
    const model = new Map<number, number>();
    let time = 1_700_000_000_000;
    for (let step = 0; step < 400; step++) {
      const roll = next();
      if (roll < 0.6) {
        // Mostly forward in time, now and then at the same time, prices (id = time) and trades.
        time += Math.floor(next() * 3) * 1_000;
        const id = next() < 0.5 ? time : -(Math.floor(next() * 50) + 1);
        if (!model.has(id)) (set.add(id, time), model.set(id, time));
      } else if (roll < 0.75) {
        const late = time - Math.floor(next() * 20) * 1_000;
        const id = next() < 0.5 ? late : -(Math.floor(next() * 50) + 1);
        if (!model.has(id)) (set.add(id, late), model.set(id, late));
      } else if (roll < 0.85) {
        const cut = time - Math.floor(next() * 30) * 1_000;
        let expected = 0;
        for (const [id, t] of model) if (t < cut) (model.delete(id), expected++);
        assert.equal(set.pruneBefore(cut), expected, `seed ${seed}, step ${step}: pruned`);
      } else {
        assert.equal(set.encode(), expectedText(model), `seed ${seed}, step ${step}`);
      }
    }
    assert.equal(set.encode(), expectedText(model), `seed ${seed}: at the end`);
    assert.equal(SeenSet.decode(set.encode()).encode(), expectedText(model));
    assert.equal(set.size, model.size);
  }
});

Deno.test("SeenSet.decode() of a text written out of order gives the sorted stored form", () => {
  // 2 s, then 1 s (a step back of 1 s), then 3 s.
  const set = SeenSet.decode("1jk,-rs,1jk");
  assert.equal(
    set.encode(),
    expectedText(new Map([[1_000, 1_000], [2_000, 2_000], [3_000, 3_000]])),
  );
});
