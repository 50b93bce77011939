//! The read-only context every pass sees: the files and their syntax trees, the standard library,
//! the `World` for data samples, and the symbol table that the first pass, [`collect`], builds.
//!
//! Nothing here changes once the passes start, except the sample cache: it memoizes reads through
//! the `World` (I/O), so it sits behind a `RefCell` and gives every pass the same answer.

use crate::ast::{Ast, DefKind, Definition, Item, Objective};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId, SourceFile};
use crate::program::Format;
use crate::span::Span;
use crate::stdlib::Stdlib;
use crate::world::{SAMPLE_ROWS, Sample, SampleError, World};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A definition and the file it is in.
#[derive(Clone, Copy)]
pub(crate) struct Def<'a> {
    pub file: FileId,
    pub def: &'a Definition,
}

/// What the definitions are called, by kind; built once by [`collect`].
#[derive(Default)]
pub(crate) struct Symbols<'a> {
    /// Named definitions (all kinds but `search` and `monitor`, which are keyed by their target).
    pub defs: BTreeMap<String, Def<'a>>,
    /// `defs` by kind, each in file and source order.
    by_kind: HashMap<DefKind, Vec<Def<'a>>>,
    pub searches: Vec<Def<'a>>,
    pub monitors: Vec<Def<'a>>,
    pub objectives: Vec<(FileId, &'a Objective)>,
    /// Names and keywords of definitions that did not parse: references to them are not
    /// reported again, and neither is what their absence implies.
    pub broken: HashSet<String>,
    pub broken_kinds: HashSet<String>,
}

impl<'a> Symbols<'a> {
    pub fn get(&self, name: &str) -> Option<Def<'a>> {
        self.defs.get(name).copied()
    }

    /// Named definitions of one kind, in file and source order.
    pub fn of_kind(&self, kind: DefKind) -> &[Def<'a>] {
        self.by_kind.get(&kind).map_or(&[], Vec::as_slice)
    }
}

/// Everything the passes read and nobody writes.
pub(crate) struct Context<'a> {
    pub files: &'a [SourceFile],
    pub asts: &'a [Ast],
    pub stdlib: &'static Stdlib,
    /// Data access for schema inference; `None` where no data may be read.
    pub world: Option<&'a dyn World>,
    pub symbols: Symbols<'a>,
    /// Each table source's sample, read once per file and format by whichever pass asks first
    /// (two sources may read one file with different delimiters).
    samples: RefCell<HashMap<(Format, PathBuf), SampleResult>>,
}

/// A sample as read, or why it could not be.
type SampleResult = Result<Rc<Sample>, SampleError>;

impl<'a> Context<'a> {
    pub fn new(files: &'a [SourceFile], asts: &'a [Ast], world: Option<&'a dyn World>, symbols: Symbols<'a>) -> Self {
        Context { files, asts, stdlib: Stdlib::get(), world, symbols, samples: RefCell::default() }
    }

    /// A context without files or data, for checking the standard library's own defaults.
    pub fn detached() -> Context<'static> {
        Context::new(&[], &[], None, Symbols::default())
    }

    /// The directory that paths in this file are relative to.
    pub fn dir_of(&self, file: FileId) -> PathBuf {
        self.files[file.0 as usize].path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The sample of a table source's file(s): read once per file and format, whatever asks for
    /// it (schema inference, element columns, window counts).
    pub fn sample(&self, format: &Format, path: &Path) -> Result<Rc<Sample>, SampleError> {
        let key = (format.clone(), path.to_path_buf());
        if let Some(cached) = self.samples.borrow().get(&key) {
            return cached.clone();
        }
        let sample = match self.world {
            Some(world) => world.sample(format, path, SAMPLE_ROWS).map(Rc::new),
            None => Err(SampleError::Unsupported("no data access in this context".into())),
        };
        self.samples.borrow_mut().insert(key, sample.clone());
        sample
    }
}

