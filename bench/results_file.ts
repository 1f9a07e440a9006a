/**
 * `bench/results.json` across runs: the keys each section writes, how a run with `--only`
 * updates the figures of an earlier one, and the file's mode (`full` only when every section in
 * it comes from a full run).
 *
 * @module
 */

/** The figures of `results.json`. */
export type Results = Record<string, unknown>;

/** Every section of the bench, in the order they run, and the keys of `results.json` it writes. */
export const SECTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  produce: ["produce", "produce_gzip"],
  consume: ["consume"],
  latency: ["latency_ms"],
  footprint: ["rss_mb", "startup_ms"],
  memory: ["memory"],
  http: ["http"],
  candles: ["candles", "candles_trades"],
  trades: ["trades"],
  repair: ["repair"],
  restart: ["restart"],
  replay: ["replay_candles"],
  scale: ["candles_scale"],
};

/** The sections whose figures the top-level `settings` describe. */
const THROUGHPUT = ["produce", "consume", "latency", "footprint", "memory"];

/**
 * The figures of a run that ran only some sections, over those of an earlier run: this run's
 * keys replace the earlier ones, the other sections stay, and the earlier `settings` stay unless
 * this run re-ran a section they describe.
 *
 * @param earlier The figures of `results.json` before this run (`{}` when there were none).
 * @param current This run's figures.
 * @param ran The sections this run ran.
 * @returns The figures to write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { merged } from "./results_file.ts";
 * const earlier = { settings: { messages: 200_000 }, http: { mode: "full" }, memory: { mode: "full" } };
 * const current = { settings: { messages: 50_000 }, http: { mode: "quick" } };
 * assert.deepEqual(merged(earlier, current, new Set(["http"])), {
 *   settings: { messages: 200_000 }, http: { mode: "quick" }, memory: { mode: "full" },
 * });
 * ```
 */
export function merged(earlier: Results, current: Results, ran: ReadonlySet<string>): Results {
  const out: Results = { ...earlier, ...current };
  if (earlier.settings !== undefined && !THROUGHPUT.some((name) => ran.has(name))) {
    out.settings = earlier.settings;
  }
  return out;
}

/**
 * The mode of the whole file: the mode every section in it shares (`full`, `quick`, `custom`),
 * or `mixed` when they differ or one has none.
 *
 * @param results The figures.
 * @returns The mode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileMode } from "./results_file.ts";
 * assert.equal(fileMode({ http: { mode: "full" }, memory: { mode: "full" } }), "full");
 * assert.equal(fileMode({ http: { mode: "quick" }, memory: { mode: "full" } }), "mixed");
 * assert.equal(fileMode({ http: { mode: "full" }, memory: {} }), "mixed");
 * ```
 */
export function fileMode(results: Results): string {
  const modes = Object.values(SECTION_KEYS).flat().filter((key) => key in results).map((key) =>
    (results[key] as { mode?: unknown } | null)?.mode
  );
  const first = modes[0];
  return typeof first === "string" && modes.every((m) => m === first) ? first : "mixed";
}
