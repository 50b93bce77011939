//! Name resolution and type checking: parsed files → a [`Program`] plus diagnostics.
//!
//! `compile` reads the root file and its imports through the [`World`], parses each, and checks
//! every definition, collecting all diagnostics it can rather than stopping at the first. The
//! program is returned only when there are no errors.

mod data;
mod expr;
mod models;
mod names;
mod release;
mod reshape;
mod tensors;
mod usage;
mod values;

pub use names::did_you_mean;
pub use reshape::WINDOW_COLUMN;

use crate::ast::{Ast, DefKind, Definition, Item, Objective};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId, SourceFile};
use crate::program::Program;
use crate::span::Span;
use crate::stdlib::Stdlib;
use crate::world::World;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Everything a compilation produced: the files it read, diagnostics sorted by file and
/// position, and the program when there were no errors.
pub struct Compilation {
    pub files: Vec<SourceFile>,
    pub asts: Vec<Ast>,
    pub diagnostics: Vec<Diagnostic>,
    pub program: Option<Program>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }
}

/// Compiles the spec at `root` and everything it imports.
pub fn compile(world: &dyn World, root: &Path) -> Result<Compilation, String> {
    let text = world.read_source(root)?;
    let mut loader =
        Loader { world, files: Vec::new(), asts: Vec::new(), diagnostics: Vec::new(), by_path: HashMap::new() };
    loader.load(root.to_path_buf(), text, &mut Vec::new());
    let Loader { files, asts, mut diagnostics, .. } = loader;

    let mut checker = Checker::new(&files, &asts, Some(world));
    checker.run();
    diagnostics.append(&mut checker.diagnostics);
    let program = std::mem::take(&mut checker.program);

    let mut seen = HashSet::new();
    diagnostics.retain(|d| seen.insert((d.code, d.file, d.span, d.message.clone())));
    diagnostics.sort_by_key(|d| (d.file, d.span.start, d.span.end));
    let program = if diagnostics.iter().any(Diagnostic::is_error) { None } else { program.finish() };
    Ok(Compilation { files, asts, diagnostics, program })
}

/// Compiles a spec held in memory (tests, benchmarks, the language server).
pub fn compile_text(world: &dyn World, path: &Path, text: &str) -> Compilation {
    struct Overlay<'a> {
        inner: &'a dyn World,
        path: &'a Path,
        text: &'a str,
    }
    impl World for Overlay<'_> {
        fn read_source(&self, path: &Path) -> Result<String, String> {
            if path == self.path { Ok(self.text.to_string()) } else { self.inner.read_source(path) }
        }
        fn sample(
            &self,
            format: &crate::program::Format,
            path: &Path,
            max_rows: usize,
        ) -> Result<crate::world::Sample, crate::world::SampleError> {
            self.inner.sample(format, path, max_rows)
        }
        fn read_bytes(&self, path: &Path, max_bytes: usize) -> Result<Vec<u8>, crate::world::SampleError> {
            self.inner.read_bytes(path, max_bytes)
        }
        fn list_dir(&self, path: &Path) -> Result<Vec<crate::world::DirEntry>, crate::world::SampleError> {
            self.inner.list_dir(path)
        }
    }
    compile(&Overlay { inner: world, path, text }, path).expect("the overlay always has the root text")
}

struct Loader<'w> {
    world: &'w dyn World,
    files: Vec<SourceFile>,
    asts: Vec<Ast>,
    diagnostics: Vec<Diagnostic>,
    by_path: HashMap<PathBuf, FileId>,
}

impl Loader<'_> {
    fn load(&mut self, path: PathBuf, text: String, stack: &mut Vec<PathBuf>) -> FileId {
        let id = FileId(self.files.len() as u32);
        let (ast, mut diagnostics) = crate::syntax::parse(&text, id);
        self.diagnostics.append(&mut diagnostics);
        self.by_path.insert(path.clone(), id);
        self.files.push(SourceFile { id, path: path.clone(), text });
        self.asts.push(ast.clone());
        stack.push(path.clone());
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for item in &ast.items {
            let Item::Import(import) = item else { continue };
            let target = normalize(&dir.join(&import.path.value));
            if stack.contains(&target) {
                let chain: Vec<String> = stack.iter().chain([&target]).map(|p| display_name(p)).collect();
                self.diagnostics.push(
                    Diagnostic::error(Code::E0011, id, import.path.span, "import cycle")
                        .with_primary(format!("`{}` is already being imported", display_name(&target)))
                        .with_help(format!(
                            "cycle: {}; move the shared definitions into a file both import",
                            chain.join(" → ")
                        )),
                );
                continue;
            }
            if self.by_path.contains_key(&target) {
                continue;
            }
            match self.world.read_source(&target) {
                Ok(text) => {
                    self.load(target, text, stack);
                }
                Err(reason) => self.diagnostics.push(
                    Diagnostic::error(
                        Code::E0010,
                        id,
                        import.path.span,
                        format!("cannot read imported file `{}`", import.path.value),
                    )
                    .with_primary(reason)
                    .with_help(format!("import paths are relative to this file's directory, `{}`", dir.display())),
                ),
            }
        }
        stack.pop();
        id
    }
}

