#!/usr/bin/env bash
# Makes docs/images/editor.png: examples/breast_cancer/breast_cancer.mlp highlighted with the VS Code
# extension's TextMate grammar (editors/vscode/syntaxes/mlp.tmLanguage.json) by shiki, in the
# github-dark theme, captured by headless Chromium. Also leaves the HTML page in
# editors/screenshot/out/editor.html.
#
# Needs Node 18+ with npm, and Chromium (Debian: apt-get install chromium; elsewhere set CHROMIUM
# to its path). Extra arguments go to render.mjs (e.g. --input other.mlp --png /tmp/x.png).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

chromium="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
if [[ -z "$chromium" ]]; then
  echo "make-screenshot.sh: no Chromium found: apt-get install chromium, or set CHROMIUM=/path/to/it" >&2
  exit 1
fi
grammar="$root/editors/vscode/syntaxes/mlp.tmLanguage.json"
if [[ ! -f "$grammar" ]]; then
  echo "make-screenshot.sh: missing $grammar" >&2
  exit 1
fi

# The exact versions in package-lock.json (playwright-core only drives the system Chromium: it
# downloads no browser).
if [[ ! -d node_modules/shiki || ! -d node_modules/playwright-core ]]; then
  npm ci --no-audit --no-fund
fi

mkdir -p "$root/docs/images" out
node render.mjs --chromium "$chromium" --grammar "$grammar" \
  --html out/editor.html --png "$root/docs/images/editor.png" "$@"
