//! The protocol loop: reads JSON-RPC messages from the client (lsp-server's stdio transport),
//! keeps the open documents, re-checks them (debounced) and answers requests by calling the
//! analysis modules. Nothing here knows the language; nothing in the analysis modules knows the
//! protocol.

use crate::position::LineMap;
use crate::{code_actions, completion, diagnostics, formatting, hover, navigation, semantic_tokens, symbols};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Exit, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References, Rename,
    Request as _, SemanticTokensFullRequest,
};
use lsp_types::{
    CodeActionOrCommand, CodeActionProviderCapability, CompletionOptions, CompletionResponse, DocumentSymbolResponse,
    GotoDefinitionResponse, Hover, HoverContents, HoverProviderCapability, InitializeResult, Location, MarkupContent,
    MarkupKind, OneOf, PublishDiagnosticsParams, SemanticTokens, SemanticTokensFullOptions, SemanticTokensOptions,
    SemanticTokensServerCapabilities, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit, Url, WorkspaceEdit,
};
use mlp_compiler::Compilation;
use mlp_compiler::program::Program;
use mlp_compiler::world::{DirEntry, Sample, SampleError, World};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Changes arriving within this long of each other are checked once (typing bursts).
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// An open document: the editor's text and the last compilation of it.
pub struct Document {
    pub path: PathBuf,
    pub text: String,
    pub version: i32,
    pub compilation: Option<Compilation>,
    /// The program of the last check without errors: columns and metrics stay known while the
    /// user types something broken.
    pub last_program: Option<Program>,
}

/// The server's state, independent of the transport (the benchmark drives it in-process).
pub struct Server {
    world: Box<dyn World>,
    pub documents: HashMap<Url, Document>,
}

/// The client's open documents over the file system: an import of an open file reads the
/// editor's text, not the disk's.
struct Overlay<'a> {
    inner: &'a dyn World,
    open: HashMap<&'a Path, &'a str>,
}

impl World for Overlay<'_> {
    fn read_source(&self, path: &Path) -> Result<String, String> {
        match self.open.get(path) {
            Some(text) => Ok(text.to_string()),
            None => self.inner.read_source(path),
        }
    }
    fn read_spec(&self, path: &Path) -> Result<String, mlp_compiler::world::SourceError> {
        match self.open.get(path) {
            Some(text) => Ok(text.to_string()),
            None => self.inner.read_spec(path),
        }
    }
    fn sample(
        &self,
        format: &mlp_compiler::program::Format,
        path: &Path,
        max_rows: usize,
    ) -> Result<Sample, SampleError> {
        self.inner.sample(format, path, max_rows)
    }
    fn read_bytes(&self, path: &Path, max_bytes: usize) -> Result<Vec<u8>, SampleError> {
        self.inner.read_bytes(path, max_bytes)
    }
    fn list_dir(&self, path: &Path) -> Result<Vec<DirEntry>, SampleError> {
        self.inner.list_dir(path)
    }
}

/// The file path of a document URI; non-file URIs get a stable pseudo-path so they still check.
fn path_of(uri: &Url) -> PathBuf {
    uri.to_file_path().unwrap_or_else(|_| PathBuf::from(format!("/untitled/{}", uri.path())))
}

impl Server {
    pub fn new(world: Box<dyn World>) -> Self {
        Server { world, documents: HashMap::new() }
    }

