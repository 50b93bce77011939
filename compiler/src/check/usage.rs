//! The last pass: warnings about definitions nothing uses and imports that bring nothing in,
//! from the names every other pass referred to.

use super::context::Context;
use super::load::normalize;
use super::pass::{Checked, Pass};
use crate::ast::{DefKind, Item};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use std::collections::HashSet;

/// W0001 and W0002, given what the other passes referred to and whether they found errors.
pub(super) fn check<'a>(cx: &'a Context<'a>, referenced: &HashSet<String>, errors: bool) -> Checked<()> {
    let mut p = Pass::new(cx);
    // With errors about, a definition may look unused only because its user is broken.
    if !cx.symbols.broken_kinds.is_empty() || errors {
        return p.finish(());
    }
    for def in cx.symbols.defs.values() {
        let kind = def.def.kind;
        let unused = matches!(kind, DefKind::Source | DefKind::Dataset) && !referenced.contains(&def.def.name.name);
        if unused {
            let user = if kind == DefKind::Source { "dataset" } else { "model or baseline" };
            p.report(
                Diagnostic::warning(
                    Code::W0001,
                    def.file,
                    def.def.name.span,
                    format!("{} `{}` is never used", kind.keyword(), def.def.name.name),
                )
                .with_primary(format!("no {user} refers to it"))
                .with_help(format!("remove it, or use it from a {user}")),
            );
        }
    }
    unused_imports(&mut p, referenced);
    p.finish(())
}

/// An import is unused when nothing it defines is used and it defines nothing that runs on its
/// own (models, baselines, gates, deploys, searches, monitors, objectives).
fn unused_imports(p: &mut Pass<'_>, referenced: &HashSet<String>) {
    let cx = p.cx;
    for (index, ast) in cx.asts.iter().enumerate() {
        let file = FileId(index as u32);
        for item in &ast.items {
            let Item::Import(import) = item else { continue };
            let target = normalize(&cx.dir_of(file).join(&import.path.value));
            let Some(imported) = cx.files.iter().position(|f| f.path == target) else { continue };
            let used = cx.asts[imported].items.iter().any(|item| match item {
                Item::Definition(d) => {
                    matches!(
                        d.kind,
                        DefKind::Model
                            | DefKind::Baseline
                            | DefKind::Gate
                            | DefKind::Deploy
                            | DefKind::Search
                            | DefKind::Monitor
                            | DefKind::Pipeline
                            | DefKind::Feature
                            | DefKind::Metric
                    ) || referenced.contains(&d.name.name)
                }
                Item::Objective(_) | Item::Import(_) => true,
                _ => false,
            });
            if !used {
                p.report(
                    Diagnostic::warning(
                        Code::W0002,
                        file,
                        import.span,
                        format!("nothing from `{}` is used", import.path.value),
                    )
                    .with_primary("unused import")
                    .with_help("remove the import"),
                );
            }
        }
    }
}
