//! The workspace's registries (mlp-stdlib's and mlp-runtime's) cover every kind of declaration in
//! stdlib/*.mlp exactly once, the deferred kinds are the known ones, and the built-ins the runtime
//! implements really run: every declared function evaluates on real data.

use mlp_compiler::plan::LoadStep;
use mlp_compiler::stdlib::Stdlib;
use mlp_data::FsWorld;
use mlp_runtime::registry;
use mlp_stdlib::registry::Implementation;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_declared_kind_is_registered_once() {
    let mut registered: BTreeMap<&str, Implementation> = BTreeMap::new();
    for entry in registry::all() {
        assert!(registered.insert(entry.declared, entry.implementation).is_none(), "`{}` twice", entry.declared);
    }
    let declared: std::collections::BTreeSet<String> = Stdlib::get()
        .all()
        .iter()
        .map(|b| if b.kind == "settings" { format!("settings.{}", b.name) } else { b.kind.clone() })
        .collect();
    let missing: Vec<&String> = declared.iter().filter(|k| !registered.contains_key(k.as_str())).collect();
    let undeclared: Vec<&&str> = registered.keys().filter(|k| !declared.contains(**k)).collect();
    assert!(missing.is_empty(), "declared in stdlib/*.mlp but not registered: {missing:?}");
    assert!(undeclared.is_empty(), "registered but not declared: {undeclared:?}");
}

/// The deferred kinds, listed here so that deferring another one is a visible decision.
#[test]
fn deferred_kinds_are_the_known_ones() {
    let deferred: Vec<&str> = registry::all()
        .filter(|e| matches!(e.implementation, Implementation::Deferred(_)))
        .map(|e| e.declared)
        .collect();
    assert_eq!(deferred, ["target", "statistic", "action", "settings.deploy", "settings.monitor", "auth"]);
}

#[test]
fn every_declared_function_evaluates_on_real_data() {
    let stdlib = Stdlib::get();
    let mut features = String::new();
    let mut names = Vec::new();
    for builtin in stdlib.of_kind("function") {
        let name = &builtin.name;
        let args: Vec<&str> =
            ["sepal_length", "petal_width", "sepal_width"].into_iter().take(builtin.params.len()).collect();
        features.push_str(&format!("feature f_{name} = {name}({})\n", args.join(", ")));
        names.push(format!("f_{name}"));
    }
    let data = root().join("tests/data/iris.csv");
    let spec = format!(
        "pipeline p {{ seed = 1 }}\nsource s = csv(\"{}\") {{ label = species }}\ndataset d = s {{ split = stratified() }}\n{features}objective maximize accuracy\nbaseline b = majority_class()\n",
        data.display()
    );
    let path = std::env::temp_dir().join(format!("mlpc-registry-{}.mlp", std::process::id()));
    let compilation = mlp_compiler::compile_text(&FsWorld, &path, &spec);
    let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).map(|d| &d.message).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let program = compilation.program.expect("a program");
    let table = mlp_data::load(&LoadStep::of(&program.sources[0])).expect("iris loads");
    let expressions = mlp_runtime::prepare::expressions::Expressions::new(mlp_expr::Engine::Jit);
    for name in &names {
        let feature = program.features.iter().find(|f| &f.name == name).expect("feature checked");
        let values = expressions
            .evaluate(&feature.expression.expr, &table, &[])
            .unwrap_or_else(|e| panic!("{name} = {}: {e}", feature.expression.text));
        assert_eq!(values.len(), 150, "{name}");
    }
}
