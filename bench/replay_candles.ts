/**
 * What the candles cost end to end: the real `start --source replay:FILE --iterations 1` on the
 * embedded log (replay → Encoder → Publisher → embedded log → Subscriber → Printer, and with
 * candles the Aggregator → CandleSink → SQLite store in the scratch folder) against the same
 * command with `--no-candles`, each as a subprocess with this checkout's `deno task start` flags.
 * Wall time from spawn to exit, less the start-up and shut-down of the same command on a
 * one-line recording (as the embedded-log row does); `start` ends by itself once every price is
 * printed and aggregated.
 *
 * @module
 */
import { taskFlags } from "./baseline.ts";
import { candlePrices } from "./candles.ts";
import { median, round, say } from "./common.ts";

/** One variant's runs. */
interface Variant {
  gross: number[];
  base: number[];
}

async function timeStart(
  flags: string[],
  args: string[],
): Promise<number> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
    NO_COLOR: "1",
    LOG_LEVEL: "warning",
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  const started = performance.now();
  const out = await new Deno.Command("deno", {
    args: ["run", ...flags, "bin/start.ts", ...args],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`start ${args.join(" ")} failed: ${text}`);
  }
  return seconds;
}

/**
 * Runs `start` over a recording of `count` prices (100 symbols, one a second each, then one per
 * symbol two hours later that closes every window) with and without candles, alternated.
 *
 * @param scratch The bench's scratch folder (recordings and stores go there).
 * @param options Prices and repetitions.
 * @returns The figures for `results.json`.
 */
export async function replayCandles(
  scratch: string,
  options: { count: number; repetitions: number },
): Promise<Record<string, unknown>> {
  const data = candlePrices(options.count);
  const file = `${scratch}/replay-candles.jsonl`;
  const oneLine = `${scratch}/replay-candles-one.jsonl`;
  await Deno.writeTextFile(file, data.records.map((r) => r.value).join("\n") + "\n");
  await Deno.writeTextFile(oneLine, data.records[0]!.value + "\n");
  const messages = data.records.length;
  const flags = await taskFlags("start", "bin/start.ts", scratch);
  let stores = 0;
  const args = (recording: string, candles: boolean) => [
    "--no-http",
    "--source",
    `replay:${recording}`,
    "--iterations",
    "1",
    "--format",
    "json",
    ...(candles
      ? ["--store", `sqlite:${scratch}/replay-${stores++}.db`, "--idle-timeout", "3600"]
      : ["--no-candles"]),
  ];
  const variants: Record<"with_candles" | "without_candles", Variant> = {
    with_candles: { gross: [], base: [] },
    without_candles: { gross: [], base: [] },
  };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (let r = 0; r < options.repetitions; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    const line: string[] = [];
    for (const name of order) {
      const candles = name === "with_candles";
      const base = await timeStart(flags, args(oneLine, candles));
      const gross = await timeStart(flags, args(file, candles));
      variants[name].base.push(base);
      variants[name].gross.push(gross);
      line.push(
        `${name} ${(messages / (gross - base)).toFixed(0)}/s (${gross.toFixed(2)} s, start-up ${
          base.toFixed(2)
        } s)`,
      );
    }
    say(`replay ${messages} prices #${r + 1}: ${line.join("; ")}`);
  }
  const figures: Record<string, unknown> = { messages, symbols: 100, closing: data.closing };
  figures.repetitions = options.repetitions;
  for (const name of names) {
    const gross = median(variants[name].gross)!;
    const base = median(variants[name].base)!;
    figures[name] = round(messages / (gross - base));
    figures[`${name}_seconds`] = { gross: round(gross, 2), startup: round(base, 2) };
  }
  figures.runs = Object.fromEntries(
    names.map((name) => [
      name,
      variants[name].gross.map((g, i) => round(messages / (g - variants[name].base[i]!))),
    ]),
  );
  return figures;
}
