import assert from "node:assert/strict";
import {
  formatAmount,
  formatChange,
  formatPrice,
  formatSeconds,
  formatUsd,
  formatWholeUsd,
} from "../../report/format.ts";

Deno.test("formatUsd() shows $1 and up with two decimals and thousands separators", () => {
  assert.equal(formatUsd(45234.56), "$45,234.56");
  assert.equal(formatUsd(3198.23), "$3,198.23");
  assert.equal(formatUsd(1), "$1.00");
  assert.equal(formatUsd(142.5), "$142.50");
  assert.equal(formatUsd(1234567.891), "$1,234,567.89");
});

Deno.test("formatUsd() shows prices below $1 with six significant digits", () => {
  assert.equal(formatUsd(0.000012345), "$0.000012345");
  assert.equal(formatUsd(0.45), "$0.45");
  assert.equal(formatUsd(0.081), "$0.081");
  assert.equal(formatUsd(0.123456789), "$0.123457");
  assert.equal(formatUsd(0.00001234567), "$0.0000123457");
});

Deno.test("formatUsd() never prints a tiny price in exponent notation", () => {
  assert.equal(formatUsd(1.23456789e-9), "$0.00000000123457");
  for (const price of [1e-7, 5.5e-12, 1.23456789e-9, 9.99e-20]) {
    const text = formatUsd(price);
    assert.doesNotMatch(text, /e/i, text);
    assert.match(text, /^\$0\.0*[1-9]\d{0,5}$/, text);
  }
});

Deno.test("formatUsd() rounds a price just below $1 to $1.00, not $1.0", () => {
  assert.equal(formatUsd(0.9999999), "$1.00");
});

Deno.test("formatWholeUsd() shows whole dollars with separators, n/a when unknown", () => {
  assert.equal(formatWholeUsd(28456789012.34), "$28,456,789,012");
  assert.equal(formatWholeUsd(0), "$0");
  assert.equal(formatWholeUsd(null), "n/a");
});

Deno.test("formatChange() shows a signed percentage with two decimals, n/a when unknown", () => {
  assert.equal(formatChange(2.34), "+2.34%");
  assert.equal(formatChange(-1.5), "-1.50%");
  assert.equal(formatChange(0), "+0.00%");
  assert.equal(formatChange(null), "n/a");
});

Deno.test("formatSeconds() shows seconds with two decimals", () => {
  assert.equal(formatSeconds(1234), "1.23s");
  assert.equal(formatSeconds(8770), "8.77s");
});

Deno.test("formatPrice() shows USD, EUR, GBP and JPY with their sign and other quotes by their code", () => {
  assert.equal(formatPrice(45234.56, "USD"), "$45,234.56");
  assert.equal(formatPrice(45234.56, "EUR"), "€45,234.56");
  assert.equal(formatPrice(0.000012345, "EUR"), "€0.000012345");
  assert.equal(formatPrice(1234.5, "GBP"), "£1,234.50");
  assert.equal(formatPrice(7_001_234, "JPY"), "¥7,001,234.00");
  assert.equal(formatPrice(45234.56, "USDT"), "45,234.56 USDT");
  assert.equal(formatPrice(0.05123, "BTC"), "0.05123 BTC");
  assert.ok(!formatPrice(45234.56, "EUR").includes("$"));
});

Deno.test("formatAmount() shows a volume to at most eight decimals, without float noise", () => {
  assert.equal(formatAmount(0.1 + 0.2), "0.3");
  assert.equal(formatAmount(1.25), "1.25");
  assert.equal(formatAmount(1204.123456789), "1,204.12345679");
  assert.equal(formatAmount(0), "0");
});
