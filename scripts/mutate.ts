/**
 * Mutation testing of the pure core (`deno task mutate`): StrykerJS, run by Node through `npx`
 * at a pinned version, changes `market/` one mutant at a time and runs the unit tests and the
 * doc examples against each with `deno test` (its command runner; stryker.config.mjs). A mutant
 * no test notices has survived. The report goes to `reports/mutation/` (mutation.html,
 * mutation.json) and its summary — the score per file and every survivor — to
 * `reports/mutation/summary.md` and the console.
 *
 * ```sh
 * deno task mutate                                   # all of market/ (hours: docs/testing.md)
 * deno task mutate --only market/ewma.ts             # one file, or several, comma-separated
 * deno task mutate --only market/ewma.ts:100-117     # a range of lines of a file
 * deno task mutate --aggregator                      # actors/aggregator.ts instead, against the
 *                                                    # candle topology's tests (about 35 min)
 * deno task mutate --concurrency 2                   # test processes side by side (default 1)
 * ```
 *
 * Needs Node 20 or later and `npx` (npm), and the npm registry the first time.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** The StrykerJS release run: the newest that runs on Node 20. */
export const STRYKER = "@stryker-mutator/core@9.6.1";

/** Where Stryker's JSON report is written (stryker.config.mjs). */
export const REPORT_JSON = "reports/mutation/mutation.json";

/** Where the summary is written. */
export const SUMMARY_MD = "reports/mutation/summary.md";

/** Where the table of which tests load which file of market/ is written, for
 * scripts/mutant_tests.sh. */
export const TESTS_TSV = "reports/mutation/tests_by_file.tsv";

/**
 * Which modules load each file: for every file, the roots (test files, or files of `market/` whose
 * doc examples run) whose module graph holds it, the file itself always among them.
 *
 * @param graphs Each root and the files of its module graph, relative to the checkout.
 * @param files The files mutants are made of.
 * @returns Each file and its roots, in the order of `files`, the roots sorted.
 */
export function rootsByFile(
  graphs: ReadonlyMap<string, readonly string[]>,
  files: readonly string[],
): Map<string, string[]> {
  const roots = new Map<string, string[]>();
  for (const file of files) {
    const loading = new Set([file]);
    for (const [root, graph] of graphs) if (graph.includes(file)) loading.add(root);
    roots.set(file, [...loading].sort());
  }
  return roots;
}

