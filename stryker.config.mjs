// StrykerJS on the pure core: each mutant of market/ (or, with MUTATE_AGGREGATOR=1, of
// actors/aggregator.ts) is run against the unit tests and the doc examples with `deno test`,
// through Stryker's command runner. `deno task mutate` (scripts/mutate.ts) sets the variables and
// summarises the report; docs/testing.md has the scores.
import process from "node:process";

const aggregator = process.env.MUTATE_AGGREGATOR === "1";
const only = (process.env.MUTATE_FILES ?? "").split(",").filter((file) => file !== "");

// The Aggregator is a run of its own, against the tests that drive it (the candle topology over
// the in-memory log and store): they take longer than the core's (15 s against 9 a run), and the
// core's tests do not reach it.
const mutate = only.length > 0 ? only : aggregator ? ["actors/aggregator.ts"] : ["market/**/*.ts"];
const tests = ["tests/actors/candle_topology_test.ts", "tests/actors/refused_records_test.ts"];

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "command",
  commandRunner: {
    // --no-check: the instrumented files are not type-correct, and type checking each mutant would
    // take longer than running it. The mutant to activate arrives in __STRYKER_ACTIVE_MUTANT__.
    // The core's mutants run only the tests that load their file (scripts/mutant_tests.sh).
    command: aggregator
      ? `deno test -q --no-check --parallel --allow-env=__STRYKER_ACTIVE_MUTANT__ ${
        tests.join(" ")
      }`
      : "bash scripts/mutant_tests.sh",
  },
  mutate,
  // The command runner cannot tell which test covers which mutant; scripts/mutant_tests.sh picks
  // the tests by file from the module graph instead.
  coverageAnalysis: "off",
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? "1"),
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  clearTextReporter: { allowColor: false, logTests: false },
  tempDirName: ".stryker-tmp",
  // What the sandbox does not need (the broker's and tools' folders, data, builds, reports).
  ignorePatterns: [
    ".kafka",
    ".tools",
    ".data",
    "dist",
    "coverage",
    "reports",
    "docs",
    "bench/*.json",
  ],
  thresholds: { high: 85, low: 70, break: null },
};
