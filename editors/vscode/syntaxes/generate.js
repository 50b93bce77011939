#!/usr/bin/env node
// Generates syntaxes/mlp.tmLanguage.json, the TextMate grammar of `.mlp` specs. The built-ins that
// get `support.function` / `support.constant` are read from the `extern` declarations of
// ../../stdlib/*.mlp (all kinds but `settings`), so a new built-in only needs a rerun:
//
//   node syntaxes/generate.js           writes syntaxes/mlp.tmLanguage.json
//   node syntaxes/generate.js --check   fails when the committed file is not what it would write
//
// Scopes, by construct: comments `comment.line.double-slash` and (at line start) `///`
// `comment.line.documentation`; definition keywords in column 0 `storage.type.KIND
// keyword.declaration.KIND` with the defined name `entity.name.*`; `import` keyword.control.import;
// `maximize`/`minimize` keyword.other.direction; `beats on by over drift` keyword.other.*; `if then
// else` keyword.control.conditional; `and or not in` keyword.operator.logical; `true false`
// constant.language.boolean; numbers constant.numeric.{integer,float}; strings string.quoted.double
// with constant.character.escape; settings variable.other.property; named arguments
// variable.parameter; calls support.function.builtin or entity.name.function; schema column types
// support.type.column; `->` keyword.operator.arrow with the monitor action support.constant.action.
'use strict';
const fs = require('fs');
const path = require('path');

