import assert from "node:assert/strict";
import { IsoTimes } from "../../../market/messages/iso_times.ts";

Deno.test("IsoTimes.format() writes what toISOString writes, in order and out of it", () => {
  const times = new IsoTimes();
  const stamps = [0, 1, 999, 1000, 1000.7, 1001, 59_999, 60_000, -1, -1.7, -1000, 1.5, 0];
  let seed = 42;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const base = 1_763_000_000_000 + (seed % 5_000_000);
    stamps.push(base, base + 1, base + (seed % 1000) / 7, base - 999);
  }
  stamps.push(253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001, 8.64e15);
  for (const ms of stamps) assert.equal(times.format(ms), new Date(ms).toISOString(), String(ms));
});

Deno.test("IsoTimes.format() pads the milliseconds to three digits at 9, 10, 99 and 100", () => {
  const times = new IsoTimes();
  assert.deepEqual([9, 10, 99, 100, 1_010].map((ms) => times.format(ms)), [
    "1970-01-01T00:00:00.009Z",
    "1970-01-01T00:00:00.010Z",
    "1970-01-01T00:00:00.099Z",
    "1970-01-01T00:00:00.100Z",
    "1970-01-01T00:00:01.010Z",
  ]);
});
