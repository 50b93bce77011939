//! `mlpc runs`: the run history of a spec's directory (or of `--runs-dir DIR`), newest first,
//! with each run's status and objective. Runs whose process is gone are reconciled first;
//! `--repair` rebuilds the history from `runs/*/run.json`.

use crate::out::{errln, outln};
use crate::render;
use mlp_runtime::record::store::{RunRow, RunStore};
use std::path::Path;

pub fn run(path: &Path, given_runs_dir: Option<&Path>, json_output: bool, limit: usize, repair: bool) -> u8 {
    let spec_like = if path.is_dir() { path.join("_") } else { path.to_path_buf() };
    let (runs_dir, db) = super::run::record_paths(&super::absolute(&spec_like), given_runs_dir);
    let color = super::stderr_color();
    let failed = |e: &mlp_runtime::RunError| {
        errln!("{}", render::run_error(&super::history_hint(e.clone(), given_runs_dir), color));
        2
    };
    if repair {
        return match RunStore::repair(&runs_dir, &db) {
            Ok((_, done)) => {
                if let Some(aside) = &done.moved_aside {
                    errln!(
                        "moved the damaged history to `{}`; kept {} failed or interrupted run{} that could still be read from it",
                        render::display_path(aside),
                        done.salvaged,
                        if done.salvaged == 1 { "" } else { "s" }
                    );
                }
                for r in &done.reconciled {
                    errln!("run {} had stopped without finishing its record: recorded as {}", r.id, r.status);
                }
                errln!(
                    "repaired `{}`: added {} run{} from `{}`",
                    render::display_path(&db),
                    done.added,
                    if done.added == 1 { "" } else { "s" },
                    render::display_path(&runs_dir.join("*").join("run.json"))
                );
                0
            }
            Err(e) => failed(&e),
        };
    }
    if !db.exists() {
        if json_output {
            outln!("{}", serde_json::json!({ "runs": [] }));
        } else {
            errln!("no runs recorded in `{}` yet: start one with `mlpc run SPEC`", db.display());
        }
        return 0;
    }
    let store = match RunStore::open(&runs_dir, &db) {
        Ok((store, reconciled)) => {
            for r in &reconciled {
                errln!(
                    "note: run {} had stopped without finishing its record (its process is gone): recorded as {}",
                    r.id,
                    r.status
                );
            }
            store
        }
        // A history this user cannot write is still shown, as it is.
        Err(e) if e.code == mlp_compiler::codes::Code::E0812 => match RunStore::open_read_only(&runs_dir, &db) {
            Ok(store) => {
                errln!(
                    "note: `{}` cannot be written, so runs whose process is gone are shown as they were left",
                    db.display()
                );
                store
            }
            Err(_) => return failed(&e),
        },
        Err(e) => return failed(&e),
    };
    let rows = match store.list() {
        Ok(rows) => rows,
        Err(e) => return failed(&e),
    };
    let rows: Vec<_> = rows.into_iter().take(limit).collect();
    if json_output {
        outln!("{}", serde_json::json!({ "runs": rows }));
        return 0;
    }
    let mut text = format!("{:<24} {:<20} {:<12} {:>8}  objective\n", "run", "started", "status", "seconds");
    for r in &rows {
        text.push_str(&format!(
            "{:<24} {:<20} {:<12} {:>8.1}  {}\n",
            r.id,
            r.started,
            status(r),
            r.seconds,
            objective(r)
        ));
    }
    crate::out::stdout(&text);
    0
}

fn status(r: &RunRow) -> String {
    match &r.error {
        Some(code) => format!("{} {code}", r.status),
        None => r.status.clone(),
    }
}

fn objective(r: &RunRow) -> String {
    match (r.status.as_str(), &r.objective_metric, r.objective_value, &r.best_model) {
        ("running", ..) => match (&r.pid, &r.host) {
            (Some(pid), Some(host)) if !host.is_empty() => format!("- (pid {pid} on {host})"),
            (Some(pid), _) => format!("- (pid {pid})"),
            _ => "-".into(),
        },
        ("interrupted", ..) => "- (its process ended before the run finished)".into(),
        (_, Some(m), Some(v), Some(model)) => format!("{m} = {v:.4} ({model}, test)"),
        (_, Some(m), _, _) => format!("{m}: -"),
        _ => "-".into(),
    }
}
