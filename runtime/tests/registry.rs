//! Built-ins the registry says the runtime implements really run: every declared function
//! evaluates on real data through the reference evaluator. (Metrics are held to the registry in
//! stdlib/tests/registry.rs.)

use mlp_compiler::plan::LoadStep;
use mlp_compiler::stdlib::Stdlib;
use mlp_data::FsWorld;
use mlp_stdlib::registry::{BUILTINS, Status};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_declared_function_evaluates_on_real_data() {
    let stdlib = Stdlib::get();
    let mut features = String::new();
    let mut names = Vec::new();
    for (kind, name, status) in BUILTINS {
        if *kind != "function" {
            continue;
        }
        assert!(matches!(status, Status::Implemented("mlp_runtime::eval")), "function `{name}`: {status:?}");
        let builtin = stdlib.lookup("function", name).expect("declared");
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
    let expressions = mlp_runtime::expressions::Expressions::new(mlp_expr::Engine::Jit);
    for name in &names {
        let feature = program.features.iter().find(|f| &f.name == name).expect("feature checked");
        let values = expressions
            .evaluate(&feature.expression.expr, &table, &[])
            .unwrap_or_else(|e| panic!("{name} = {}: {e}", feature.expression.text));
        assert_eq!(values.len(), 150, "{name}");
    }
}
