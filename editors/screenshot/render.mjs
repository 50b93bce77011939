// Renders an .mlp file highlighted with the VS Code extension's TextMate grammar (via shiki) to an
// HTML page that looks like an editor window, and captures that window as a PNG with headless
// Chromium (via playwright-core, using the system's Chromium: no browser download).
//
//   node render.mjs [--input FILE.mlp] [--grammar GRAMMAR.json] [--theme github-dark]
//                   [--html OUT.html] [--png OUT.png] [--scale 1] [--chromium /usr/bin/chromium]
//
// Defaults: examples/breast_cancer/breast_cancer.mlp, editors/vscode/syntaxes/mlp.tmLanguage.json,
// github-dark, docs/images/editor.png; the HTML page is written only with --html (or --no-png,
// then to editors/screenshot/out/).
// make-screenshot.sh runs this with the defaults.

import { readFile, writeFile, stat, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHighlighter } from 'shiki';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const { values: opts } = parseArgs({
  options: {
    input: { type: 'string', default: path.join(root, 'examples/breast_cancer/breast_cancer.mlp') },
    grammar: { type: 'string', default: path.join(root, 'editors/vscode/syntaxes/mlp.tmLanguage.json') },
    theme: { type: 'string', default: 'github-dark' },
    html: { type: 'string' },
    png: { type: 'string', default: path.join(root, 'docs/images/editor.png') },
    scale: { type: 'string', default: '1' },
    chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
    'no-png': { type: 'boolean', default: false },
  },
});

// ---- highlight --------------------------------------------------------------------------------

const grammar = JSON.parse(await readFile(opts.grammar, 'utf8'));
if (grammar.scopeName !== 'source.mlp') {
  throw new Error(`${opts.grammar}: scopeName is ${grammar.scopeName}, expected source.mlp`);
}
// shiki knows a language by the grammar's `name`; the VS Code grammar calls itself "MLP".
const lang = { ...grammar, name: 'mlp', aliases: ['MLP'] };

const highlighter = await createHighlighter({ themes: [opts.theme], langs: [lang] });
const code = (await readFile(opts.input, 'utf8')).replace(/\n+$/, '');
const codeHtml = highlighter.codeToHtml(code, { lang: 'mlp', theme: opts.theme });
const { bg, fg } = highlighter.getTheme(opts.theme);

// ---- the page: an editor window with a title bar and line numbers ------------------------------

const title = path.basename(opts.input);
const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const page = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  html, body { margin: 0; padding: 0; background: transparent; }
  body { display: inline-block; padding: 0; }
  .window {
    display: inline-block;
    background: ${bg};
    color: ${fg};
    border-radius: 10px;
    overflow: hidden;
    border: 1px solid #444c56;
  }
  .titlebar {
    display: flex; align-items: center; gap: 8px;
    height: 34px; padding: 0 14px;
    background: #1b1f23; border-bottom: 1px solid #30363d;
    font: 13px "DejaVu Sans", "Liberation Sans", sans-serif; color: #9da5b4;
  }
  .dot { width: 12px; height: 12px; border-radius: 50%; }
  .title { margin-left: 12px; }
  pre.shiki {
    margin: 0; padding: 14px 28px 16px 0;
    font: 14px/1.5 "DejaVu Sans Mono", "Liberation Mono", monospace;
    counter-reset: line;
    background: transparent !important;
  }
  pre.shiki code { display: block; }
  pre.shiki .line::before {
    counter-increment: line; content: counter(line);
    display: inline-block; width: 2.5em; margin-right: 1.5em; text-align: right;
    color: #6e7681;
  }
</style>
</head>
<body>
<div class="window">
  <div class="titlebar">
    <span class="dot" style="background:#ff5f56"></span>
    <span class="dot" style="background:#ffbd2e"></span>
    <span class="dot" style="background:#27c93f"></span>
    <span class="title">${escapeHtml(title)}</span>
  </div>
  ${codeHtml}
</div>
</body>
</html>
`;

const htmlPath = opts.html ?? path.join(here, 'out', `${path.basename(opts.input, '.mlp')}.html`);
if (opts.html || opts['no-png']) {
  await mkdir(path.dirname(htmlPath), { recursive: true });
  await writeFile(htmlPath, page);
  console.log(`wrote ${path.relative(process.cwd(), htmlPath)}`);
}

// ---- the PNG: the window element, cropped, with transparent rounded corners -------------------

if (!opts['no-png']) {
  if (!existsSync(opts.chromium)) {
    throw new Error(`no Chromium at ${opts.chromium} (apt-get install chromium, or pass --chromium)`);
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: opts.chromium, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({
      viewport: { width: 1600, height: 900 },
      deviceScaleFactor: Number(opts.scale),
    });
    const tab = await context.newPage();
    await tab.setContent(page, { waitUntil: 'load' });
    await tab.evaluate(() => document.fonts.ready);
    await tab.locator('.window').screenshot({ path: opts.png, omitBackground: true });
  } finally {
    await browser.close();
  }
  const { size } = await stat(opts.png);
  console.log(`wrote ${path.relative(process.cwd(), opts.png)} (${(size / 1024).toFixed(0)} KiB)`);
}
