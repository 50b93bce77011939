//! The pipeline pass: the one `pipeline` block and its settings (seed, runs directory, ...), or
//! the declared defaults under the root file's name when there is none.

use super::context::Context;
use super::pass::{Checked, Pass};
use crate::ast::DefKind;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::Pipeline;
use crate::span::Span;

/// Checks the pipeline block; `None` when its settings are wrong.
pub(super) fn check<'a>(cx: &'a Context<'a>) -> Checked<Option<Pipeline>> {
    let mut p = Pass::new(cx);
    let pipelines = cx.symbols.of_kind(DefKind::Pipeline);
    let Some(&first) = pipelines.first() else {
        let settings = p.settings(FileId(0), "pipeline", None, false, true);
        let name = cx
            .files
            .first()
            .and_then(|f| f.path.file_stem())
            .map_or("pipeline".into(), |s| s.to_string_lossy().into_owned());
        let settings = p.typed_settings(FileId(0), Span::new(0, 0), "pipeline", &settings.values);
        return p.finish(settings.map(|settings| Pipeline { name, settings }));
    };
    p.refer(&first.def.name.name);
    for extra in &pipelines[1..] {
        p.report(
            Diagnostic::error(Code::E0101, extra.file, extra.def.name.span, "a spec has exactly one `pipeline` block")
                .with_primary(format!("second pipeline `{}`", extra.def.name.name))
                .with_label_in(first.file, first.def.name.span, "the pipeline is defined here")
                .with_help("merge the settings into one `pipeline` block"),
        );
    }
    p.expect_no_value(first, "`pipeline` takes settings in a block: `pipeline name { seed = 42 }`");
    let settings = p.settings(first.file, "pipeline", first.def.body.as_ref(), false, true);
    p.no_statements(first.file, &settings.other, "pipeline");
    let typed = p.typed_settings(first.file, first.def.name.span, "pipeline", &settings.values);
    p.finish(typed.map(|settings| Pipeline { name: first.def.name.name.clone(), settings }))
}

/// What a spec without anything to run gets, so that a deleted or truncated pipeline is not a
/// green build: E0004 when the root file holds no definition at all (empty, blank, comments
/// only), E0209 when the root and its imports define no `model`, `baseline` or `gate`. Reported
/// only for a spec with no other error (a model that did not parse is not "nothing to run"), and
/// only about the root file: an imported file is a library and needs nothing of its own.
pub(super) fn runnable(cx: &Context<'_>) -> Option<Diagnostic> {
    let root = FileId(0);
    let text = cx.files.first().map_or("", |f| f.text.as_str());
    let after_bom = crate::span::bom_len(text);
    let start = Span::new(after_bom, after_bom);
    if cx.asts.first().is_none_or(|ast| ast.items.is_empty()) {
        return Some(
            Diagnostic::error(Code::E0004, root, start, "the spec is empty")
                .with_primary("no definitions in this file")
                .with_help(
                    "a spec needs data and something to run, at least: `source s = csv(\"data.csv\") { label = y }`, \
                     `dataset d = s`, `objective maximize accuracy` and `baseline majority = majority_class()`",
                ),
        );
    }
    let runs = [DefKind::Model, DefKind::Baseline, DefKind::Gate];
    if runs.iter().any(|&kind| !cx.symbols.of_kind(kind).is_empty()) {
        return None;
    }
    let pipeline = cx.symbols.of_kind(DefKind::Pipeline).first().filter(|def| def.file == root);
    let (span, label) = match pipeline {
        Some(def) => (def.def.name.span, format!("pipeline `{}` has no model, baseline or gate", def.def.name.name)),
        None => (start, "no `model`, `baseline` or `gate` here or in the imports".to_string()),
    };
    Some(
        Diagnostic::error(Code::E0209, root, span, "this spec has nothing to run")
            .with_primary(label)
            .with_help("add a `model` or a `baseline` to train and score, e.g. `baseline majority = majority_class()`"),
    )
}
