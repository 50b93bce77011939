#!/usr/bin/env bash
# Tests of the VS Code extension, offline after `npm ci`. Used by CI; run from anywhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

npm ci --no-audit --no-fund

echo "== grammar: scope assertions in test/grammar/*.mlp (vscode-tmgrammar-test)"
npx --no-install vscode-tmgrammar-test -g syntaxes/mlp.tmLanguage.json "test/grammar/*.mlp"

echo "== keywords: every keyword of grammar/mlp.pest is scoped in the examples and diagnostics"
node test/keywords.js

echo "== generate: syntaxes/mlp.tmLanguage.json is what syntaxes/generate.js makes of stdlib/*.mlp"
node syntaxes/generate.js --check

echo "== JSON: package.json, language configuration, snippets, grammar"
node -e 'for (const f of process.argv.slice(1)) JSON.parse(require("fs").readFileSync(f, "utf8"))' \
  package.json language-configuration.json snippets/mlp.json syntaxes/mlp.tmLanguage.json

echo "== language configuration: pairs, indentation, folding, words"
node test/language-configuration.js

echo "== extension: client start, restart command and settings (fake vscode)"
node test/extension.js

echo "== snippets: expanded with their defaults, checked with mlpc"
node test/snippets.js

echo "== package: mlp.vsix"
rm -f mlp.vsix
npx --no-install vsce package --no-git-tag-version -o mlp.vsix
node test/vsix.js mlp.vsix
