#!/usr/bin/env bash
# Stryker's command for one mutant of market/ (stryker.config.mjs, `deno task mutate`): runs the
# tests and doc examples whose module graph holds the mutated file, and only those. A test that
# does not load a file cannot notice a change to it, so the verdict is that of running every test,
# in a fraction of the time. With no mutant switched on (Stryker's first, unchanged run) it runs all
# of them. MUTATE_TESTS names the table scripts/mutate.ts wrote: a file of market/, a tab, the
# modules that load it.
set -euo pipefail
flags=(-q --no-check --allow-env=__STRYKER_ACTIVE_MUTANT__)
id="${__STRYKER_ACTIVE_MUTANT__:-}"
all() { exec deno test "${flags[@]}" --doc market/ tests/market/; }
[ -n "$id" ] && [ -n "${MUTATE_TESTS:-}" ] || all

# Which file holds which mutant, read once per sandbox from the instrumented code.
if [ ! -f .mutant-files ]; then
  grep -o -r --include='*.ts' -E 'stryMutAct_[0-9a-f]+\("[0-9]+"\)' market |
    sed -E 's/^([^:]+):stryMutAct_[0-9a-f]+\("([0-9]+)"\)$/\2 \1/' >".mutant-files.$$"
  mv ".mutant-files.$$" .mutant-files
fi
file=$(awk -v id="$id" '$1 == id { print $2; exit }' .mutant-files)
[ -n "$file" ] || all
tests=$(awk -F'\t' -v file="$file" '$1 == file { print $2; exit }' "$MUTATE_TESTS")
[ -n "$tests" ] || all
# shellcheck disable=SC2086 # the modules are words without spaces
exec deno test "${flags[@]}" --doc $tests
