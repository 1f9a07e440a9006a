/**
 * The banner line of `--backfill` in `produce` and `start`.
 *
 * @module
 */
import type { ProducerConfig } from "../config/config.ts";

/**
 * What a backfill reads, before going live.
 *
 * @param config The producing side's configuration, with a backfill.
 * @returns The line: `Backfill: the past 1h of trades through https://…, then live`.
 *
 * @example
 * ```ts ignore
 * print(backfillLine(config)); // Backfill: the past 1h of trades through https://api.exchange.coinbase.com, then live
 * ```
 */
export function backfillLine(config: ProducerConfig): string {
  const ms = config.backfillMs ?? 0;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  const span = `${hours > 0 ? `${hours}h` : ""}${minutes > 0 ? `${minutes}m` : ""}${
    seconds > 0 ? `${seconds}s` : ""
  }`;
  return config.source.kind === "coinbase"
    ? `Backfill: the past ${span} of trades through ${config.coinbase.restUrl}, then live`
    : `Backfill: the past ${span} of prices from CoinGecko's charts, then live`;
}