/** The files of a module's graph inside the checkout `cwd`, relative to it (`deno info --json`). */
async function moduleGraph(root: string, cwd: string): Promise<string[]> {
  const out = await new Deno.Command("deno", { args: ["info", "--json", root], stdin: "null" })
    .output();
  if (!out.success) {
    throw new Error(`deno info ${root}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const prefix = `file://${cwd}/`;
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith(prefix)).map((s) =>
    s.slice(prefix.length)
  );
}

/** The `.ts` files under a folder, relative paths, sorted. */
async function tsFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await tsFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

/** Writes TESTS_TSV for the core's files and tests: a file, a tab, its roots separated by spaces. */
export async function writeTestsTable(): Promise<void> {
  const cwd = Deno.cwd();
  const files = await tsFiles("market");
  const roots = [
    ...files,
    ...(await tsFiles("tests/market")).filter((f) => f.endsWith("_test.ts")),
  ];
  const graphs = new Map<string, string[]>();
  for (const root of roots) graphs.set(root, await moduleGraph(root, cwd));
  const table = rootsByFile(graphs, files);
  await Deno.mkdir("reports/mutation", { recursive: true });
  await Deno.writeTextFile(
    TESTS_TSV,
    [...table].map(([file, loading]) => `${file}\t${loading.join(" ")}\n`).join(""),
  );
}

/** What Stryker says of one mutant, as its JSON report holds it. */
export interface MutantResult {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}

/** The part of Stryker's JSON report (mutation-testing-report-schema) the summary reads. */
export interface MutationReport {
  files: Record<string, { mutants: MutantResult[] }>;
}

/** The counts and score of one file, or of all. */
export interface Score {
  file: string;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Mutants that did not run: compile or runtime errors, ignored ones. */
  invalid: number;
  /** Detected (killed or timed out) out of those that ran, in percent; null when none ran. */
  score: number | null;
}

/** One mutant no test noticed. */
export interface Survivor {
  file: string;
  line: number;
  column: number;
  mutator: string;
  replacement: string;
}

function scoreOf(file: string, mutants: readonly MutantResult[]): Score {
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  const killed = count("Killed");
  const timeout = count("Timeout");
  const survived = count("Survived");
  const noCoverage = count("NoCoverage");
  const ran = killed + timeout + survived + noCoverage;
  return {
    file,
    killed,
    timeout,
    survived,
    noCoverage,
    invalid: mutants.length - ran,
    score: ran === 0 ? null : Math.round(((killed + timeout) / ran) * 10_000) / 100,
  };
}

/**
 * The scores, per file and in all, and the survivors of a report, as Stryker counts them: the
 * score is (killed + timed out) / (killed + timed out + survived + not covered).
 *
 * @param report Stryker's JSON report.
 * @returns The files' scores sorted by file, the total (file `all`), and the survivors in file
 * and line order.
 */
export function summarise(report: MutationReport): {
  files: Score[];
  total: Score;
  survivors: Survivor[];
} {
  const names = Object.keys(report.files).sort();
  const files = names.map((name) => scoreOf(name, report.files[name]!.mutants));
  const total = scoreOf("all", names.flatMap((name) => report.files[name]!.mutants));
  const survivors = names.flatMap((file) =>
    report.files[file]!.mutants
      .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
      .map((m) => ({
        file,
        line: m.location.start.line,
        column: m.location.start.column,
        mutator: m.mutatorName,
        replacement: (m.replacement ?? "").replace(/\s+/g, " ").slice(0, 80),
      }))
      .sort((a, b) => a.line - b.line || a.column - b.column)
  );
  return { files, total, survivors };
}

/**
 * The summary as Markdown: a table of scores and the list of survivors.
 *
 * @param report Stryker's JSON report.
 * @param date The day the run ended, `YYYY-MM-DD`.
 * @returns The text.
 */
export function summaryMarkdown(report: MutationReport, date: string): string {
  const { files, total, survivors } = summarise(report);
  const row = (s: Score) =>
    `| ${s.file} | ${
      s.score === null ? "–" : s.score.toFixed(2)
    } | ${s.killed} | ${s.timeout} | ${s.survived} | ${s.noCoverage} | ${s.invalid} |`;
  return [
    `# Mutation score, ${date}`,
    "",
    "| File | Score % | Killed | Timed out | Survived | No coverage | Invalid |",
    "| --- | --: | --: | --: | --: | --: | --: |",
    ...files.map(row),
    row(total),
    "",
    `## Survivors (${survivors.length})`,
    "",
    ...survivors.map((s) =>
      `- ${s.file}:${s.line}:${s.column} ${s.mutator}: \`${s.replacement.replaceAll("`", "'")}\``
    ),
    "",
  ].join("\n");
}

const USAGE =
  `Usage: deno task mutate [--only FILE[:LINES][,FILE…]] [--aggregator] [--concurrency N]`;

async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        only: { type: "string" },
        aggregator: { type: "boolean", default: false },
        concurrency: { type: "string", default: "1" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(
      `error: --concurrency must be a whole number of at least 1, not ${flags.concurrency}`,
    );
    return 2;
  }
  const only = (flags.only ?? "").split(",").map((f) => f.trim()).filter((f) => f !== "");
  for (const entry of only) {
    const file = entry.replace(/:\d+(?::\d+)?-\d+(?::\d+)?$/, "");
    const stat = await Deno.stat(file).catch(() => null);
    if (stat === null || !stat.isFile) {
      console.error(`error: --only: no file ${file}`);
      return 2;
    }
  }

  if (!flags.aggregator) {
    try {
      await writeTestsTable();
    } catch (e) {
      console.error(`error: could not read the tests' module graphs: ${(e as Error).message}`);
      return 1;
    }
  }
  const env: Record<string, string> = {
    MUTATE_TESTS: `${Deno.cwd()}/${TESTS_TSV}`,
    MUTATE_FILES: only.join(","),
    MUTATE_AGGREGATOR: flags.aggregator ? "1" : "0",
    MUTATE_CONCURRENCY: String(concurrency),
  };
  // A report left by an earlier run must not pass for this one's.
  await Deno.remove(REPORT_JSON).catch(() => {});
  let status;
  try {
    status = await new Deno.Command("npx", {
      args: ["--yes", STRYKER, "run", "stryker.config.mjs"],
      env,
      stdin: "null",
    }).spawn().status;
  } catch (e) {
    console.error(
      `error: could not run npx (Node 20 or later and npm are needed): ${(e as Error).message}`,
    );
    return 1;
  }

  let report: MutationReport;
  try {
    report = JSON.parse(await Deno.readTextFile(REPORT_JSON));
  } catch {
    console.error(`error: Stryker wrote no report to ${REPORT_JSON} (exit code ${status.code})`);
    return status.code || 1;
  }
  const summary = summaryMarkdown(report, new Date().toISOString().slice(0, 10));
  await Deno.writeTextFile(SUMMARY_MD, summary);
  console.log(
    `\n${summary}\nWritten to ${SUMMARY_MD}; the full report: reports/mutation/mutation.html`,
  );
  return status.code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
