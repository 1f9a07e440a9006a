/**
 * Writes docs/RELIABILITY.md from a run's results.
 *
 * @module
 */
import type { ScenarioResult } from "./scenario.ts";

/** A scenario's row: its result, or the error that stopped it. */
export interface Row {
  /** Scenario id. */
  id: string;
  /** The result, when it ran to the end. */
  result: ScenarioResult | null;
  /** What stopped it, when it did not. */
  error: string | null;
  /** Seconds it took. */
  seconds: number;
}

/**
 * Whether a row passed: it ran to the end and every check held.
 *
 * @param row The row.
 * @returns True when it passed.
 */
export function passed(row: Row): boolean {
  return row.result !== null && row.result.checks.every((c) => c.ok);
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/**
 * The report's Markdown.
 *
 * @param rows One per scenario.
 * @param run When, where and how long.
 * @returns The Markdown.
 */
export function renderReport(
  rows: readonly Row[],
  run: { startedAt: Date; seconds: number; brokers: string; kafka: string },
): string {
  const lines = [
    "# Reliability: the fault suite",
    "",
    "Written by `deno task faults` (see `faults/main.ts`): each scenario runs the real commands",
    "(`bin/produce.ts`, `bin/consume.ts`, with their tasks' permissions) as subprocesses against a",
    "real single-node Kafka broker and the local CoinGecko stand-in, injects one fault, and",
    "measures by reading the topic back with a plain kafkajs consumer and by parsing what the",
    "commands printed.",
    "",
    `Run: ${run.startedAt.toISOString()}, ${
      Math.round(run.seconds)
    } s, broker ${run.brokers} (${run.kafka}), ${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno}.`,
    "",
    "| # | scenario | injected | expected | fetched | delivered | lost | duplicated | dropped | restarts | exit | result |",
    "| - | -------- | -------- | -------- | ------: | --------: | ---: | ---------: | ------: | -------: | ---: | ------ |",
  ];
  for (const row of rows) {
    const r = row.result;
    if (!r) {
      lines.push(`| ${row.id} | — | — | — | — | — | — | — | — | — | — | FAIL (did not finish) |`);
      continue;
    }
    const m = r.measured;
    lines.push(
      `| ${r.id} | ${cell(r.title)} | ${cell(r.injected)} | ${
        cell(r.expected)
      } | ${m.fetched} | ${m.delivered} | ${m.lost} | ${m.duplicated} | ${m.dropped} | ${m.restarts} | ${
        m.exitCode ?? "—"
      } | ${passed(row) ? "PASS" : "FAIL"} |`,
    );
  }
  lines.push(
    "",
    "## What each row means",
    "",
    ...rows.flatMap((row) => row.result ? [`- **${row.id}**: ${row.result.explanation}`] : []),
    "- *restarts* counts actor restarts the commands' supervisors logged (`restarted (attempt n)`);",
    "  *exit* is the exit code of the command under test at the end of the scenario.",
    "",
    "## Checks and notes",
    "",
  );
  for (const row of rows) {
    lines.push(
      `### ${row.id}${row.result ? `: ${row.result.title}` : ""} (${Math.round(row.seconds)} s)`,
      "",
    );
    if (row.error) lines.push("Did not finish:", "", "```", row.error, "```", "");
    for (const c of row.result?.checks ?? []) {
      lines.push(`- ${c.ok ? "ok" : "**FAILED**"}: ${c.what} — ${c.detail}`);
    }
    for (const note of row.result?.notes ?? []) lines.push(`- note: ${note}`);
    lines.push("");
  }
  return lines.join("\n");
}
