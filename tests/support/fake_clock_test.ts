import assert from "node:assert/strict";
import { FakeClock } from "../support/fake_clock.ts";

Deno.test("FakeClock.sleep() records the duration and advances virtual time", async () => {
  const clock = new FakeClock(1_000);
  assert.equal(clock.now(), 1_000);
  await clock.sleep(250);
  await clock.sleep(50);
  assert.equal(clock.now(), 1_300);
  assert.deepEqual(clock.sleeps, [250, 50]);
});

Deno.test("FakeClock.sleep() resolves only after a macrotask", async () => {
  const clock = new FakeClock();
  let resolved = false;
  const sleeping = clock.sleep(10).then(() => (resolved = true));
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(resolved, false);
  assert.equal(clock.now(), 0);
  await sleeping;
  assert.equal(resolved, true);
});

Deno.test("FakeClock.sleep() rejects with the signal's reason when aborted while sleeping", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(500, { signal: controller.signal });
  const reason = new Error("wake up");
  controller.abort(reason);
  await assert.rejects(sleeping, (error) => error === reason);
  assert.equal(clock.now(), 0);
  assert.deepEqual(clock.sleeps, [500]);
});

Deno.test("FakeClock.sleep() rejects at once with an already aborted signal", async () => {
  const clock = new FakeClock();
  const reason = new Error("too late");
  await assert.rejects(
    clock.sleep(500, { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
  assert.equal(clock.now(), 0);
  assert.deepEqual(clock.sleeps, []);
});
