//! The runtime is layered by stage, and no module imports in a circle. Stages, lowest first:
//! `prepare` (derived features, splits, fitted preprocessing), `train` (baselines, models,
//! searches, what a trained model predicts), `evaluate` (scores and gates), `exec` (running the
//! plan), `record` (the run's files and history); `lib.rs` and `registry.rs` sit on top, and
//! `progress.rs` and `threads.rs` below everything. A stage may use only the stages below it.
//!
//! Read from the source: every `crate::…` and `super::…` path, and each `mod.rs`'s uses of its
//! own children, resolved to the module file that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every module of the crate as its path (`train::search`) and its file.
fn modules() -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = prefix.to_vec();
                if name != "mod" && name != "lib" {
                    module.push(name);
                }
                out.insert(module.join("::"), path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &[], &mut out);
    out
}

/// The deepest module a `::`-separated path names.
fn resolve(path: &[&str], modules: &BTreeMap<String, PathBuf>) -> Option<String> {
    (1..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| modules.contains_key(m))
}

/// The modules each module refers to (itself and its ancestors left out).
fn edges(modules: &BTreeMap<String, PathBuf>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (module, file) in modules {
        let text = std::fs::read_to_string(file).unwrap();
        let here: Vec<&str> = if module.is_empty() { Vec::new() } else { module.split("::").collect() };
        let is_parent = file.file_name().is_some_and(|n| n == "mod.rs" || n == "lib.rs");
        let mut targets = BTreeSet::new();
        let words = |rest: &str| -> Vec<String> {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or_default()
                .split("::")
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        };
        for (at, _) in text.match_indices("crate::") {
            let path = words(&text[at + "crate::".len()..]);
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            targets.extend(resolve(&path, modules));
        }
        for (at, _) in text.match_indices("super::") {
            let parent = if is_parent { &here[..here.len().saturating_sub(1)] } else { &here[..here.len() - 1] };
            let mut path: Vec<String> = parent.iter().map(|s| s.to_string()).collect();
            path.extend(words(&text[at + "super::".len()..]));
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            targets.extend(resolve(&path, modules));
        }
        if is_parent {
            for line in text.lines().filter(|l| l.starts_with("use ") || l.starts_with("pub use ")) {
                let rest = line.trim_start_matches("pub ").trim_start_matches("use ");
                let mut path: Vec<String> = here.iter().map(|s| s.to_string()).collect();
                path.extend(words(rest));
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                if let Some(target) = resolve(&path, modules).filter(|t| t.len() > module.len()) {
                    targets.insert(target);
                }
            }
        }
        targets.retain(|t| t != module && !module.starts_with(&format!("{t}::")) && !t.is_empty());
        out.insert(module.clone(), targets);
    }
    out
}

/// The stage a module belongs to: its first path segment.
fn stage(module: &str) -> &str {
    module.split("::").next().unwrap_or_default()
}

#[test]
fn stages_use_only_the_stages_below_them() {
    let order = ["progress", "threads", "prepare", "train", "evaluate", "exec", "record", "registry"];
    let rank = |s: &str| order.iter().position(|o| *o == s);
    for (module, targets) in edges(&modules()) {
        if module.is_empty() {
            continue; // lib.rs ties the stages together.
        }
        let from = stage(&module);
        let from_rank = rank(from).unwrap_or_else(|| panic!("module `{module}` is in no known stage"));
        for target in targets {
            let to = stage(&target);
            let to_rank = rank(to).unwrap_or_else(|| panic!("`{target}` is in no known stage"));
            assert!(
                to == from || to_rank < from_rank,
                "`{module}` ({from}) uses `{target}` ({to}): a stage uses only the stages below it"
            );
        }
    }
}

#[test]
fn no_module_imports_in_a_circle() {
    let edges = edges(&modules());
    // Depth-first search for a back edge, reporting the circle it closes.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == node) {
            panic!("modules import in a circle: {} → {node}", path[at..].join(" → "));
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, path, done);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for module in edges.keys() {
        visit(module, &edges, &mut Vec::new(), &mut done);
    }
}
