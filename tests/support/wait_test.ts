import assert from "node:assert/strict";
import { settles, waitFor } from "./wait.ts";

Deno.test("waitFor() resolves once the predicate holds, async predicates included", async () => {
  let n = 0;
  const timer = setInterval(() => n++, 1);
  try {
    await waitFor(() => n >= 3, { message: "three ticks" });
    await waitFor(() => Promise.resolve(n >= 5), { message: "five ticks" });
  } finally {
    clearInterval(timer);
  }
  assert.ok(n >= 5);
});

Deno.test("waitFor() fails with what it waited for once the deadline passes, instead of hanging", async () => {
  await assert.rejects(
    waitFor(() => false, { message: "a record that never comes", timeoutMs: 30 }),
    { message: "Timed out after 30 ms waiting for a record that never comes" },
  );
});

Deno.test("waitFor() fails at once with the predicate's own error", async () => {
  await assert.rejects(
    waitFor(() => {
      throw new Error("broken");
    }, { message: "x" }),
    { message: "broken" },
  );
});

Deno.test("settles() gives the promise's value or error, or fails with what it waited for once the deadline passes", async () => {
  assert.equal(await settles(Promise.resolve(7), { message: "seven" }), 7);
  await assert.rejects(settles(Promise.reject(new Error("broken")), { message: "x" }), {
    message: "broken",
  });
  await assert.rejects(
    settles(new Promise(() => {}), { message: "an answer that never comes", timeoutMs: 30 }),
    { message: "Timed out after 30 ms waiting for an answer that never comes" },
  );
});
