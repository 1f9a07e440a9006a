#!/usr/bin/env bash
# Stryker's command for one mutant of market/ (stryker.config.mjs, `deno task mutate`): runs the
# test files whose module graph holds the mutated file, and the file's own doc examples. A test
# that does not load a file cannot notice a change to it, so only the doc examples of the other
# files that load it are left out (each example is a module of its own, and loading them took most
# of the time). With no mutant switched on (Stryker's first, unchanged run) it runs everything.
# MUTATE_TESTS names the table scripts/mutate.ts wrote: a file of market/, a tab, the modules that
# load it.
set -euo pipefail
flags=(-q --no-check --parallel --allow-env=__STRYKER_ACTIVE_MUTANT__)
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
roots=$(awk -F'\t' -v file="$file" '$1 == file { print $2; exit }' "$MUTATE_TESTS")
[ -n "$roots" ] || all
tests=$file
for root in $roots; do
  case $root in tests/*) tests="$tests $root" ;; esac
done
# shellcheck disable=SC2086 # the modules are words without spaces
exec deno test "${flags[@]}" --doc $tests
