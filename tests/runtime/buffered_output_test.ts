import assert from "node:assert/strict";
import { bufferedOutput } from "../../runtime/buffered_output.ts";

const decoder = new TextDecoder();

Deno.test("bufferedOutput() writes a burst of lines in one write, in order, within the turn", async () => {
  const writes: string[] = [];
  const output = bufferedOutput((bytes) => writes.push(decoder.decode(bytes)));
  for (let i = 1; i <= 5; i++) output.print(`Message #${i}`);
  assert.deepEqual(writes, [], "written before the burst was over");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(writes, ["Message #1\nMessage #2\nMessage #3\nMessage #4\nMessage #5\n"]);
});

Deno.test("bufferedOutput() writes at once once 64 KiB have gathered", () => {
  const writes: string[] = [];
  const output = bufferedOutput((bytes) => writes.push(decoder.decode(bytes)));
  output.print("x".repeat(70_000));
  assert.equal(writes.length, 1);
  output.flush();
  assert.equal(writes.length, 1, "an empty flush wrote something");
});

Deno.test("bufferedOutput() writes every character of long and non-ASCII lines, write after write", () => {
  const writes: string[] = [];
  const output = bufferedOutput((bytes) => writes.push(decoder.decode(bytes)));
  const lines = ["é".repeat(90_000), "€ 1", "x".repeat(66_000), "日本 2", "ü".repeat(40_000)];
  for (const line of lines) output.print(line);
  output.flush();
  assert.equal(writes.join(""), lines.join("\n") + "\n");
  assert.ok(writes.length >= 3, `${writes.length} writes`);
});