/// Resolves `.` and `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() && !out.ends_with("..") => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// A definition and the file it is in.
#[derive(Clone, Copy)]
pub(crate) struct Def<'a> {
    pub file: FileId,
    pub def: &'a Definition,
}

/// State shared by the checks: the files, the symbol table, what was referenced, diagnostics,
/// and the program being built.
pub(crate) struct Checker<'a> {
    pub files: &'a [SourceFile],
    pub asts: &'a [Ast],
    pub stdlib: &'static Stdlib,
    /// Data access for schema inference; `None` where no data may be read.
    pub world: Option<&'a dyn World>,
    /// Named definitions (all kinds but `search` and `monitor`, which are keyed by their target).
    pub defs: BTreeMap<String, Def<'a>>,
    pub searches: Vec<Def<'a>>,
    pub monitors: Vec<Def<'a>>,
    pub objectives: Vec<(FileId, &'a Objective)>,
    /// Names and keywords of definitions that did not parse: references to them are not
    /// reported again, and neither is what their absence implies.
    pub broken: HashSet<String>,
    pub broken_kinds: HashSet<String>,
    /// The datasets once checked (features included), shared by the models and baselines that
    /// train on them; built after `check_features`, when datasets no longer change.
    pub datasets: HashMap<String, std::rc::Rc<crate::program::Dataset>>,
    /// The `dataset` definitions, in source order.
    pub dataset_defs: Vec<Def<'a>>,
    /// Built-in defaults already converted to values, by parameter (see `default_value`).
    pub defaults: HashMap<usize, Option<crate::program::Value>>,
    /// Definitions some other definition refers to.
    pub referenced: HashSet<String>,
    /// Each table source's sample, read once by whichever check asks first.
    pub samples:
        std::cell::RefCell<HashMap<PathBuf, Result<std::rc::Rc<crate::world::Sample>, crate::world::SampleError>>>,
    pub diagnostics: Vec<Diagnostic>,
    pub program: Draft,
}

/// The program as the checks build it, definition kind by definition kind.
#[derive(Default)]
pub(crate) struct Draft {
    pub pipeline: Option<crate::program::Pipeline>,
    pub sources: Vec<crate::program::Source>,
    pub datasets: Vec<crate::program::Dataset>,
    pub features: Vec<crate::program::Feature>,
    pub metrics: Vec<crate::program::Metric>,
    pub objective: Option<crate::program::Objective>,
    pub baselines: Vec<crate::program::Baseline>,
    pub models: Vec<crate::program::Model>,
    pub searches: Vec<crate::program::Search>,
    pub gates: Vec<crate::program::Gate>,
    pub deploys: Vec<crate::program::Deploy>,
    pub monitors: Vec<crate::program::Monitor>,
}

impl Draft {
    fn finish(self) -> Option<Program> {
        Some(Program {
            pipeline: self.pipeline?,
            sources: self.sources,
            datasets: self.datasets,
            features: self.features,
            metrics: self.metrics,
            objective: self.objective,
            baselines: self.baselines,
            models: self.models,
            searches: self.searches,
            gates: self.gates,
            deploys: self.deploys,
            monitors: self.monitors,
        })
    }
}

impl<'a> Checker<'a> {
    fn new(files: &'a [SourceFile], asts: &'a [Ast], world: Option<&'a dyn World>) -> Self {
        Checker {
            files,
            asts,
            stdlib: Stdlib::get(),
            world,
            defs: BTreeMap::new(),
            searches: Vec::new(),
            monitors: Vec::new(),
            objectives: Vec::new(),
            referenced: HashSet::new(),
            broken: HashSet::new(),
            datasets: HashMap::new(),
            defaults: HashMap::new(),
            dataset_defs: Vec::new(),
            broken_kinds: HashSet::new(),
            samples: Default::default(),
            diagnostics: Vec::new(),
            program: Draft::default(),
        }
    }

    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The typed form of checked values (see [`crate::value`]). The values were checked against
    /// the declarations, so a mismatch is a value the declared type admits but the program's
    /// type does not (a delimiter of two characters, say); it is reported on `span`.
    pub fn typed<T: serde::de::DeserializeOwned>(
        &mut self,
        file: FileId,
        span: Span,
        what: &str,
        value: &crate::value::Value,
    ) -> Option<T> {
        match value.to_typed() {
            Ok(typed) => Some(typed),
            Err(error) => {
                self.error(
                    Diagnostic::error(Code::E0202, file, span, format!("{what} is not valid: {error}"))
                        .with_primary("not a valid value here")
                        .with_help(format!("see `mlpc explain E0202` and the declaration of {what} in docs/stdlib.md")),
                );
                None
            }
        }
    }

