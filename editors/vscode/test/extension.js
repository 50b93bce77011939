#!/usr/bin/env node
// Unit test of extension.js without VS Code: `vscode` and `vscode-languageclient/node` are replaced
// by recording fakes. Checks that activation registers `mlp.restartServer`, starts a client for `mlp`
// documents with the configured command and arguments over stdio, that the command and a change of
// `mlp.server.*` restart it with the new settings, that other settings changes do not, and that
// deactivation stops it. Also checks that the real vscode-languageclient/node exports what
// extension.js uses.
'use strict';
const assert = require('assert');
const Module = require('module');
const path = require('path');

const calls = [];
const settings = { 'server.path': '/opt/mlpc/bin/mlpc', 'server.args': ['lsp', '--verbose'] };
const commands = {};
let configListener;

const fakeVscode = {
  workspace: {
    getConfiguration(section) {
      assert.strictEqual(section, 'mlp');
      return { get: (key, dflt) => (key in settings ? settings[key] : dflt) };
    },
    onDidChangeConfiguration(listener) {
      configListener = listener;
      return { dispose() {} };
    },
    createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
  },
  window: {
    createOutputChannel: (name) => ({ name, dispose() {}, appendLine() {} }),
    showErrorMessage: (msg) => calls.push(['error', msg]),
  },
  commands: {
    registerCommand(id, fn) {
      commands[id] = fn;
      return { dispose() {} };
    },
  },
};

class FakeLanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    this.id = id;
    this.serverOptions = serverOptions;
    this.clientOptions = clientOptions;
    calls.push(['new', serverOptions.run.command, serverOptions.run.args, serverOptions.run.transport]);
  }
  async start() { calls.push(['start']); }
  async stop() { calls.push(['stop']); }
}
const fakeClientModule = { LanguageClient: FakeLanguageClient, TransportKind: { stdio: 0, ipc: 1 } };

const realLoad = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'vscode') return fakeVscode;
  if (request === 'vscode-languageclient/node') return fakeClientModule;
  return realLoad.call(this, request, ...rest);
};

(async () => {
  const ext = require(path.join(__dirname, '..', 'extension.js'));
  const context = { subscriptions: [] };
  await ext.activate(context);

  assert.ok(commands['mlp.restartServer'], 'mlp.restartServer is registered');
  assert.deepStrictEqual(calls, [['new', '/opt/mlpc/bin/mlpc', ['lsp', '--verbose'], 0], ['start']]);
  assert.ok(context.subscriptions.length >= 3, 'disposables are registered with the context');

  calls.length = 0;
  await commands['mlp.restartServer']();
  assert.deepStrictEqual(calls, [['stop'], ['new', '/opt/mlpc/bin/mlpc', ['lsp', '--verbose'], 0], ['start']]);

  calls.length = 0;
  configListener({ affectsConfiguration: (s) => s === 'editor.fontSize' });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepStrictEqual(calls, [], 'unrelated settings do not restart the server');

  calls.length = 0;
  delete settings['server.path'];
  delete settings['server.args'];
  configListener({ affectsConfiguration: (s) => s === 'mlp.server' || s === 'mlp' });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepStrictEqual(calls, [['stop'], ['new', 'mlpc', ['lsp'], 0], ['start']],
    'a change of mlp.server.* restarts with the new (default) settings');

  const lastClient = (() => { let c; FakeLanguageClient.prototype.start = async function () { c = this; }; return () => c; })();
  await commands['mlp.restartServer']();
  const selector = lastClient().clientOptions.documentSelector;
  assert.ok(selector.every((s) => s.language === 'mlp'), 'the client serves mlp documents only');

  calls.length = 0;
  await ext.deactivate();
  assert.deepStrictEqual(calls, [['stop']]);

  // The real client library (with a stand-in for the vscode API it extends) has what we use.
  Module._load = function (request, ...rest) {
    if (request === 'vscode') {
      return new Proxy({}, { get: (_, key) => (key === '__esModule' ? false : class {}) });
    }
    return realLoad.call(this, request, ...rest);
  };
  const real = require('vscode-languageclient/node');
  assert.strictEqual(typeof real.LanguageClient, 'function');
  assert.strictEqual(real.TransportKind.stdio, 0);

  console.log('extension: ok (activation, mlp.restartServer, restart on mlp.server.* change, deactivate)');
})().catch((err) => {
  console.error('FAIL:', err && err.stack ? err.stack : err);
  process.exit(1);
});
