/**
 * The layer check of `deno task check`: `market/` is the pure core — values in, values out,
 * never a log line — so a file under it imports only other files under `market/`, and the
 * `Clock` type of `runtime/delay.ts` (as `import type`). Anything else (the store, Kafka, the
 * actors, the sources, HTTP, the configuration, the reports, the commands, or any package) is
 * reported, one line per import, and the check fails.
 *
 * ```sh
 * deno run --allow-read scripts/check_layers.ts [ROOT]
 * ```
 *
 * @module
 */
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder kept pure, relative to the root. */
export const CORE = "market";

/** What a core file may import besides the core, and only as `import type`. */
const TYPE_ONLY = new Set(["runtime/delay.ts"]);

// Top-level import and re-export declarations, one or more lines each; side-effect imports; and
// dynamic imports. Declarations start a line, so the examples inside JSDoc (` * import …`) are
// not taken for the file's own.
const DECLARATION =
  /^(import|export)(\s+type)?\s+(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s*from\s*["']([^"']+)["']/gm;
const SIDE_EFFECT = /^import\s*["']([^"']+)["']/gm;
const DYNAMIC = /^(?!\s*(?:\*|\/\/)).*?\bimport\s*\(\s*["']([^"']+)["']/gm;

/** One import a core file must not have. */
export interface Offence {
  /** The file, relative to the root, with `/` separators. */
  file: string;
  /** The line of the import, from 1. */
  line: number;
  /** What it imports, as written. */
  specifier: string;
  /** Where that is: a path relative to the root, or the package. */
  target: string;
}

/**
 * Lists the imports of one file's text, with where each leads.
 *
 * @param file The file, relative to the root.
 * @param text Its text.
 * @returns Each import: its line, its specifier, whether it is `import type`, and its target.
 */
export function importsOf(
  file: string,
  text: string,
): { line: number; specifier: string; typeOnly: boolean; target: string }[] {
  const found: { index: number; specifier: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(DECLARATION)) {
    found.push({ index: m.index, specifier: m[3]!, typeOnly: m[1] === "import" && !!m[2] });
  }
  for (const m of text.matchAll(SIDE_EFFECT)) {
    found.push({ index: m.index, specifier: m[1]!, typeOnly: false });
  }
  for (const m of text.matchAll(DYNAMIC)) {
    found.push({ index: m.index, specifier: m[1]!, typeOnly: false });
  }
  return found.sort((a, b) => a.index - b.index).map(({ index, specifier, typeOnly }) => ({
    line: text.slice(0, index).split("\n").length,
    specifier,
    typeOnly,
    target: specifier.startsWith(".")
      ? normalize(join(dirname(file), specifier)).replaceAll("\\", "/")
      : specifier,
  }));
}

/**
 * Whether an import of a core file is allowed.
 *
 * @param target Where it leads (see {@linkcode importsOf}).
 * @param typeOnly Whether it is `import type`.
 */
function allowed(target: string, typeOnly: boolean): boolean {
  if (target.startsWith(`${CORE}/`)) return true;
  return TYPE_ONLY.has(target) && typeOnly;
}

async function* sourceFiles(root: string, dir: string): AsyncGenerator<string> {
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(join(root, dir))) entries.push(entry);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(root, path);
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name)) yield path;
  }
}

/**
 * Finds every import under the core that leads out of it.
 *
 * @param root The repository's root.
 * @returns The offences, by file and line.
 *
 * @example
 * ```ts
 * import { checkLayers } from "./check_layers.ts";
 * console.log(await checkLayers(".")); // []
 * ```
 */
export async function checkLayers(root: string): Promise<Offence[]> {
  const offences: Offence[] = [];
  for await (const file of sourceFiles(root, CORE)) {
    const text = await Deno.readTextFile(join(root, file));
    for (const { line, specifier, typeOnly, target } of importsOf(file, text)) {
      if (!allowed(target, typeOnly)) offences.push({ file, line, specifier, target });
    }
  }
  return offences;
}

/**
 * The line an offence is reported as.
 *
 * @example
 * ```ts
 * import { describeOffence } from "./check_layers.ts";
 * console.log(describeOffence({ file: "market/a.ts", line: 3, specifier: "../store/b.ts", target: "store/b.ts" }));
 * // market/a.ts:3 imports "../store/b.ts" (store/b.ts): market/ imports only market/ and the Clock type of runtime/delay.ts
 * ```
 */
export function describeOffence(offence: Offence): string {
  return `${offence.file}:${offence.line} imports "${offence.specifier}" (${offence.target}): ` +
    `${CORE}/ imports only ${CORE}/ and the Clock type of runtime/delay.ts`;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? fileURLToPath(new URL("..", import.meta.url));
  const offences = await checkLayers(root);
  for (const offence of offences) console.error(describeOffence(offence));
  if (offences.length > 0) Deno.exit(1);
}
