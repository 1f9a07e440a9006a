/**
 * kafkajs 2.2.4, which the tests, the fault suite and the benchmarks still use as an independent
 * client, arms a timer with a negative delay when it is not throttled (the runtime treats it as
 * 1 ms, and prints a TimeoutNegativeWarning about it). Importing this module keeps that one
 * warning off the console; every other warning is printed as before. The program itself no longer
 * uses kafkajs.
 *
 * @module
 */
import process from "node:process";

const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string })?.type;
  const name = warning instanceof Error ? warning.name : type;
  if (name === "TimeoutNegativeWarning") return;
  return (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
