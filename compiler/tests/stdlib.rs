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

/// Every declared built-in is a variant of its kind's typed enum with exactly the declared
/// parameters as fields, every `extern settings` block a struct with the declared settings, and
/// the types declare nothing the standard library does not: a new declaration or parameter does
/// not reach the runtime until the typed program has it, and the typed program has nothing
/// undeclared.
#[test]
fn declarations_and_typed_program_agree() {
    let types: std::collections::BTreeMap<&str, mlp_compiler::value::TypeShape> =
        mlp_compiler::program::declared_types().into_iter().collect();
    let mut covered = std::collections::BTreeSet::new();
    for builtin in stdlib::Stdlib::get().all() {
        if builtin.kind == "function" {
            continue;
        }
        let params: Vec<&str> = builtin.params.iter().map(|p| p.name.as_str()).collect();
        let (key, variant) = if builtin.kind == "settings" {
            (format!("settings.{}", builtin.name), "")
        } else {
            (builtin.kind.clone(), builtin.name.as_str())
        };
        let shape = types.get(key.as_str()).unwrap_or_else(|| panic!("no typed program for `{key}`"));
        let mut fields = shape.fields.get(variant).cloned().unwrap_or_else(|| {
            panic!(
                "{} `{}` is declared but `{key}` has no variant `{variant}`: {:?}",
                builtin.kind, builtin.name, shape.variants
            )
        });
        let mut declared = params.clone();
        fields.sort_unstable();
        declared.sort_unstable();
        assert_eq!(fields, declared, "{} `{}`: typed fields against declared parameters", builtin.kind, builtin.name);
        covered.insert((key, variant.to_string()));
    }
    for (key, shape) in &types {
        let names: Vec<&str> = if shape.variants.is_empty() { vec![""] } else { shape.variants.clone() };
        for name in names {
            assert!(
                covered.contains(&(key.to_string(), name.to_string())),
                "`{key}` has `{name}`, which is not declared"
            );
        }
    }
}
