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
    "- **1a, broker outage while producing**: `produce --interval 0.3` runs on the stand-in",
    "  (`API_RATE_LIMIT_DELAY=0`); the broker is SIGKILLed and started again on the same data",
    "  20–30 s later. *fetched* is the summary's `Prices fetched`, *delivered* the distinct",
    "  `message_id`s read back from the topic, *lost* = fetched − delivered − dropped. Per-key",
    "  order is checked on the topic: the stand-in's `last_updated` grows with every request.",
    "- **1b, the same with `PRODUCER_BUFFER_SIZE=5`**: the outage outlasts the buffer. *dropped* is",
    "  the summary's `Dropped (buffer full)`; it must equal the `Buffer full` warnings logged, and",
    "  fetched = delivered + dropped.",
    "- **2, broker outage while consuming**: `consume --format json --group G --from-beginning`",
    "  reads a topic a producer is writing; the broker is SIGKILLed and restarted. *fetched* is",
    "  what is on the topic at the end, *delivered* the distinct ids the consumer printed, *lost*",
    "  the ids on the topic it never printed, *duplicated* the lines printed twice. Duplicates are",
    "  allowed up to one uncommitted batch: the consumer commits every 1 s, so the bound is what it",
    "  printed in the 2 s before the kill.",
    "- **3, consumer crash**: the consumer is SIGKILLed mid-stream and started again with the same",
    "  group; *delivered* is the union of both runs' ids, with the same duplicate bound.",
    "- *restarts* counts actor restarts the commands' supervisors logged (`restarted (attempt n)`);",
    "  *exit* is the exit code of the command under test when the scenario stopped it with SIGTERM.",
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
