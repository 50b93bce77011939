//! The standard library's declarations parse cleanly, their defaults fit their own types, every
//! block kind declares its settings, and docs/stdlib.md is the current generated reference.

use mlp_compiler::FileId;
use mlp_compiler::ast::DefKind;
use mlp_compiler::stdlib::{self, Stdlib};

#[test]
fn declarations_parse_without_diagnostics() {
    for (file, text) in stdlib::FILES {
        let (ast, diagnostics) = mlp_compiler::syntax::parse(text, FileId(0));
        assert!(diagnostics.is_empty(), "stdlib/{file}: {diagnostics:#?}");
        assert!(!ast.items.is_empty(), "stdlib/{file} declares nothing");
    }
}

#[test]
fn every_builtin_is_documented() {
    for builtin in Stdlib::get().all() {
        assert!(
            !builtin.doc.trim().is_empty(),
            "{} `{}` in stdlib/{} has no doc comment",
            builtin.kind,
            builtin.name,
            builtin.file
        );
    }
}

#[test]
fn defaults_fit_their_declared_types() {
    let problems = mlp_compiler::check::invalid_stdlib_defaults();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn block_kinds_with_settings_declare_them() {
    let stdlib = Stdlib::get();
    for kind in [
        DefKind::Pipeline,
        DefKind::Source,
        DefKind::Dataset,
        DefKind::Model,
        DefKind::Baseline,
        DefKind::Search,
        DefKind::Deploy,
    ] {
        assert!(
            stdlib.settings(kind.keyword()).is_some(),
            "no `extern settings {}` in stdlib/settings.mlp",
            kind.keyword()
        );
    }
}

#[test]
fn metrics_declare_tasks_and_direction() {
    for metric in Stdlib::get().of_kind("metric") {
        assert!(!metric.list_attribute("tasks").is_empty(), "metric `{}` has no tasks", metric.name);
        assert!(
            matches!(metric.name_attribute("direction"), Some("maximize" | "minimize")),
            "metric `{}` has no direction",
            metric.name
        );
    }
}

#[test]
fn generated_reference_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/stdlib.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = stdlib::reference_markdown();
    assert!(
        committed == generated,
        "docs/stdlib.md is stale: regenerate it with `cargo run -q -- stdlib-docs > docs/stdlib.md`"
    );
}
