//! Name resolution and type checking: parsed files → a [`Program`] plus diagnostics.
//!
//! `compile` reads the root file and its imports through the [`World`] (`load.rs`), parses each,
//! and checks every definition, collecting all diagnostics it can rather than stopping at the
//! first. The program is returned only when there are no errors.
//!
//! The check runs in passes, one per kind of definition, in this order:
//!
//! | pass | reads (besides the context) | returns |
//! |---|---|---|
//! | `context::collect` | the syntax trees | the symbol table |
//! | `pipeline` | | the `Pipeline` |
//! | `sources` (`tensors.rs` for image and IDX files) | | `Source`s with their schemas |
//! | `datasets` (`reshape.rs` for windows, tokens, augmentation) | sources | `Dataset`s |
//! | `features` | datasets | `Feature`s, which `features::derive_columns` adds to the datasets |
//! | `metrics` | datasets | `Metric`s and the `Objective` |
//! | `baselines` | datasets | `Baseline`s |
//! | `models` | datasets | `Model`s with their networks |
//! | `searches` | models | `Search`es |
//! | `gates` | datasets, metrics | `Gate`s and the built-in metrics they name |
//! | `deploys` | | `Deploy`s |
//! | `monitors` | datasets, deploys, models, metrics | `Monitor`s and the built-in metrics they name |
//! | `usage` | what every pass referred to | unused-definition and unused-import warnings |
//!
//! Every pass reads the same `Context` (`context.rs`: files, syntax trees, standard library,
//! `World`, symbol table; nothing in it changes but its cache of data samples) and the typed
//! results of earlier passes, writes neither, and returns a `Checked` (`pass.rs`): its typed
//! result, its diagnostics and the definitions it referred to. A pass works through a `Pass`,
//! which carries the checks every pass shares: values against the declarations (`values.rs`;
//! the declarations' own defaults are checked once per process), name lookup (`names.rs`),
//! typed settings. Column expressions are typed in `expr.rs`. Diagnostics keep the order of the
//! passes, then are sorted by position.

mod baselines;
mod context;
mod datasets;
mod deploys;
mod expr;
mod features;
mod gates;
mod load;
mod metrics;
mod models;
mod monitors;
mod names;
mod pass;
mod pipeline;
mod reshape;
mod searches;
mod sources;
mod tensors;
mod usage;
mod values;

pub use load::normalize;
pub use names::did_you_mean;
pub use reshape::WINDOW_COLUMN;

use crate::ast::Ast;
use crate::diagnostic::{Diagnostic, FileId, SourceFile};
use crate::program::Program;
use crate::world::World;
use context::Context;
use datasets::Datasets;
use pass::{Pass, Report};
use std::collections::HashSet;
use std::path::Path;

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

/// Compiles the spec at `root` and everything it imports, as the spec to check or run: one
/// with nothing to run is an error (E0004, E0209).
pub fn compile(world: &dyn World, root: &Path) -> Result<Compilation, String> {
    compile_root(world, root, true)
}

fn compile_root(world: &dyn World, root: &Path, must_run: bool) -> Result<Compilation, String> {
    let text = world.read_source(root)?;
    let mut loader = load::Loader::new(world);
    loader.load(root.to_path_buf(), text, &mut Vec::new());
    let load::Loader { files, asts, mut diagnostics, .. } = loader;

    let (symbols, collected) = context::collect(&files, &asts);
    let cx = Context::new(&files, &asts, Some(world), symbols);
    let (program, checked) = check(&cx, collected);
    diagnostics.extend(checked);
    if must_run && !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(pipeline::runnable(&cx));
    }

    let mut seen = HashSet::new();
    diagnostics.retain(|d| seen.insert((d.code, d.file, d.span, d.message.clone())));
    diagnostics.sort_by_key(|d| (d.file, d.span.start, d.span.end));
    let program = if diagnostics.iter().any(Diagnostic::is_error) { None } else { program };
    Ok(Compilation { files, asts, diagnostics, program })
}

/// Runs the passes in order over the context; `collected` are the diagnostics of
/// [`context::collect`]. The program is `None` when the pipeline's settings are wrong.
fn check<'a>(cx: &'a Context<'a>, collected: Vec<Diagnostic>) -> (Option<Program>, Vec<Diagnostic>) {
    let mut report = Report { diagnostics: collected, ..Report::default() };
    let pipeline = report.take(pipeline::check(cx));
    let sources = report.take(sources::check(cx));
    let datasets = report.take(datasets::check(cx, &sources));
    let features = report.take(features::check(cx, &datasets));
    let mut datasets = datasets;
    features::derive_columns(&mut datasets, &features);
    let datasets = Datasets::new(datasets);
    let (mut metrics, objective) = report.take(metrics::check(cx, &datasets));
    let baselines = report.take(baselines::check(cx, &datasets));
    let limits = pipeline.as_ref().map(|p| &p.settings);
    let models = report.take(models::check(cx, &datasets, limits));
    let searches = report.take(searches::check(cx, &models, limits));
    let (gates, named) = report.take(gates::check(cx, &datasets, &metrics));
    metrics.extend(named);
    let deploys = report.take(deploys::check(cx));
    let earlier = monitors::Earlier { datasets: &datasets, deploys: &deploys, models: &models, metrics: &metrics };
    let (monitors, named) = report.take(monitors::check(cx, earlier));
    metrics.extend(named);
    let errors = report.has_errors();
    report.take(usage::check(cx, &report.referenced, errors));

    let program = pipeline.map(|pipeline| Program {
        pipeline,
        sources,
        datasets: datasets.into_vec(),
        features,
        metrics,
        objective,
        baselines,
        models,
        searches,
        gates,
        deploys,
        monitors,
    });
    (program, report.diagnostics)
}

/// Compiles a spec held in memory (tests, benchmarks, the language server). A file open in an
/// editor may be a library that another file imports, so nothing to run is not an error here.
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
        fn read_spec(&self, path: &Path) -> Result<String, crate::world::SourceError> {
            if path == self.path { Ok(self.text.to_string()) } else { self.inner.read_spec(path) }
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
    compile_root(&Overlay { inner: world, path, text }, path, false).expect("the overlay always has the root text")
}

/// The declared defaults of `extern settings <block>` (the settings without a default left out),
/// or `None` for a block that declares no settings.
pub fn settings_defaults(block: &str) -> Option<crate::value::Config> {
    let declaration = crate::stdlib::Stdlib::get().settings(block)?;
    let defaults = declaration.params.iter().filter_map(|param| {
        let value = values::default_value(param, param.default.as_ref()?)?;
        Some((param.name.clone(), value))
    });
    Some(defaults.collect())
}

/// Checks every default in the standard library against its own declared type, returning one
/// message per default that does not fit (a test keeps this empty).
pub fn invalid_stdlib_defaults() -> Vec<String> {
    let cx = Context::detached();
    let mut problems = Vec::new();
    for builtin in cx.stdlib.all() {
        for param in &builtin.params {
            let Some(default) = &param.default else { continue };
            let mut p = Pass::new(&cx);
            let value = p.value(FileId(0), &param.ty, default, &param.name);
            let diagnostics = p.finish(()).report.diagnostics;
            if value.is_none() || !diagnostics.is_empty() {
                let reasons: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
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
