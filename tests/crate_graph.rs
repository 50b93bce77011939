//! The crate graph DESIGN.md asks for, read from `cargo metadata`: the compiler and the language
//! server link neither Candle nor Arrow, and the data crate links no Candle, so `mlpc check`,
//! `fmt`, `graph` and `lsp` (which read data through mlp-data) never need the training stack.
//! Only normal dependencies count: a dev-dependency is not linked into the crate.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The names of every package `package` reaches through normal dependencies, itself excluded.
fn closure(metadata: &Value, package: &str) -> BTreeSet<String> {
    let packages = metadata["packages"].as_array().expect("packages");
    let name_of: HashMap<&str, &str> =
        packages.iter().filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?))).collect();
    let members: Vec<&str> =
        metadata["workspace_members"].as_array().expect("members").iter().filter_map(Value::as_str).collect();
    let root = *members
        .iter()
        .find(|id| name_of.get(*id) == Some(&package))
        .unwrap_or_else(|| panic!("`{package}` is not a workspace member"));
    let nodes = metadata["resolve"]["nodes"].as_array().expect("resolve.nodes");
    let normal_deps: HashMap<&str, Vec<&str>> = nodes
        .iter()
        .filter_map(|node| {
            let deps = node["deps"]
                .as_array()?
                .iter()
                .filter(|dep| {
                    // `kind` is null for a normal dependency, "dev" or "build" otherwise.
                    dep["dep_kinds"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k["kind"].is_null()))
                })
                .filter_map(|dep| dep["pkg"].as_str())
                .collect();
            Some((node["id"].as_str()?, deps))
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        for &dep in normal_deps.get(id).map(Vec::as_slice).unwrap_or_default() {
            if seen.insert(dep) {
                stack.push(dep);
            }
        }
    }
    seen.into_iter().filter_map(|id| name_of.get(id).map(|n| n.to_string())).collect()
}

fn forbidden(closure: &BTreeSet<String>, is_forbidden: impl Fn(&str) -> bool) -> Vec<&str> {
    closure.iter().map(String::as_str).filter(|name| is_forbidden(name)).collect()
}

fn candle_arrow_or_parquet(name: &str) -> bool {
    name == "candle-core" || name.starts_with("arrow-") || name == "arrow" || name == "parquet"
}

#[test]
fn compiler_and_lsp_link_neither_candle_nor_arrow_and_data_links_no_candle() {
    let metadata = metadata();
    for package in ["mlp-compiler", "mlp-lsp"] {
        let reached = closure(&metadata, package);
        let found = forbidden(&reached, candle_arrow_or_parquet);
        assert!(found.is_empty(), "`{package}` depends on {found:?}");
    }
    let data = closure(&metadata, "mlp-data");
    let found = forbidden(&data, |name| name.starts_with("candle"));
    assert!(found.is_empty(), "`mlp-data` depends on {found:?}");

    // The inference path loads and predicts without the training runtime.
    let infer = closure(&metadata, "mlp-infer");
    assert!(!infer.contains("mlp-runtime"), "`mlp-infer` depends on the runtime: {infer:?}");
    assert!(infer.contains("candle-core") && infer.contains("mlp-data"), "mlp-infer: {infer:?}");

    // Monitoring (offline and in the server) needs no training code and no web server.
    let monitor = closure(&metadata, "mlp-monitor");
    for heavy in ["mlp-runtime", "axum", "tokio", "rusqlite"] {
        assert!(!monitor.contains(heavy), "`mlp-monitor` depends on `{heavy}`: {monitor:?}");
    }
    assert!(monitor.contains("mlp-infer"), "mlp-monitor: {monitor:?}");
    let serve = closure(&metadata, "mlp-serve");
    assert!(!serve.contains("mlp-runtime"), "`mlp-serve` depends on the runtime: {serve:?}");

    // The closure is real: the data crate does reach Arrow, and the runtime Candle.
    assert!(data.contains("arrow-array") && data.contains("mlp-compiler"), "mlp-data: {data:?}");
    let runtime = closure(&metadata, "mlp-runtime");
    assert!(runtime.contains("candle-core") && runtime.contains("mlp-data"), "mlp-runtime: {runtime:?}");
}
