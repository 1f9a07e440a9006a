/**
 * The gap repair and backfill section of `bench/RESULTS.md`.
 *
 * @module
 */

type Figures = Record<string, unknown>;

const num = (v: unknown, digits = 0) =>
  typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: digits }) : "n/a";

/**
 * Renders the repair figures of `results.json`, if it has them.
 *
 * @param results The figures.
 * @returns Markdown lines (none without repair figures).
 */
export function repairSection(results: Figures): string[] {
  const r = results.repair as Figures | undefined;
  if (!r) return [];
  const repair = r.repair as Figures;
  const backfill = r.backfill as Figures;
  return [
    "## Gap repair and backfill (`--source coinbase`)",
    "",
    `Run at ${r.generated_at}. The feed's stand-in (\`tests/support/coinbase_stub.ts\`, in the bench's process) serves its REST API as Coinbase does: pages of 1,000 trades, at most 10 requests a second, so 10,000 trades a second is the ceiling. In the bench's process, \`produce --source coinbase\`'s topology (TradeSource, Repairer, Publisher; acks=all, idempotent, 3 partitions).`,
    "",
    "| | trades | time | trades/s | REST requests |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| repair of one gap (from the trade that shows it to the last repaired trade acknowledged; median of ${
      num(repair.repetitions)
    }) | ${num(repair.gap)} | ${num(repair.seconds, 2)} s | ${num(repair.rate)} | ${
      num(repair.requests)
    } |`,
    `| backfill of ${
      num(backfill.hours)
    } h of one product at 3.5 trades/s (from the start to the last backfilled trade acknowledged) | ${
      num(backfill.trades)
    } | ${num(backfill.seconds, 1)} s | ${num(backfill.rate)} | ${num(backfill.requests)} |`,
    "",
    `Repair runs (trades/s): ${
      (repair.runs as number[] | undefined)?.map((x) => num(x)).join(", ") ?? "n/a"
    }. The backfill's requests are its pages of 1,000 trades and the few one-trade pages that find the span's start.`,
    "",
  ];
}

/**
 * The restart section of `bench/RESULTS.md`: restart to lag 0 with and without an instance id.
 *
 * @param results The figures.
 * @returns Markdown lines (none without restart figures).
 */
export function restartSection(results: Figures): string[] {
  const r = results.restart as Figures | undefined;
  if (!r) return [];
  return [
    "## Restart to lag 0 (`candles`, `kill -9`, started again at once)",
    "",
    `Run at ${r.generated_at}. \`candles\` aggregates half of a recording, is killed with \`kill -9\`, the other half is written, and the same command is started again at once: the time from that start to the group's committed offsets at the end of every partition (lag 0). Without an instance id the dead member keeps its partitions until its session times out (\`KAFKA_SESSION_TIMEOUT\`, 30 s).`,
    "",
    "| | restart to lag 0 |",
    "| --- | ---: |",
    `| \`--instance-id\` (static membership) | ${num(r.with_instance_id_s, 1)} s |`,
    `| no instance id | ${num(r.without_instance_id_s, 1)} s |`,
    "",
  ];
}
