// The MLP extension: starts the `mlpc lsp` language server (or whatever `mlp.server.path` and
// `mlp.server.args` name) over stdio for `mlp` documents, restarts it when those settings change,
// and offers the command `mlp.restartServer`. Highlighting, snippets and the language configuration
// are contributed declaratively in package.json.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;
/** @type {vscode.OutputChannel | undefined} */
let output;

function serverOptions() {
  const config = vscode.workspace.getConfiguration('mlp');
  const command = config.get('server.path', 'mlpc') || 'mlpc';
  const args = config.get('server.args', ['lsp']);
  const executable = {
    command,
    args: Array.isArray(args) ? args.map(String) : ['lsp'],
    transport: TransportKind.stdio,
  };
  return { run: executable, debug: executable };
}

async function startClient() {
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'mlp' },
      { scheme: 'untitled', language: 'mlp' },
    ],
    outputChannel: output,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.mlp'),
    },
  };
  client = new LanguageClient('mlp', 'MLP Language Server', serverOptions(), clientOptions);
  try {
    await client.start();
  } catch (err) {
    const { command } = serverOptions().run;
    vscode.window.showErrorMessage(
      `MLP: could not start the language server \`${command}\`: ${err && err.message ? err.message : err}. ` +
        'Set `mlp.server.path` to the mlpc executable.'
    );
  }
}

async function stopClient() {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop();
    } catch (_) {
      // A server that never started, or already exited, has nothing to stop.
    }
  }
}

async function restartClient() {
  await stopClient();
  await startClient();
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  output = vscode.window.createOutputChannel('MLP Language Server');
  context.subscriptions.push(output);
  context.subscriptions.push(vscode.commands.registerCommand('mlp.restartServer', restartClient));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('mlp.server')) {
        restartClient();
      }
    })
  );
  await startClient();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate };
