#!/usr/bin/env node
// Checks a packaged .vsix (a zip file): it holds the manifest, the grammar, the language
// configuration, the snippets, extension.js and the runtime dependency vscode-languageclient, and no
// tests or nested .vsix. Reads the zip's central directory, so it needs no unzip tool.
'use strict';
const assert = require('assert');
const fs = require('fs');

const file = process.argv[2] || 'mlp.vsix';
const buf = fs.readFileSync(file);

// End of central directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes.
let eocd = -1;
for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
  if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
}
assert.ok(eocd >= 0, `${file} is not a zip file`);
const count = buf.readUInt16LE(eocd + 10);
let p = buf.readUInt32LE(eocd + 16);
const names = [];
for (let k = 0; k < count; k++) {
  assert.strictEqual(buf.readUInt32LE(p), 0x02014b50, 'corrupt central directory');
  const nameLen = buf.readUInt16LE(p + 28);
  const extraLen = buf.readUInt16LE(p + 30);
  const commentLen = buf.readUInt16LE(p + 32);
  names.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
  p += 46 + nameLen + extraLen + commentLen;
}

const required = [
  'extension.vsixmanifest',
  'extension/package.json',
  'extension/extension.js',
  'extension/language-configuration.json',
  'extension/syntaxes/mlp.tmLanguage.json',
  'extension/snippets/mlp.json',
  'extension/node_modules/vscode-languageclient/node.js',
  'extension/node_modules/vscode-languageclient/package.json',
];
for (const r of required) assert.ok(names.includes(r), `${file} lacks ${r}`);
const lower = names.map((n) => n.toLowerCase());
assert.ok(lower.includes('extension/readme.md'), `${file} lacks the README`);
assert.ok(lower.some((n) => n.startsWith('extension/license')), `${file} lacks the LICENSE`);
const unwanted = names.filter((n) => n.startsWith('extension/test/') || n.endsWith('.vsix') ||
  n === 'extension/test.sh' || n === 'extension/syntaxes/generate.js' || n.startsWith('extension/node_modules/vscode-tmgrammar-test/') ||
  n.startsWith('extension/node_modules/@vscode/vsce/'));
assert.deepStrictEqual(unwanted, [], `${file} holds files it should not`);

console.log(`vsix: ok (${names.length} entries, ${(buf.length / 1024).toFixed(0)} KiB)`);