    pub fn capabilities() -> ServerCapabilities {
        ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            document_formatting_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
                SemanticTokensOptions {
                    legend: semantic_tokens::legend(),
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    ..SemanticTokensOptions::default()
                },
            )),
            code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".into(), "=".into(), " ".into()]),
                ..CompletionOptions::default()
            }),
            ..ServerCapabilities::default()
        }
    }

    /// Records the editor's text of a document (open or full change); checking happens later.
    pub fn set_text(&mut self, uri: Url, text: String, version: i32) {
        let path = path_of(&uri);
        let last_program = self.documents.remove(&uri).and_then(|d| d.last_program);
        self.documents.insert(uri, Document { path, text, version, compilation: None, last_program });
    }

    /// Re-checks one document with `compile_text` and returns its diagnostics, as `mlpc check`
    /// reports them.
    pub fn check(&mut self, uri: &Url) -> Option<PublishDiagnosticsParams> {
        let open: HashMap<&Path, &str> = self.documents.values().map(|d| (d.path.as_path(), d.text.as_str())).collect();
        let document = self.documents.get(uri)?;
        let overlay = Overlay { inner: self.world.as_ref(), open };
        let compilation = mlp_compiler::compile_text(&overlay, &document.path, &document.text);
        let diagnostics = diagnostics::for_file(&compilation, &document.path);
        let version = document.version;
        let document = self.documents.get_mut(uri)?;
        let mut compilation = compilation;
        if let Some(program) = compilation.program.take() {
            document.last_program = Some(program);
        }
        document.compilation = Some(compilation);
        Some(PublishDiagnosticsParams::new(uri.clone(), diagnostics, Some(version)))
    }

    /// Answers one request; `Err` carries a JSON-RPC error. Never panics on the request's content.
    pub fn handle(&self, request: &Request) -> Result<serde_json::Value, (ErrorCode, String)> {
        fn params<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, (ErrorCode, String)> {
            serde_json::from_value(request.params.clone()).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
        }
        fn json(value: impl serde::Serialize) -> Result<serde_json::Value, (ErrorCode, String)> {
            serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
        }
        match request.method.as_str() {
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = params(request)?;
                let Some(doc) = self.documents.get(&p.text_document.uri) else { return Ok(serde_json::Value::Null) };
                match formatting::format(&doc.text) {
                    Some(edits) => json(edits),
                    None => Err((ErrorCode::RequestFailed, "not formatted because of syntax errors".to_string())),
                }
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = params(request)?;
                let Some(doc) = self.documents.get(&p.text_document.uri) else { return Ok(serde_json::Value::Null) };
                json(DocumentSymbolResponse::Nested(symbols::outline(&doc.text)))
            }
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(request)?;
                let at = p.text_document_position_params;
                let Some(doc) = self.documents.get(&at.text_document.uri) else { return Ok(serde_json::Value::Null) };
                let offset = LineMap::new(&doc.text).offset(&doc.text, at.position);
                match hover::hover(&doc.text, offset, doc.compilation.as_ref(), doc.last_program.as_ref()) {
                    Some(value) => json(Hover {
                        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
                        range: None,
                    }),
                    None => Ok(serde_json::Value::Null),
                }
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(request)?;
                let at = p.text_document_position;
                let Some(doc) = self.documents.get(&at.text_document.uri) else { return Ok(serde_json::Value::Null) };
                let offset = LineMap::new(&doc.text).offset(&doc.text, at.position);
                let items =
                    completion::complete(&doc.text, offset, doc.compilation.as_ref(), doc.last_program.as_ref());
                json(CompletionResponse::Array(items))
            }
            SemanticTokensFullRequest::METHOD => {
                let p: lsp_types::SemanticTokensParams = params(request)?;
                let Some(doc) = self.documents.get(&p.text_document.uri) else { return Ok(serde_json::Value::Null) };
                let data = semantic_tokens::tokens(&doc.text, doc.compilation.as_ref(), doc.last_program.as_ref());
                json(SemanticTokens { result_id: None, data })
            }
            CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = params(request)?;
                let uri = &p.text_document.uri;
                let Some(compilation) = self.documents.get(uri).and_then(|d| d.compilation.as_ref()) else {
                    return Ok(serde_json::Value::Null);
                };
                let actions: Vec<CodeActionOrCommand> = code_actions::quick_fixes(compilation, uri, p.range)
                    .into_iter()
                    .map(CodeActionOrCommand::CodeAction)
                    .collect();
                json(actions)
            }
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(request)?;
                let at = p.text_document_position_params;
                let Some((compilation, all, name)) = self.name_at(&at.text_document.uri, at.position) else {
                    return Ok(serde_json::Value::Null);
                };
                match navigation::definition(compilation, &all, &name).and_then(|(p, s)| location(compilation, p, s)) {
                    Some(loc) => json(GotoDefinitionResponse::Scalar(loc)),
                    None => Ok(serde_json::Value::Null),
                }
            }
            References::METHOD => {
                let p: lsp_types::ReferenceParams = params(request)?;
                let at = p.text_document_position;
                let Some((compilation, all, name)) = self.name_at(&at.text_document.uri, at.position) else {
                    return Ok(serde_json::Value::Null);
                };
                let found = navigation::references(compilation, &all, &name, p.context.include_declaration);
                let locations: Vec<Location> =
                    found.into_iter().filter_map(|(p, s)| location(compilation, p, s)).collect();
                json(locations)
            }
            Rename::METHOD => {
                let p: lsp_types::RenameParams = params(request)?;
                let at = p.text_document_position;
                if !navigation::is_identifier(&p.new_name) {
                    return Err((ErrorCode::InvalidParams, format!("`{}` is not a name", p.new_name)));
                }
                let Some((compilation, all, name)) = self.name_at(&at.text_document.uri, at.position) else {
                    return Err((ErrorCode::RequestFailed, "no name to rename here".to_string()));
                };
                let found = navigation::references(compilation, &all, &name, true);
                if found.is_empty() {
                    return Err((
                        ErrorCode::RequestFailed,
                        format!("`{name}` is built in or a column, not a definition"),
                    ));
                }
                let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
                for (path, span) in found {
                    if let Some(loc) = location(compilation, path, span) {
                        changes.entry(loc.uri).or_default().push(TextEdit::new(loc.range, p.new_name.clone()));
                    }
                }
                json(WorkspaceEdit::new(changes))
            }
            _ => Err((ErrorCode::MethodNotFound, format!("unsupported request `{}`", request.method))),
        }
    }

    /// The last compilation of a document, its occurrences, and the defined or used name at a position.
    fn name_at(
        &self,
        uri: &Url,
        position: lsp_types::Position,
    ) -> Option<(&Compilation, Vec<navigation::Occurrence>, String)> {
        let compilation = self.documents.get(uri)?.compilation.as_ref()?;
        let root = compilation.files.first()?;
        let offset = LineMap::new(&root.text).offset(&root.text, position);
        let all = navigation::occurrences(compilation);
        let name = navigation::name_at(&all, 0, offset)?.to_string();
        Some((compilation, all, name))
    }

    /// Applies a notification; returns the documents that need a re-check.
    pub fn notify(&mut self, notification: &Notification) -> Vec<Url> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(notification.params.clone())
                {
                    let uri = p.text_document.uri;
                    self.set_text(uri.clone(), p.text_document.text, p.text_document.version);
                    return vec![uri];
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(notification.params.clone())
                    // Full sync: the last change holds the whole text.
                    && let Some(change) = p.content_changes.into_iter().last()
                {
                    let uri = p.text_document.uri;
                    self.set_text(uri.clone(), change.text, p.text_document.version);
                    return vec![uri];
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(notification.params.clone())
                {
                    self.documents.remove(&p.text_document.uri);
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

/// An LSP location for a span of one of the compilation's files.
fn location(compilation: &Compilation, path: PathBuf, span: mlp_compiler::Span) -> Option<Location> {
    let file = compilation.files.iter().find(|f| f.path == path)?;
    let uri = Url::from_file_path(&path).ok()?;
    Some(Location::new(uri, LineMap::new(&file.text).range(&file.text, span)))
}

/// Serves one client over stdin/stdout until it sends `exit`.
pub fn run_stdio(world: Box<dyn World>) -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = serde_json::to_value(Server::capabilities()).map_err(|e| e.to_string())?;
    let (id, _params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let result = InitializeResult {
        capabilities: serde_json::from_value(capabilities).map_err(|e| e.to_string())?,
        server_info: Some(ServerInfo { name: "mlpc".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    };
    connection
        .initialize_finish(id, serde_json::to_value(result).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    main_loop(&connection, Server::new(world))?;
    drop(connection);
    io_threads.join().map_err(|e| e.to_string())
}

fn main_loop(connection: &Connection, mut server: Server) -> Result<(), String> {
    let mut pending: HashSet<Url> = HashSet::new();
    let mut deadline: Option<Instant> = None;
    loop {
        let message = match deadline {
            None => connection.receiver.recv().ok(),
            Some(at) => match connection.receiver.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(message) => Some(message),
                Err(crossbeam_timeout) if crossbeam_timeout.is_timeout() => {
                    for uri in pending.drain() {
                        if let Some(params) = server.check(&uri) {
                            publish(connection, params)?;
                        }
                    }
                    deadline = None;
                    continue;
                }
                Err(_) => None,
            },
        };
        let Some(message) = message else { return Ok(()) };
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                // A request sees the latest text: check what is pending first.
                if !pending.is_empty() {
                    for uri in pending.drain() {
                        if let Some(params) = server.check(&uri) {
                            publish(connection, params)?;
                        }
                    }
                    deadline = None;
                }
                let response = match server.handle(&request) {
                    Ok(result) => Response::new_ok(request.id.clone(), result),
                    Err((code, message)) => Response::new_err(request.id.clone(), code as i32, message),
                };
                send(connection, Message::Response(response))?;
            }
            Message::Notification(notification) => {
                if notification.method == Exit::METHOD {
                    return Ok(());
                }
                let dirty = server.notify(&notification);
                if !dirty.is_empty() {
                    pending.extend(dirty);
                    deadline = Some(Instant::now() + DEBOUNCE);
                }
            }
            Message::Response(_) => {}
        }
    }
}

fn publish(connection: &Connection, params: PublishDiagnosticsParams) -> Result<(), String> {
    let params = serde_json::to_value(params).map_err(|e| e.to_string())?;
    send(connection, Message::Notification(Notification::new(PublishDiagnostics::METHOD.to_string(), params)))
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection.sender.send(message).map_err(|e| e.to_string())
}
