//! Warnings about definitions nothing uses and imports that bring nothing in.

use super::Checker;
use crate::ast::{DefKind, Item};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};

impl Checker<'_> {
    pub(super) fn check_usage(&mut self) {
        // With errors about, a definition may look unused only because its user is broken.
        if !self.broken_kinds.is_empty() || self.diagnostics.iter().any(Diagnostic::is_error) {
            return;
        }
        let mut warnings = Vec::new();
        for def in self.defs.values() {
            let kind = def.def.kind;
            let unused =
                matches!(kind, DefKind::Source | DefKind::Dataset) && !self.referenced.contains(&def.def.name.name);
            if unused {
                let user = if kind == DefKind::Source { "dataset" } else { "model or baseline" };
                warnings.push(
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
        // An import is unused when nothing it defines is used and it defines nothing that runs
        // on its own (models, baselines, gates, deploys, searches, monitors, objectives).
        for (index, ast) in self.asts.iter().enumerate() {
            let file = FileId(index as u32);
            for item in &ast.items {
                let Item::Import(import) = item else { continue };
                let dir = self.dir_of(file);
                let target = super::normalize(&dir.join(&import.path.value));
                let Some(imported) = self.files.iter().position(|f| f.path == target) else { continue };
                let imported_ast = &self.asts[imported];
                let used = imported_ast.items.iter().any(|item| match item {
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
                        ) || self.referenced.contains(&d.name.name)
                    }
                    Item::Objective(_) | Item::Import(_) => true,
                    _ => false,
                });
                if !used {
                    warnings.push(
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
        self.diagnostics.extend(warnings);
    }
}
