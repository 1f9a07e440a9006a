/**
 * `FAULT_INJECT`: makes named actors throw on purpose, to watch the supervisor restart them in a
 * real process. Off by default.
 *
 * The value is a comma-separated list of `actor:every=N` (the actor throws on every N-th message
 * it receives: the N-th, the 2N-th, …) or `actor:SHARE` (it throws on that share of messages,
 * `0 < SHARE ≤ 1`, at random). The actor throws while holding the message (or the batch it
 * took), before handling it, so the supervisor hands it to the restarted actor; what it held
 * when it threw is let through when it comes back, so an injected fault never costs a message.
 * Only actors that read an inbox can be named: `encoder` and `publisher` for `produce`,
 * `printer` for `consume`, all three for `start`.
 *
 * @module
 */
import { ConfigError } from "./config_error.ts";
import type { Settings } from "./settings.ts";
import type { FaultInjection } from "./types.ts";
import { quoted } from "./values.ts";

/**
 * Parses `FAULT_INJECT`.
 *
 * @param name The variable.
 * @param raw Its text.
 * @param actors The actor names this command accepts.
 * @returns One entry per named actor.
 * @throws {ConfigError} For an unknown actor, a repeated one, or a bad rate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFaultInjection } from "./fault_injection.ts";
 * const actors = ["encoder", "publisher"];
 * assert.deepEqual(
 *   parseFaultInjection("FAULT_INJECT", "encoder:every=50,publisher:0.02", actors),
 *   [{ actor: "encoder", every: 50 }, { actor: "publisher", share: 0.02 }],
 * );
 * ```
 */
export function parseFaultInjection(
  name: string,
  raw: string,
  actors: readonly string[],
): FaultInjection[] {
  const bad = (what: string): never => {
    throw new ConfigError(
      `Invalid ${name}: ${what}; expected ACTOR:every=N or ACTOR:SHARE (0 < SHARE <= 1), comma-separated, ACTOR one of ${
        actors.join(", ")
      }, current value is ${quoted(raw)}`,
    );
  };
  const seen = new Set<string>();
  return raw.split(",").map((item) => {
    const match = /^\s*([a-z]+)\s*:\s*(?:every\s*=\s*(\S+?)|([^=\s]+))\s*$/.exec(item);
    if (!match) return bad(`cannot read ${quoted(item.trim())}`);
    const [, actor = "", everyRaw, shareRaw] = match;
    if (!actors.includes(actor)) return bad(`no actor named ${quoted(actor)}`);
    if (seen.has(actor)) return bad(`${actor} is named twice`);
    seen.add(actor);
    if (everyRaw !== undefined) {
      const every = /^\d+$/.test(everyRaw) ? Number(everyRaw) : NaN;
      if (!Number.isSafeInteger(every) || every < 1) {
        return bad(`every must be a whole number of at least 1 for ${actor}`);
      }
      return { actor, every };
    }
    const share = /^(\d+\.?\d*|\.\d+)$/.test(shareRaw ?? "") ? Number(shareRaw) : NaN;
    if (!(share > 0 && share <= 1)) {
      return bad(`the share for ${actor} must be above 0 and at most 1`);
    }
    return { actor, share };
  });
}

/**
 * Reads `FAULT_INJECT`, naming only actors of `actors`.
 *
 * @param s The settings.
 * @param actors The actor names the command accepts; none turns the variable off.
 * @returns One entry per named actor; empty when unset or the command has no such actors.
 * @throws {ConfigError} As {@linkcode parseFaultInjection}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadFaultInjection } from "./fault_injection.ts";
 * import { Settings } from "./settings.ts";
 * const s = new Settings(new Map(), () => "printer:every=3");
 * assert.deepEqual(loadFaultInjection(s, ["printer"]), [{ actor: "printer", every: 3 }]);
 * assert.deepEqual(loadFaultInjection(s, []), []);
 * ```
 */
export function loadFaultInjection(s: Settings, actors: readonly string[]): FaultInjection[] {
  const raw = s.optional("FAULT_INJECT");
  return raw === undefined || actors.length === 0
    ? []
    : parseFaultInjection("FAULT_INJECT", raw, actors);
}
