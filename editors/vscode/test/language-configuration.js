#!/usr/bin/env node
// Checks language-configuration.json the way VS Code reads it: the comment token, the bracket and
// quote pairs, and that the indentation, folding and word regular expressions (JavaScript regexes)
// compile and behave on .mlp lines.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const conf = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'language-configuration.json'), 'utf8'));

assert.strictEqual(conf.comments.lineComment, '//');
const pairs = (list) => list.map((p) => (Array.isArray(p) ? p.join('') : p.open + p.close));
for (const p of ['{}', '[]', '()']) {
  assert.ok(pairs(conf.brackets).includes(p), `brackets lack ${p}`);
  assert.ok(pairs(conf.autoClosingPairs).includes(p), `autoClosingPairs lack ${p}`);
  assert.ok(pairs(conf.surroundingPairs).includes(p), `surroundingPairs lack ${p}`);
}
assert.ok(pairs(conf.autoClosingPairs).includes('""'), 'autoClosingPairs lack the quotes');
assert.ok(pairs(conf.surroundingPairs).includes('""'), 'surroundingPairs lack the quotes');

const re = (s) => new RegExp(s);
const inc = re(conf.indentationRules.increaseIndentPattern);
const dec = re(conf.indentationRules.decreaseIndentPattern);
for (const l of ['model net = mlp(hidden: [64]) {', 'gate release {', '  layers {', '  schema {  // columns']) {
  assert.ok(inc.test(l), `indent after: ${l}`);
}
for (const l of ['source s = csv("a.csv") { label = y }', '  epochs = 10', 'feature f = "{"', '// {']) {
  assert.ok(!inc.test(l), `no indent after: ${l}`);
}
for (const l of ['}', '  }', '  ]']) assert.ok(dec.test(l), `outdent: ${l}`);
assert.ok(!dec.test('  epochs = 10'));

const start = re(conf.folding.markers.start);
const end = re(conf.folding.markers.end);
assert.ok(start.test('model net = mlp() {') && start.test('monitor api {  // conditions'));
assert.ok(!start.test('source s = csv("a.csv") { label = y }'));
assert.ok(end.test('}') && end.test('    }'));

const word = new RegExp(conf.wordPattern, 'g');
const words = (s) => s.match(word);
assert.deepStrictEqual(words('lr = loguniform(3e-4, 1e-2)'), ['lr', 'loguniform', '3e-4', '1e-2']);
assert.deepStrictEqual(words('net.f1_macro on test >= 5%'), ['net', 'f1_macro', 'on', 'test', '5%']);

console.log('language-configuration: ok (comments, pairs, indentation, folding, words)');
