/**
 * How prices and amounts are shown on the console.
 *
 * @module
 */

const twoDecimals = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** The quote currencies shown by their sign before the amount. */
const CURRENCY_SIGNS: Readonly<Record<string, string>> = {
  USD: "$",
  EUR: "€",
  GBP: "£",
  JPY: "¥",
};

/** A price's digits: two decimals with separators from 1 up, six significant digits below. */
function priceDigits(price: number): string {
  if (!Number.isFinite(price)) return String(price);
  if (Math.abs(price) >= 1 || price === 0) return twoDecimals.format(price);
  const decimals = Math.min(100, 5 - Math.floor(Math.log10(Math.abs(price))));
  let text = price.toFixed(decimals);
  text = text.replace(/0+$/, "");
  const [int, frac = ""] = text.split(".");
  return `${int}.${frac.padEnd(2, "0")}`;
}

/**
 * A USD price: two decimals with thousands separators from $1 up, six significant digits below.
 *
 * @param price The price in USD.
 * @returns The text, e.g. `$45,234.56` or `$0.000012345`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatUsd } from "./format.ts";
 * assert.equal(formatUsd(45234.56), "$45,234.56");
 * assert.equal(formatUsd(0.000012345), "$0.000012345");
 * ```
 */
export function formatUsd(price: number): string {
  return `$${priceDigits(price)}`;
}

/**
 * A price in its quote currency, with the digits of {@linkcode formatUsd}: after the currency's
 * sign for USD (`$`), EUR (`€`), GBP (`£`) and JPY (`¥`), else followed by the currency's code.
 *
 * @param price The price, in the quote currency.
 * @param quote The quote currency, `EUR`.
 * @returns The text, e.g. `€45,234.56` or `45,234.56 USDT`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPrice } from "./format.ts";
 * assert.deepEqual(formatPrice(45234.56, "EUR"), "€45,234.56");
 * assert.deepEqual(formatPrice(45234.56, "USDT"), "45,234.56 USDT");
 * assert.deepEqual(formatPrice(0.5, "USD"), "$0.50");
 * ```
 */
export function formatPrice(price: number, quote: string): string {
  const sign = CURRENCY_SIGNS[quote];
  return sign === undefined ? `${priceDigits(price)} ${quote}` : `${sign}${priceDigits(price)}`;
}

const volumeDigits = new Intl.NumberFormat("en-US", { maximumFractionDigits: 8 });

/**
 * An amount of the base currency (a volume), to at most eight decimals: `1.25`, `1,204.5`.
 *
 * @param amount The amount.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAmount } from "./format.ts";
 * assert.deepEqual(formatAmount(0.1 + 0.2), "0.3");
 * assert.deepEqual(formatAmount(1204.5), "1,204.5");
 * ```
 */
export function formatAmount(amount: number): string {
  return volumeDigits.format(amount);
}

/**
 * A USD amount rounded to whole dollars, `$28,456,789,012`; `n/a` when unknown.
 *
 * @param amount The amount, or null.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatWholeUsd } from "./format.ts";
 * assert.equal(formatWholeUsd(28456789012.34), "$28,456,789,012");
 * ```
 */
export function formatWholeUsd(amount: number | null): string {
  return amount === null ? "n/a" : `$${whole.format(amount)}`;
}

/**
 * A percentage change with its sign, `+2.34%`; `n/a` when unknown.
 *
 * @param change The change in percent, or null.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatChange } from "./format.ts";
 * assert.equal(formatChange(-1.5), "-1.50%");
 * ```
 */
export function formatChange(change: number | null): string {
  if (change === null) return "n/a";
  return `${change >= 0 ? "+" : ""}${change.toFixed(2)}%`;
}

/**
 * Seconds with two decimals, `1.23s`.
 *
 * @param ms Milliseconds.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSeconds } from "./format.ts";
 * assert.equal(formatSeconds(1234), "1.23s");
 * ```
 */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