const stdlib = path.resolve(__dirname, '..', '..', '..', 'stdlib');
const names = new Set();
for (const f of fs.readdirSync(stdlib).filter((f) => f.endsWith('.mlp')).sort()) {
  for (const m of fs.readFileSync(path.join(stdlib, f), 'utf8').matchAll(/^extern[ \t]+([A-Za-z_]\w*)[ \t]+([A-Za-z_]\w*)/gm)) {
    if (m[1] !== 'settings') names.add(m[2]);
  }
}
if (names.size === 0) throw new Error(`no extern declarations found in ${stdlib}`);
const builtins = [...names].sort().join('|');
const defkw = 'pipeline|source|dataset|feature|metric|baseline|model|search|gate|deploy|monitor';
const ident = '[A-Za-z_][A-Za-z0-9_]*';
const coltypes = 'float|int|bool|text|category|image|sequence';
const g = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'MLP',
  scopeName: 'source.mlp',
  fileTypes: ['mlp'],
  patterns: [
    { include: '#comments' },
    { include: '#extern' },
    { include: '#definitions' },
    { include: '#schema' },
    { include: '#body' },
  ],
  repository: {
    comments: {
      patterns: [
        { name: 'comment.line.documentation.mlp', match: '^[ \\t]*(///).*$', captures: { 1: { name: 'punctuation.definition.comment.mlp' } } },
        { name: 'comment.line.double-slash.mlp', match: '(//).*$', captures: { 1: { name: 'punctuation.definition.comment.mlp' } } },
      ],
    },
    definitions: {
      patterns: [
        { match: '^(import)\\b', captures: { 1: { name: 'keyword.control.import.mlp' } } },
        { match: '^(objective)\\b(?:[ \\t]+(maximize|minimize)\\b)?',
          captures: { 1: { name: 'storage.type.objective.mlp keyword.declaration.objective.mlp' }, 2: { name: 'keyword.other.direction.mlp' } } },
        { match: '^(pipeline)[ \\t]+(' + ident + ')',
          captures: { 1: { name: 'storage.type.pipeline.mlp keyword.declaration.pipeline.mlp' }, 2: { name: 'entity.name.namespace.pipeline.mlp' } } },
        { match: '^(' + defkw + ')[ \\t]+(' + ident + ')',
          captures: { 1: { name: 'storage.type.$1.mlp keyword.declaration.$1.mlp' }, 2: { name: 'entity.name.type.$1.mlp' } } },
      ],
    },
    extern: {
      begin: '^(extern)\\b(?:[ \\t]+(' + ident + '))?(?:[ \\t]+(' + ident + '))?',
      beginCaptures: {
        1: { name: 'storage.type.extern.mlp keyword.declaration.extern.mlp' },
        2: { name: 'storage.modifier.kind.mlp' },
        3: { name: 'entity.name.function.mlp' },
      },
      end: '(?=^(?:' + defkw + '|extern|import|objective)\\b)',
      patterns: [
        { include: '#comments' },
        { match: '(->)[ \\t]*(\\[*)[ \\t]*(' + ident + ')',
          captures: { 1: { name: 'keyword.operator.arrow.mlp' }, 2: { name: 'punctuation.section.brackets.begin.mlp' }, 3: { name: 'entity.name.type.mlp' } } },
        { match: '(' + ident + ')[ \\t]*(:)[ \\t]*(\\[*)[ \\t]*(' + ident + ')',
          captures: { 1: { name: 'variable.parameter.mlp' }, 2: { name: 'punctuation.separator.colon.mlp' }, 3: { name: 'punctuation.section.brackets.begin.mlp' }, 4: { name: 'entity.name.type.mlp' } } },
        { include: '#body' },
      ],
    },
    schema: {
      begin: '\\b(schema)[ \\t]*(\\{)',
      beginCaptures: { 1: { name: 'variable.other.property.mlp' }, 2: { name: 'punctuation.section.block.begin.mlp' } },
      end: '\\}',
      endCaptures: { 0: { name: 'punctuation.section.block.end.mlp' } },
      patterns: [
        { include: '#comments' },
        { match: '(' + ident + ')[ \\t]*(:)[ \\t]*(?:\\b(' + coltypes + ')\\b|(' + ident + '))',
          captures: { 1: { name: 'variable.other.property.column.mlp' }, 2: { name: 'punctuation.separator.colon.mlp' }, 3: { name: 'support.type.column.mlp' }, 4: { name: 'entity.name.type.mlp' } } },
        { include: '#body' },
      ],
    },
    body: {
      patterns: [
        { include: '#comments' },
        { include: '#strings' },
        { include: '#settings' },
        { include: '#named-arguments' },
        { include: '#keywords' },
        { include: '#numbers' },
        { include: '#calls' },
        { include: '#fields' },
        { include: '#operators' },
        { include: '#punctuation' },
        { include: '#identifiers' },
      ],
    },
    strings: {
      name: 'string.quoted.double.mlp',
      begin: '"',
      beginCaptures: { 0: { name: 'punctuation.definition.string.begin.mlp' } },
      end: '(")|(\\n|$)',
      endCaptures: { 1: { name: 'punctuation.definition.string.end.mlp' }, 2: { name: 'invalid.illegal.unterminated-string.mlp' } },
      patterns: [{ name: 'constant.character.escape.mlp', match: '\\\\.' }],
    },
    settings: {
      patterns: [
        { match: '(?:^|(?<=[{,]))[ \\t]*(?!(?:and|or|not|if|then|else|in|true|false)\\b)(' + ident + ')[ \\t]*(=)(?!=)(?:[ \\t]*\\b(' + builtins + ')\\b(?![ \\t]*[(.]))?',
          captures: { 1: { name: 'variable.other.property.mlp' }, 2: { name: 'keyword.operator.assignment.mlp' }, 3: { name: 'support.constant.builtin.mlp' } } },
        { match: '^[ \\t]*\\b(' + builtins + ')\\b(?=[ \\t]*(?:,|//|$))',
          captures: { 1: { name: 'support.constant.builtin.mlp' } } },
        { match: '(?:^|(?<=[{,]))[ \\t]*(?!(?:and|or|not|if|then|else|in|true|false|schema)\\b)(' + ident + ')[ \\t]*(?=\\{)',
          captures: { 1: { name: 'variable.other.property.mlp' } } },
      ],
    },
    'named-arguments': {
      match: '(?<![.\\w])(?!(?:and|or|not|if|then|else|in|true|false)\\b)(' + ident + ')[ \\t]*(:)',
      captures: { 1: { name: 'variable.parameter.mlp' }, 2: { name: 'punctuation.separator.colon.mlp' } },
    },
    keywords: {
      patterns: [
        { name: 'keyword.control.conditional.mlp', match: '\\b(?:if|then|else)\\b' },
        { name: 'keyword.operator.logical.mlp', match: '\\b(?:and|or|not)\\b' },
        { name: 'keyword.operator.logical.in.mlp', match: '\\bin\\b' },
        { name: 'constant.language.boolean.mlp', match: '\\b(?:true|false)\\b' },
        { match: '(?<!\\.)\\b(drift)\\b(?![ \\t]*(?:=(?!=)|:|\\(|\\.|\\{))', captures: { 1: { name: 'keyword.other.drift.mlp' } } },
        { match: '(?<!\\.)\\b(beats|on|by|over)\\b(?![ \\t]*(?:=(?!=)|:|\\(|\\.|\\{|,|\\)|\\]))', captures: { 1: { name: 'keyword.other.$1.mlp' } } },
        { match: '(?<!\\.)\\b(maximize|minimize)\\b(?![ \\t]*(?:=(?!=)|:|\\(|\\.|\\{|,|\\)|\\]))', captures: { 1: { name: 'keyword.other.direction.mlp' } } },
        { match: '(->)[ \\t]*\\b(warn|alert|retrain|rollback)\\b', captures: { 1: { name: 'keyword.operator.arrow.mlp' }, 2: { name: 'support.constant.action.mlp' } } },
      ],
    },
    numbers: {
      patterns: [
        { name: 'constant.numeric.float.mlp',
          match: '(?:(?<![\\w)\\]"%.])(?<![\\w)\\]"%.][ \\t])-)?(?<![\\w.])\\d+(?:(?:\\.\\d+)(?:[eE][+-]?\\d+)?|[eE][+-]?\\d+)?(%)(?!\\w)',
          captures: { 1: { name: 'keyword.other.unit.percent.mlp' } } },
        { name: 'constant.numeric.float.mlp',
          match: '(?:(?<![\\w)\\]"%.])(?<![\\w)\\]"%.][ \\t])-)?(?<![\\w.])\\d+(?:\\.\\d+(?:[eE][+-]?\\d+)?|[eE][+-]?\\d+)(?![\\w.%])' },
        { name: 'constant.numeric.integer.mlp',
          match: '(?:(?<![\\w)\\]"%.])(?<![\\w)\\]"%.][ \\t])-)?(?<![\\w.])\\d+(?![\\w.%])' },
      ],
    },
    calls: {
      patterns: [
        { match: '(?<!\\.)\\b(' + builtins + ')[ \\t]*(?=\\()', captures: { 1: { name: 'support.function.builtin.mlp' } } },
        { match: '(?<!\\.)\\b(?!(?:and|or|not|if|then|else|in|true|false)\\b)(' + ident + ')[ \\t]*(?=\\()', captures: { 1: { name: 'entity.name.function.mlp' } } },
      ],
    },
    fields: {
      match: '(\\.)[ \\t]*(' + ident + ')',
      captures: { 1: { name: 'punctuation.accessor.mlp' }, 2: { name: 'variable.other.member.mlp' } },
    },
    operators: {
      patterns: [
        { name: 'keyword.operator.arrow.mlp', match: '->' },
        { name: 'keyword.operator.comparison.mlp', match: '==|!=|<=|>=|<|>' },
        { name: 'keyword.operator.assignment.mlp', match: '=' },
        { name: 'keyword.operator.arithmetic.mlp', match: '[-+*/]' },
      ],
    },
    punctuation: {
      patterns: [
        { name: 'punctuation.section.block.begin.mlp', match: '\\{' },
        { name: 'punctuation.section.block.end.mlp', match: '\\}' },
        { name: 'punctuation.section.parens.begin.mlp', match: '\\(' },
        { name: 'punctuation.section.parens.end.mlp', match: '\\)' },
        { name: 'punctuation.section.brackets.begin.mlp', match: '\\[' },
        { name: 'punctuation.section.brackets.end.mlp', match: '\\]' },
        { name: 'punctuation.separator.comma.mlp', match: ',' },
        { name: 'punctuation.separator.colon.mlp', match: ':' },
        { name: 'punctuation.accessor.mlp', match: '\\.' },
      ],
    },
    identifiers: {
      name: 'variable.other.mlp',
      match: '\\b' + ident + '\\b',
    },
  },
};
const out = path.join(__dirname, 'mlp.tmLanguage.json');
const text = JSON.stringify(g, null, 2) + '\n';
if (process.argv.includes('--check')) {
  const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  if (current !== text) {
    console.error('FAIL: syntaxes/mlp.tmLanguage.json is stale: run `node syntaxes/generate.js`');
    process.exit(1);
  }
  console.log(`generate: ok (syntaxes/mlp.tmLanguage.json is up to date, ${names.size} built-ins from stdlib)`);
} else {
  fs.writeFileSync(out, text);
  console.log(`wrote ${path.relative(process.cwd(), out)} (${names.size} built-ins from stdlib)`);
}
