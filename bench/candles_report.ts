/**
 * The candle section of `bench/RESULTS.md`.
 *
 * @module
 */

type Figures = Record<string, unknown>;

const num = (v: unknown, digits = 0) =>
  typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: digits }) : "n/a";
const ratio = (a: unknown, b: unknown) =>
  typeof a === "number" && typeof b === "number" && b > 0 ? (a / b).toFixed(2) : "n/a";
const verdict = (ok: boolean | null) => ok === null ? "n/a" : ok ? "met" : "**missed**";

/**
 * Renders the candle figures of `results.json`, if it has them.
 *
 * @param results The figures.
 * @returns Markdown lines (none without candle figures).
 */
export function candlesSection(results: Figures): string[] {
  const c = results.candles as Figures | undefined;
  if (!c) return [];
  const upsert = c.upsert as Figures;
  const latency = c.close_latency_ms as Figures;
  const sqliteRatio = ratio(c.sqlite, c.consume);
  const pgRatio = ratio(c.postgres, c.consume);
  const p99 = typeof latency.p99 === "number" ? latency.p99 : null;
  return [
    "## Candles",
    "",
    `Run at ${c.generated_at}: \`candles --from-beginning\` (in process, exactly its topology: Subscriber → Aggregator → CandleSink → store, the candle topic's publisher and the Committer) over one topic of ${
      num(c.messages)
    } prices of ${
      num(c.symbols)
    } symbols (one a second each; intervals 1m, 5m, 15m, 1h), against the pipeline's plain consume (\`consume --format json\` to /dev/null) of the same topic, alternated; medians of ${
      num(c.repetitions)
    } run(s), from the first record handed on to the last write (candles) or line (consume).`,
    "",
    "| | prices/s | ratio to consume | target |",
    "| --- | ---: | ---: | --- |",
    `| consume (plain) | ${num(c.consume)} | 1.00 | |`,
    `| candles → SQLite | ${num(c.sqlite)} | ${sqliteRatio} | ≥ 0.8: ${
      verdict(sqliteRatio === "n/a" ? null : Number(sqliteRatio) >= 0.8)
    } |`,
    `| candles → PostgreSQL | ${num(c.postgres)} | ${pgRatio} | ≥ 0.8: ${
      verdict(pgRatio === "n/a" ? null : Number(pgRatio) >= 0.8)
    } |`,
    "",
    `Store upserts (${
      num(upsert.rows)
    } candle rows, writes of 5,000 as the sink batches them) against PostgreSQL's own \`COPY … FROM STDIN\` of the same rows: upsert ${
      num(upsert.postgres)
    } rows/s, COPY ${num(upsert.copy)} rows/s (${
      ratio(upsert.postgres, upsert.copy)
    } of the ceiling); SQLite upserts ${num(upsert.sqlite)} rows/s.`,
    "",
    `Close to readable (20 symbols, event time one second ahead every 20 ms, 1m candles into SQLite; from the send of the price that moved the watermark past a window's end to the store's answer to the write with the closed row, Kafka's transit included): p50 ${
      num(latency.p50, 1)
    } ms, p99 ${num(latency.p99, 1)} ms, max ${num(latency.max, 1)} ms over ${
      num(latency.samples)
    } candles — target p99 ≤ 250 ms: ${verdict(p99 === null ? null : p99 <= 250)}.`,
    "",
  ];
}
