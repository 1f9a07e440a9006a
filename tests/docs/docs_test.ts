import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";

const README = "README.md";

/** The Markdown pages of docs/, as paths from the checkout. */
async function pages(): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir("docs")) {
    if (entry.isFile && entry.name.endsWith(".md")) found.push(`docs/${entry.name}`);
  }
  return found.sort();
}

/** The text outside fenced code blocks, where links and headings are. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a page's headings. */
function anchors(markdown: string): Set<string> {
  return new Set([...prose(markdown).matchAll(/^#{1,6} (.+)$/gm)].map(([, h]) => anchor(h!)));
}

/** The page's links to files of the checkout, `path#anchor` resolved from the page's folder. */
function localLinks(page: string, markdown: string): { target: string; hash: string | null }[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, link]) => link!)
    .filter((link) => !/^[a-z]+:/.test(link))
    .map((link) => {
      const [path, hash] = link.split("#");
      return { target: path ? normalize(join(dirname(page), path)) : page, hash: hash ?? null };
    });
}

Deno.test("the README is a front door of at most 300 lines", async () => {
  const lines = (await Deno.readTextFile(README)).split("\n").length;
  assert.ok(lines <= 300, `README.md has ${lines} lines`);
});

Deno.test("the README links to every page of docs/", async () => {
  const links = localLinks(README, await Deno.readTextFile(README)).map((l) => l.target);
  for (const page of await pages()) {
    assert.ok(links.includes(page), `README.md: no link to ${page}`);
  }
});

Deno.test("every link of the README and docs/ reaches a file, and a heading of it", async () => {
  for (const page of [README, ...await pages()]) {
    for (const { target, hash } of localLinks(page, await Deno.readTextFile(page))) {
      await Deno.stat(target).catch(() => assert.fail(`${page}: ${target} does not exist`));
      if (hash !== null) {
        const headings = anchors(await Deno.readTextFile(target));
        assert.ok(headings.has(hash), `${page}: no heading #${hash} in ${target}`);
      }
    }
  }
});

Deno.test("the README's commands are deno.json's tasks, and its test command is CI's", async () => {
  const tasks = Object.keys(JSON.parse(await Deno.readTextFile("deno.json")).tasks);
  const readme = await Deno.readTextFile(README);
  const named = new Set([...readme.matchAll(/deno task ([a-z][\w:-]*)/g)].map(([, t]) => t!));
  for (const task of named) assert.ok(tasks.includes(task), `README.md: no task ${task}`);
  for (const task of tasks) assert.ok(named.has(task), `README.md does not list ${task}`);
  assert.ok(readme.includes("\ndeno task kafka:up && deno task test\n"));
  assert.match(await Deno.readTextFile(".ci/run"), /^deno task test /m);
});
