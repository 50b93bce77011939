#!/usr/bin/env node
// Tokenizes every examples/*/*.mlp and tests/diagnostics/*.mlp file (and the grammar
// fixture test/grammar/keywords.mlp) with syntaxes/mlp.tmLanguage.json and fails when a keyword of the
// language appears as a whole word outside comments and strings without a `keyword.*`, `storage.*`
// or `constant.language.*` scope. The keywords are read from grammar/mlp.pest: the string literals
// of the `kw_*` rules, `def_keyword`, `reserved` and `boolean`. Also fails when the grammar does not
// load, when one of its regular expressions does not compile, or when a keyword of the pest grammar
// occurs nowhere in the files (so every keyword is actually exercised).
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const root = path.resolve(__dirname, '..');
const repo = path.resolve(root, '..', '..');
const grammarPath = path.join(root, 'syntaxes', 'mlp.tmLanguage.json');

// ---- keywords from the pest grammar ------------------------------------------------------------

/** Splits a pest grammar into { name: body } (comments and string contents respected). */
function pestRules(src) {
  const rules = {};
  let i = 0;
  const n = src.length;
  while (i < n) {
    if (src.startsWith('//', i)) {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[_@$!]?\s*\{/.exec(src.slice(i));
    if (m && (i === 0 || /\s/.test(src[i - 1]))) {
      let j = i + m[0].length;
      let depth = 1;
      const start = j;
      while (j < n && depth > 0) {
        const c = src[j];
        if (c === '"') {
          j++;
          while (j < n && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
        } else if (c === '\'') {
          j += 3; // a character literal such as '0'
          continue;
        } else if (src.startsWith('//', j)) {
          while (j < n && src[j] !== '\n') j++;
          continue;
        } else if (c === '{') depth++;
        else if (c === '}') depth--;
        j++;
      }
      if (depth !== 0) throw new Error(`unterminated pest rule ${m[1]}`);
      rules[m[1]] = src.slice(start, j - 1);
      i = j;
      continue;
    }
    i++;
  }
  return rules;
}

function keywordsFromPest(file) {
  const rules = pestRules(fs.readFileSync(file, 'utf8'));
  const keywordRules = Object.keys(rules).filter(
    (r) => r.startsWith('kw_') || ['def_keyword', 'reserved', 'boolean'].includes(r)
  );
  const words = new Set();
  for (const r of keywordRules) {
    const lits = [...rules[r].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    const wordLits = lits.filter((l) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(l));
    if (wordLits.length === 0) throw new Error(`pest rule ${r} defines no keyword`);
    wordLits.forEach((w) => words.add(w));
  }
  for (const must of ['def_keyword', 'reserved', 'boolean']) {
    if (!rules[must]) throw new Error(`grammar/mlp.pest has no rule ${must}`);
  }
  if (!keywordRules.some((r) => r.startsWith('kw_'))) throw new Error('grammar/mlp.pest has no kw_* rule');
  return [...words].sort();
}

// ---- grammar -------------------------------------------------------------------------------------

/** Every regular expression of the grammar must compile with Oniguruma. */
function checkRegexes(grammar, onig) {
  const errors = [];
  const visit = (node, where) => {
    if (Array.isArray(node)) return node.forEach((x, i) => visit(x, `${where}[${i}]`));
    if (!node || typeof node !== 'object') return;
    for (const key of ['match', 'begin', 'end', 'while']) {
      if (typeof node[key] !== 'string') continue;
      if (/\\\d/.test(node[key]) && (key === 'end' || key === 'while')) continue; // back-references
      try {
        const s = new onig.OnigScanner([node[key]]);
        s.dispose();
      } catch (e) {
        errors.push(`${where}.${key}: ${e.message || e}`);
      }
    }
    for (const [k, v] of Object.entries(node)) visit(v, `${where}.${k}`);
  };
  visit(grammar, '$');
  return errors;
}

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const onig = {
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  };
  const text = fs.readFileSync(grammarPath, 'utf8');
  const json = JSON.parse(text); // throws on invalid JSON
  if (json.scopeName !== 'source.mlp') throw new Error(`scopeName is ${json.scopeName}, not source.mlp`);
  const regexErrors = checkRegexes(json, oniguruma);
  if (regexErrors.length) throw new Error('invalid regular expressions:\n  ' + regexErrors.join('\n  '));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve(onig),
    loadGrammar: async (scope) =>
      scope === 'source.mlp' ? vsctm.parseRawGrammar(text, grammarPath) : null,
  });
  const grammar = await registry.loadGrammar('source.mlp');
  if (!grammar) throw new Error('the grammar did not load');
  return grammar;
}

// ---- the check -------------------------------------------------------------------------------------

function mlpFiles() {
  const files = [];
  const add = (dir, deep) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && deep) add(p, false);
      else if (e.isFile() && e.name.endsWith('.mlp')) files.push(p);
    }
  };
  add(path.join(repo, 'examples'), true); // examples/*/*.mlp
  add(path.join(repo, 'tests', 'diagnostics'), false);
  files.push(path.join(root, 'test', 'grammar', 'keywords.mlp')); // every keyword, in keyword positions
  return files.filter((f) => !(f.startsWith(path.join(repo, 'examples')) && path.dirname(path.dirname(f)) !== path.join(repo, 'examples')));
}

const isCommentOrString = (scopes) => scopes.some((s) => s.startsWith('comment.') || s.startsWith('string.'));
const isKeywordScope = (scopes) =>
  scopes.some((s) => s.startsWith('keyword.') || s.startsWith('storage.') || s.startsWith('constant.language.'));

async function main() {
  const keywords = keywordsFromPest(path.join(repo, 'grammar', 'mlp.pest'));
  const grammar = await loadGrammar();
  const kwSet = new Set(keywords);
  const seen = new Set();
  const failures = [];
  const files = mlpFiles();
  let tokensChecked = 0;

  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    let state = vsctm.INITIAL;
    lines.forEach((line, lineNo) => {
      const result = grammar.tokenizeLine(line, state);
      state = result.ruleStack;
      for (const m of line.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
        if (!kwSet.has(m[0])) continue;
        const start = m.index;
        const end = start + m[0].length;
        const covering = result.tokens.filter((t) => t.startIndex < end && t.endIndex > start);
        if (covering.some((t) => isCommentOrString(t.scopes))) continue;
        tokensChecked++;
        seen.add(m[0]);
        const ok = covering.length === 1 && covering[0].startIndex === start && covering[0].endIndex === end &&
          isKeywordScope(covering[0].scopes);
        if (!ok) {
          const scopes = covering.map((t) => `"${line.slice(t.startIndex, t.endIndex)}" ${t.scopes.join(' ')}`).join(' | ');
          failures.push(`${path.relative(repo, file)}:${lineNo + 1}:${start + 1}: keyword \`${m[0]}\` scoped as ${scopes}\n    ${line}`);
        }
      }
    });
  }

  const unseen = keywords.filter((k) => !seen.has(k));
  if (unseen.length) failures.push(`keywords of grammar/mlp.pest that occur in no checked file: ${unseen.join(', ')}`);
  if (failures.length) {
    console.error(failures.join('\n'));
    console.error(`FAIL: ${failures.length} problem(s)`);
    process.exit(1);
  }
  console.log(`keywords: ok (${keywords.length} keywords from grammar/mlp.pest, ${tokensChecked} occurrences in ${files.length} files)`);
}

main().catch((err) => {
  console.error('FAIL:', err && err.stack ? err.stack : err);
  process.exit(1);
});
