#!/usr/bin/env node
// Expands every snippet of snippets/mlp.json with its defaults (each placeholder's default text, the
// first option of each choice), writes them together as one spec next to a small CSV and an imported
// file, and runs `mlpc check` on it: every snippet must be valid `.mlp` in the language's real syntax.
//
// The mlpc binary is $MLPC, else ../../target/debug/mlpc, else ../../target/release/mlpc; without one
// the test is skipped (exit 0, with a message) so that the extension's tests run without Rust.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const repo = path.resolve(root, '..', '..');
const snippets = JSON.parse(fs.readFileSync(path.join(root, 'snippets', 'mlp.json'), 'utf8'));

// Expand the TextMate/VS Code snippet syntax: $0, $N, ${N}, ${N:default}, ${N|a,b|}.
function expand(body) {
  let text = body.join('\n').replace(/\t/g, '  ');
  let prev;
  do {
    prev = text;
    text = text
      .replace(/\$\{\d+\|([^|,]*)[^|]*\|\}/g, '$1')
      .replace(/\$\{\d+:([^${}]*)\}/g, '$1')
      .replace(/\$\{\d+\}/g, '')
      .replace(/\$\d+/g, '');
  } while (text !== prev);
  if (/\$/.test(text)) throw new Error('unexpanded snippet syntax in:\n' + text);
  return text.trimEnd() + '\n';
}

const expected = ['pipeline', 'source', 'dataset', 'feature', 'metric', 'objective', 'baseline',
  'model', 'search', 'gate', 'deploy', 'monitor', 'import'];
const prefixes = Object.values(snippets).map((s) => s.prefix);
const missing = expected.filter((k) => !prefixes.includes(k));
if (missing.length) {
  console.error(`FAIL: no snippet for ${missing.join(', ')}`);
  process.exit(1);
}

const spec = Object.entries(snippets)
  .map(([name, s]) => `// snippet: ${name}\n${expand(s.body)}`)
  .join('\n');

const candidates = [process.env.MLPC, path.join(repo, 'target', 'debug', 'mlpc'),
  path.join(repo, 'target', 'release', 'mlpc')].filter(Boolean);
const mlpc = candidates.find((p) => fs.existsSync(p));
if (!mlpc) {
  console.log('snippets: SKIPPED (no mlpc binary; build it with `cargo build` or set MLPC)');
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-snippets-'));
try {
  fs.mkdirSync(path.join(dir, 'data'));
  const rows = ['a,b,label'];
  for (let i = 0; i < 60; i++) rows.push(`${(i % 7) + 1.5},${(i % 5) + 2},${i % 3 === 0 ? 'yes' : 'no'}`);
  fs.writeFileSync(path.join(dir, 'data', 'data.csv'), rows.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'other.mlp'), 'metric recall_too = recall()\n');
  const file = path.join(dir, 'snippets.mlp');
  fs.writeFileSync(file, spec);
  const r = spawnSync(mlpc, ['check', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  if (r.status !== 0 || !/no problems/.test(out)) {
    console.error(spec);
    console.error(`FAIL: mlpc check reported problems:\n${out}`);
    process.exit(1);
  }
  console.log(`snippets: ok (${prefixes.length} snippets expanded and checked with ${path.relative(repo, mlpc)}: ${out.trim()})`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
