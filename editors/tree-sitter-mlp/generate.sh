#!/usr/bin/env sh
# Regenerates src/ (parser.c, grammar.json, node-types.json, tree_sitter/*.h) from grammar.js
# and records grammar.js's SHA-256 in src/grammar.js.sha256, which tests/staleness.rs checks.
# Needs tree-sitter-cli (`cargo install tree-sitter-cli --locked`); node is used when present,
# otherwise the CLI's built-in JavaScript runtime.
set -eu
cd "$(dirname "$0")"
if command -v node >/dev/null 2>&1; then
  tree-sitter generate
else
  tree-sitter generate --js-runtime native
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256sum grammar.js | cut -d' ' -f1 > src/grammar.js.sha256
else
  shasum -a 256 grammar.js | cut -d' ' -f1 > src/grammar.js.sha256
fi
echo "generated with $(tree-sitter --version); grammar.js sha256 $(cat src/grammar.js.sha256)"
