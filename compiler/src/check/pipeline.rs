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
