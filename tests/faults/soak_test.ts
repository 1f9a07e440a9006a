import assert from "node:assert/strict";
import { PERMISSIONS } from "../../faults/command.ts";
import { sampleProcess, soak, soakCsv, summarizeSeries } from "../../faults/soak.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

Deno.test("sampleProcess reads this process's resident memory and sees a descriptor opened", async () => {
  const before = await sampleProcess(Deno.pid);
  assert.ok(before !== null);
  assert.ok(before.rssKiB > 1024, `RSS ${before.rssKiB} KiB`);
  assert.ok(before.anonKiB > 0 && before.fileKiB > 0);
  assert.ok(Math.abs(before.anonKiB + before.fileKiB - before.rssKiB) < 1024);
  // Other tests' clients may open or close descriptors meanwhile: one clean try of a few suffices.
  const tries: string[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const ahead = (await sampleProcess(Deno.pid))!;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const during = (await sampleProcess(Deno.pid))!;
      tries.push(
        `fds ${ahead.fds} -> ${during.fds}, sockets ${ahead.sockets} -> ${during.sockets}`,
      );
      if (during.fds === ahead.fds + 1 && during.sockets === ahead.sockets + 1) return;
    } finally {
      listener.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`a listener opened was not seen: ${tries.join("; ")}`);
});

Deno.test("sampleProcess answers null for a process that is gone", async () => {
  const child = new Deno.Command("deno", { args: ["--version"], stdout: "null" }).spawn();
  await child.status;
  assert.equal(await sampleProcess(child.pid), null);
});

Deno.test("summarizeSeries takes medians after the warm-up and over the closing window", () => {
  // A garbage collection dip at 62 s and a spike at 96 s decide neither window.
  const rss = new Map([[58, 50], [60, 100], [62, 40], [64, 102], [90, 300], [94, 104], [96, 500], [
    98,
    106,
  ]]);
  const samples = [...rss].map(([at, v]) => ({ at, v }));
  const s = summarizeSeries(samples, (x) => x.v, 60, 6);
  assert.deepEqual(s, { base: 100, max: 500, end: 106 });
  const missing = summarizeSeries(samples, () => null, 60, 6);
  assert.ok(Number.isNaN(missing.base) && Number.isNaN(missing.end));
});

Deno.test("soakCsv writes one row per sample, empty cells for a process not read", () => {
  const csv = soakCsv([
    { at: 0, produce: { rssKiB: 5, anonKiB: 3, fileKiB: 2, fds: 4, sockets: 1 }, consume: null },
  ]);
  assert.equal(
    csv,
    "seconds,produce_rss_kib,produce_anon_kib,produce_file_kib,produce_fds,produce_sockets," +
      "consume_rss_kib,consume_anon_kib,consume_file_kib,consume_fds,consume_sockets\n" +
      "0.0,5,3,2,4,1,,,,,\n",
  );
});

kafkaTest(
  "soak, short form: produce and consume for 45 s, descriptors do not grow, nothing lost",
  async () => {
    const result = await runQuickScenario(soak);
    assert.ok(result.measured.fetched > 100, `only ${result.measured.fetched} fetched`);
    assert.equal(result.measured.delivered, result.measured.fetched);
  },
);

Deno.test("the fault suite starts each command with its task's V8 flags and permissions", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (const name of ["produce", "consume", "start", "lag", "candles"]) {
    const words: string[] = config.tasks[name].command.split(" ");
    const flags = words.slice(words.indexOf("--env-file") + 1, words.indexOf(`bin/${name}.ts`));
    if (name !== "lag") {
      assert.ok(flags.includes("--v8-flags=--max-semi-space-size=2"), `${name}: ${flags}`);
    }
    assert.deepEqual(PERMISSIONS[name], flags);
  }
});
