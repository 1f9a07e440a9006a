import assert from "node:assert/strict";
import {
  type MutantResult,
  rootsByFile,
  summarise,
  summaryMarkdown,
} from "../../scripts/mutate.ts";

const mutant = (status: string, line: number, replacement = "x"): MutantResult => ({
  mutatorName: "EqualityOperator",
  replacement,
  status,
  location: { start: { line, column: 3 } },
});

const report = {
  files: {
    "market/b.ts": {
      mutants: [
        mutant("Killed", 1),
        mutant("Killed", 2),
        mutant("Timeout", 3),
        mutant("Survived", 9, "a >=\n   b"),
        mutant("CompileError", 4),
      ],
    },
    "market/a.ts": {
      mutants: [mutant("NoCoverage", 7), mutant("Survived", 5), mutant("Killed", 1)],
    },
    "market/c.ts": { mutants: [mutant("Ignored", 1)] },
  },
};

Deno.test("summarise() scores detected over run mutants per file and in all, errors left out", () => {
  const { files, total, survivors } = summarise(report);
  assert.deepEqual(files.map((f) => [f.file, f.score]), [
    ["market/a.ts", 33.33], // 1 killed of 3 run
    ["market/b.ts", 75], // 2 killed and 1 timed out of 4 run; the compile error not counted
    ["market/c.ts", null], // none ran
  ]);
  assert.deepEqual(
    [total.killed, total.timeout, total.survived, total.noCoverage, total.invalid, total.score],
    [3, 1, 2, 1, 2, 57.14], // 4 of 7
  );
  assert.deepEqual(survivors.map((s) => `${s.file}:${s.line} ${s.replacement}`), [
    "market/a.ts:5 x",
    "market/a.ts:7 x",
    "market/b.ts:9 a >= b",
  ]);
});

Deno.test("summaryMarkdown() dates the scores and lists every survivor", () => {
  const text = summaryMarkdown(report, "2026-12-06");
  assert.match(text, /^# Mutation score, 2026-12-06\n/);
  assert.match(text, /\| market\/b\.ts \| 75\.00 \| 2 \| 1 \| 1 \| 0 \| 1 \|/);
  assert.match(text, /\| all \| 57\.14 \| 3 \| 1 \| 2 \| 1 \| 2 \|/);
  assert.match(text, /## Survivors \(3\)/);
  assert.match(text, /- market\/b\.ts:9:3 EqualityOperator: `a >= b`/);
});

Deno.test("rootsByFile() gives each file the roots whose graph holds it, itself always included", () => {
  const graphs = new Map([
    ["tests/market/a_test.ts", ["tests/market/a_test.ts", "market/a.ts", "market/b.ts"]],
    ["tests/market/c_test.ts", ["tests/market/c_test.ts", "market/c.ts", "market/b.ts"]],
    ["market/a.ts", ["market/a.ts", "market/b.ts"]],
    ["market/b.ts", ["market/b.ts"]],
    ["market/c.ts", ["market/c.ts", "market/b.ts"]],
    ["market/d.ts", ["market/d.ts"]],
  ]);
  const roots = rootsByFile(graphs, ["market/a.ts", "market/b.ts", "market/c.ts", "market/d.ts"]);
  assert.deepEqual(Object.fromEntries(roots), {
    "market/a.ts": ["market/a.ts", "tests/market/a_test.ts"],
    "market/b.ts": [
      "market/a.ts",
      "market/b.ts",
      "market/c.ts",
      "tests/market/a_test.ts",
      "tests/market/c_test.ts",
    ],
    "market/c.ts": ["market/c.ts", "tests/market/c_test.ts"],
    // Loaded by nothing else: its own doc examples only.
    "market/d.ts": ["market/d.ts"],
  });
});
