//! `mlpc run`: check a spec, execute its plan, print the results table and record the run.
//! Exit status: 0 every gate passed, 1 the spec has errors, 2 usage or I/O error, 3 a gate
//! failed (the run completed), 4 the run failed (bad data, divergence).

use crate::progress::Bars;
use crate::{render, table};
use mlp_data::FsWorld;
use mlp_runtime::RunOptions;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Where a spec's runs live: `runs/` and `.mlp/runs.db` next to the spec, unless overridden.
pub fn record_paths(spec: &Path, runs_dir: Option<&Path>) -> (PathBuf, PathBuf) {
    let home = spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let runs = runs_dir.map(Path::to_path_buf).unwrap_or_else(|| home.join("runs"));
    (runs, home.join(".mlp").join("runs.db"))
}

pub fn run(
    file: &Path,
    json_output: bool,
    runs_dir: Option<&Path>,
    seed: Option<i64>,
    device: Option<mlp_runtime::train::device::DeviceRequest>,
) -> u8 {
    let absolute = super::absolute(file);
    let compilation = match mlp_compiler::compile(&FsWorld, &absolute) {
        Ok(c) => c,
        Err(reason) => return super::usage_error(&format!("cannot read `{}`: {reason}", file.display())),
    };
    let color = super::stderr_color();
    for diagnostic in &compilation.diagnostics {
        eprintln!("{}\n", render::human(diagnostic, &compilation.files, color));
    }
    let (Some(program), false) = (&compilation.program, compilation.has_errors()) else {
        if json_output {
            let diagnostics: Vec<_> =
                compilation.diagnostics.iter().map(|d| render::json(d, &compilation.files)).collect();
            println!("{}", json!({ "error": "the spec has errors", "diagnostics": diagnostics }));
        }
        eprintln!("not run: the spec has errors");
        return 1;
    };
    let (runs, db) = record_paths(&absolute, runs_dir);
    let bars = Bars::new();
    let options = RunOptions {
        spec: file.to_path_buf(),
        runs_dir: runs,
        db_path: db,
        progress: &bars,
        device,
        seed: seed.map(mlp_compiler::program::Seed),
    };
    let result = mlp_runtime::run(program, &options);
    bars.finish();
    match result {
        Ok(report) => {
            let text = table::results(&report);
            if json_output {
                eprint!("{text}");
                match serde_json::to_string_pretty(&report) {
                    Ok(doc) => println!("{doc}"),
                    Err(e) => return super::usage_error(&format!("cannot encode the report: {e}")),
                }
            } else {
                print!("{text}");
            }
            if report.status == "passed" { 0 } else { 3 }
        }
        Err(failure) => {
            eprintln!("{}", render::run_error(&failure.error, color));
            if let Some(id) = &failure.run_id {
                eprintln!("run {id} failed; it is recorded as failed and left no directory in runs/");
            }
            if json_output {
                println!(
                    "{}",
                    json!({ "run_id": failure.run_id, "status": "failed", "error": render::run_error_json(&failure.error) })
                );
            }
            4
        }
    }
}
