/**
 * `deno task lag`: a consumer group's committed offset, end offset and lag per partition.
 *
 * @module
 */
import { lagCommand, loadLagConfig } from "../config/lag.ts";
import { setupLogging } from "../config/logging.ts";
import { fetchLag } from "../kafka/lag.ts";
import { BrokerUnreachableError } from "../kafka/transport.ts";
import { loadCommand } from "./shell/command.ts";
import { print } from "./shell/console.ts";
import { describeFatal, fail } from "./shell/exit.ts";

const config = loadCommand(lagCommand, loadLagConfig);
await setupLogging(config.log);

try {
  const partitions = await fetchLag(config.kafka, {
    group: config.group,
    topic: config.kafka.topic,
  });
  print(`Consumer group: ${config.group}`);
  print(`Topic: ${config.kafka.topic}`);
  const rows = [
    ["PARTITION", "COMMITTED", "END", "LAG"],
    ...partitions.map((p) => [
      String(p.partition),
      p.committed ?? "-",
      p.end,
      String(p.lag),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) print(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
  print(`Total lag: ${partitions.reduce((sum, p) => sum + p.lag, 0)}`);
} catch (error) {
  if (error instanceof BrokerUnreachableError) {
    fail(`${error.message}. Start a local broker with \`deno task kafka:up\``, 1);
  }
  fail(describeFatal(error), 1);
}
Deno.exit(0);
