import assert from "node:assert/strict";
import { renderReport } from "../../bench/report.ts";

const base = {
  generated_at: "2026-01-01T00:00:00.000Z",
  brokers: "127.0.0.1:9092",
  machine: { cpus: 2 },
  versions: { deno: "2" },
  settings: { repetitions: 1, messages: 1000, value_bytes: 267 },
};

Deno.test("renderReport() shows the cache-off API against the bare query server, with its target", () => {
  const text = renderReport({
    ...base,
    mode: "full",
    http: {
      mode: "full",
      candles_500: {
        app: { rps: 8000, p99_ms: 10 },
        bare: { rps: 10000, p99_ms: 9 },
        app_nocache: { rps: 300, p99_ms: 200 },
        bare_query: { rps: 400, p99_ms: 150 },
      },
    },
  }, "");
  assert.match(text, /\| 300 \(200 ms\) \| 400 \(150 ms\) \| 0\.75 \|/);
  assert.match(text, /cache off, req\/s ≥ 0\.7 × bare query server \| 0\.75 \| met \|/);
  assert.match(text, /^From the run of `deno task bench` at 2026-01-01T00:00:00.000Z/m);
});

Deno.test("renderReport() shows the replay with and without candles and the scale rows, with their targets", () => {
  const text = renderReport({
    ...base,
    mode: "quick",
    replay_candles: {
      mode: "quick",
      messages: 100_000,
      symbols: 100,
      repetitions: 1,
      with_candles: 30_000,
      without_candles: 50_000,
      with_candles_seconds: { gross: 4, startup: 0.8 },
      without_candles_seconds: { gross: 2.8, startup: 0.8 },
    },
    candles_scale: {
      mode: "quick",
      messages: 100_000,
      repetitions: 1,
      intervals: ["1m"],
      rss_every_ms: 50,
      markets_10: 50_000,
      markets_1000: 45_000,
      rss_mb_10: 120,
      rss_mb_1000: 320,
    },
  }, "");
  assert.match(text, /With candles ÷ without: 0\.60 — target ≥ 0\.7: \*\*missed\*\*/);
  assert.match(text, /\| 1,000 \| 45,000 \| 320 MB \|/);
  assert.match(text, /1,000 markets ÷ 10: 0\.90 — target ≥ 0\.8: met/);
  assert.match(text, /320 MB — target ≤ 300 MB: \*\*missed\*\*/);
  assert.match(text, /^From the run of `deno task bench --quick`/m);
});

Deno.test("renderReport() names each section's run when the file holds several", () => {
  const text = renderReport({
    ...base,
    mode: "mixed",
    memory: { mode: "full", generated_at: "2026-01-01T00:00:00.000Z" },
    http: { mode: "quick", generated_at: "2026-01-02T00:00:00.000Z" },
  }, "").replaceAll("\n", " ");
  assert.match(text, /From several runs of `deno task bench`/);
  assert.match(text, /embedded log full at 2026-01-01T00:00:00.000Z; HTTP quick at 2026-01-02/);
});
