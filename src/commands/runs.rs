//! `mlpc runs`: the run history of a spec's directory, newest first, with each run's status and
//! objective.

use mlp_runtime::record::store::RunStore;
use std::path::Path;

pub fn run(path: &Path, json_output: bool, limit: usize) -> u8 {
    let spec_like = if path.is_dir() { path.join("_") } else { path.to_path_buf() };
    let (runs_dir, db) = super::run::record_paths(&super::absolute(&spec_like), None);
    if !db.exists() {
        if json_output {
            println!("{}", serde_json::json!({ "runs": [] }));
        } else {
            eprintln!("no runs recorded in `{}` yet: start one with `mlpc run SPEC`", db.display());
        }
        return 0;
    }
    let store = match RunStore::open(&runs_dir, &db) {
        Ok(s) => s,
        Err(e) => return super::usage_error(&e.message),
    };
    let rows = match store.list() {
        Ok(rows) => rows,
        Err(e) => return super::usage_error(&e.message),
    };
    let rows: Vec<_> = rows.into_iter().take(limit).collect();
    if json_output {
        println!("{}", serde_json::json!({ "runs": rows }));
        return 0;
    }
    println!("{:<24} {:<20} {:<12} {:>8}  objective", "run", "started", "status", "seconds");
    for r in &rows {
        let objective = match (&r.objective_metric, r.objective_value, &r.best_model) {
            (Some(m), Some(v), Some(model)) => format!("{m} = {v:.4} ({model}, test)"),
            (Some(m), _, _) => format!("{m}: -"),
            _ => "-".into(),
        };
        let status = match &r.error {
            Some(code) => format!("{} {code}", r.status),
            None => r.status.clone(),
        };
        println!("{:<24} {:<20} {:<12} {:>8.1}  {objective}", r.id, r.started, status, r.seconds);
    }
    0
}