    /// A block's settings as its typed struct (see [`Checker::typed`]).
    pub fn typed_settings<T: serde::de::DeserializeOwned>(
        &mut self,
        file: FileId,
        span: Span,
        kind: &str,
        values: &crate::value::Config,
    ) -> Option<T> {
        let value = crate::value::Value::Call { call: kind.to_string(), args: values.clone() };
        self.typed(file, span, &format!("the settings of this {kind}"), &value)
    }

    /// The directory that paths in this file are relative to.
    pub fn dir_of(&self, file: FileId) -> PathBuf {
        self.files[file.0 as usize].path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    fn run(&mut self) {
        self.collect();
        self.check_pipeline();
        self.check_sources();
        self.check_datasets();
        self.check_features();
        self.dataset_defs = self.defs_of(DefKind::Dataset);
        self.datasets = self.program.datasets.iter().map(|d| (d.name.clone(), std::rc::Rc::new(d.clone()))).collect();
        self.check_metrics();
        self.check_objective();
        self.check_baselines();
        self.check_models();
        self.check_searches();
        self.check_gates();
        self.check_deploys();
        self.check_monitors();
        self.check_usage();
    }

    /// Builds the symbol table, reporting duplicates.
    fn collect(&mut self) {
        let mut search_targets: HashMap<String, (FileId, Span)> = HashMap::new();
        let mut monitor_targets: HashMap<String, (FileId, Span)> = HashMap::new();
        for (index, ast) in self.asts.iter().enumerate() {
            let file = FileId(index as u32);
            for item in &ast.items {
                match item {
                    Item::Definition(def) => {
                        let keyed = match def.kind {
                            DefKind::Search => Some(&mut search_targets),
                            DefKind::Monitor => Some(&mut monitor_targets),
                            _ => None,
                        };
                        if let Some(targets) = keyed {
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
                                continue;
                            }
                            targets.insert(def.name.name.clone(), (file, def.name.span));
                            if def.kind == DefKind::Search {
                                self.searches.push(Def { file, def })
                            } else {
                                self.monitors.push(Def { file, def })
                            }
                            continue;
                        }
                        if let Some(first) = self.defs.get(&def.name.name) {
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
                            continue;
                        }
                        self.defs.insert(def.name.name.clone(), Def { file, def });
                    }
                    Item::Objective(objective) => self.objectives.push((file, objective)),
                    Item::Extern(ext) => self.diagnostics.push(
                        Diagnostic::error(
                            Code::E0207,
                            file,
                            ext.kind.span.to(ext.name.span),
                            "`extern` declarations belong to the standard library",
                        )
                        .with_primary("not allowed in a spec")
                        .with_help("remove the declaration; built-ins are declared in stdlib/*.mlp"),
                    ),
                    Item::Error(span) => {
                        let text = &self.files[index].text[span.start..span.end];
                        let mut words =
                            text.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
                        if let Some(keyword) = words.next() {
                            self.broken_kinds.insert(keyword.to_string());
                        }
                        if let Some(name) = words.next() {
                            self.broken.insert(name.to_string());
                        }
                    }
                    Item::Import(_) => {}
                }
            }
        }
    }

    /// Definitions of one kind, in file and source order.
    pub fn defs_of(&self, kind: DefKind) -> Vec<Def<'a>> {
        let mut defs: Vec<Def<'a>> = self.defs.values().filter(|d| d.def.kind == kind).copied().collect();
        defs.sort_by_key(|d| (d.file, d.def.span.start));
        defs
    }
}

/// Checks every default in the standard library against its own declared type, returning one
/// message per default that does not fit (a test keeps this empty).
pub fn invalid_stdlib_defaults() -> Vec<String> {
    let mut checker = Checker::new(&[], &[], None);
    let mut problems = Vec::new();
    for builtin in checker.stdlib.all() {
        for param in &builtin.params {
            let Some(default) = &param.default else { continue };
            let before = checker.diagnostics.len();
            let value = checker.value(FileId(0), &param.ty, default, &param.name);
            if value.is_none() || checker.diagnostics.len() > before {
                let reasons: Vec<String> = checker.diagnostics[before..].iter().map(|d| d.message.clone()).collect();
                problems.push(format!(
                    "{} {}: default of `{}`: {}",
                    builtin.kind,
                    builtin.name,
                    param.name,
                    reasons.join("; ")
                ));
            }
        }
    }
    problems
}