/// The first pass: builds the symbol table, reporting duplicates (E0101) and `extern`
/// declarations in a spec (E0207), and noting what failed to parse.
pub(super) fn collect<'a>(files: &'a [SourceFile], asts: &'a [Ast]) -> (Symbols<'a>, Vec<Diagnostic>) {
    let mut collector = Collector::default();
    for (index, ast) in asts.iter().enumerate() {
        let file = FileId(index as u32);
        for item in &ast.items {
            match item {
                Item::Definition(def) => collector.definition(file, def),
                Item::Objective(objective) => collector.symbols.objectives.push((file, objective)),
                Item::Extern(ext) => collector.diagnostics.push(
                    Diagnostic::error(
                        Code::E0207,
                        file,
                        ext.kind.span.to(ext.name.span),
                        "`extern` declarations belong to the standard library",
                    )
                    .with_primary("not allowed in a spec")
                    .with_help("remove the declaration; built-ins are declared in stdlib/*.mlp"),
                ),
                Item::Error(span) => collector.broken(&files[index].text[span.start..span.end]),
                Item::Import(_) => {}
            }
        }
    }
    let Collector { mut symbols, diagnostics, .. } = collector;
    for def in symbols.defs.values() {
        symbols.by_kind.entry(def.def.kind).or_default().push(*def);
    }
    for defs in symbols.by_kind.values_mut() {
        defs.sort_by_key(|d| (d.file, d.def.span.start));
    }
    (symbols, diagnostics)
}

#[derive(Default)]
struct Collector<'a> {
    symbols: Symbols<'a>,
    /// The first `search` and `monitor` block for each target.
    search_targets: HashMap<String, (FileId, Span)>,
    monitor_targets: HashMap<String, (FileId, Span)>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Collector<'a> {
    fn definition(&mut self, file: FileId, def: &'a Definition) {
        match def.kind {
            DefKind::Search | DefKind::Monitor => self.keyed(file, def),
            _ => self.named(file, def),
        }
    }

    /// A `search` or `monitor` block, one per target.
    fn keyed(&mut self, file: FileId, def: &'a Definition) {
        let targets = if def.kind == DefKind::Search { &mut self.search_targets } else { &mut self.monitor_targets };
        if let Some(&(first_file, first)) = targets.get(&def.name.name) {
            let kw = def.kind.keyword();
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E0101,
                    file,
                    def.name.span,
                    format!("a second `{kw}` block for `{}`", def.name.name),
                )
                .with_primary("defined again here")
                .with_label_in(first_file, first, "first defined here")
                .with_help(format!("merge the two `{kw} {}` blocks into one", def.name.name)),
            );
            return;
        }
        targets.insert(def.name.name.clone(), (file, def.name.span));
        if def.kind == DefKind::Search {
            self.symbols.searches.push(Def { file, def })
        } else {
            self.symbols.monitors.push(Def { file, def })
        }
    }

    /// Any other definition: one name, one definition.
    fn named(&mut self, file: FileId, def: &'a Definition) {
        if let Some(first) = self.symbols.defs.get(&def.name.name) {
            let first_kind = first.def.kind.keyword();
            self.diagnostics.push(
                Diagnostic::error(
                    Code::E0101,
                    file,
                    def.name.span,
                    format!("`{}` is defined more than once", def.name.name),
                )
                .with_primary(format!("{} `{}` defined again here", def.kind.keyword(), def.name.name))
                .with_label_in(
                    first.file,
                    first.def.name.span,
                    format!("{first_kind} `{}` first defined here", def.name.name),
                )
                .with_help("every definition needs its own name: rename one of them"),
            );
            return;
        }
        self.symbols.defs.insert(def.name.name.clone(), Def { file, def });
    }

    /// A chunk that did not parse: its first word is the kind, its second the name.
    fn broken(&mut self, text: &str) {
        let mut words = text.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
        if let Some(keyword) = words.next() {
            self.symbols.broken_kinds.insert(keyword.to_string());
        }
        if let Some(name) = words.next() {
            self.symbols.broken.insert(name.to_string());
        }
    }
}
