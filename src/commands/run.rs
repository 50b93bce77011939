//! `mlpc run`: check a spec, execute its plan, print the results table and record the run.
//! When every gate passed, the spec's batch and bundle targets run from the run's bundles.
//! Exit status: 0 every gate passed, 1 the spec has errors, 2 usage or I/O error, 3 a gate
//! failed (the run completed), 4 the run failed (bad data, divergence, records that cannot be
//! written) or a batch or bundle target failed after it.

use crate::out::{err, errln, out, outln};
use crate::progress::Bars;
use crate::{render, table};
use mlp_data::FsWorld;
use mlp_runtime::RunOptions;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Where a spec's runs live: `runs/` and `.mlp/runs.db` next to the spec; with `--runs-dir
/// DIR`, `DIR/` and `DIR/.mlp/runs.db` (the history moves with the runs, so a spec in a
/// read-only directory can run).
pub fn record_paths(spec: &Path, runs_dir: Option<&Path>) -> (PathBuf, PathBuf) {
    match runs_dir {
        Some(dir) => {
            let dir = super::absolute(dir);
            let db = dir.join(".mlp").join("runs.db");
            (dir, db)
        }
        None => {
            let home = spec.parent().map(Path::to_path_buf).unwrap_or_default();
            (home.join("runs"), home.join(".mlp").join("runs.db"))
        }
    }
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
        errln!("{}\n", render::human(diagnostic, &compilation.files, color));
    }
    let (Some(program), false) = (&compilation.program, compilation.has_errors()) else {
        errln!("not run: the spec has errors");
        crate::out::set_status(1);
        if json_output {
            let diagnostics: Vec<_> =
                compilation.diagnostics.iter().map(|d| render::json(d, &compilation.files)).collect();
            outln!("{}", json!({ "error": "the spec has errors", "diagnostics": diagnostics }));
        }
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
    // The run is recorded (or its failure is) before anything is printed: a reader that closes
    // the output early cannot cut the record short.
    let result = mlp_runtime::run(program, &options);
    bars.finish();
    match result {
        Ok(report) => {
            let status = if report.status == "passed" { 0 } else { 3 };
            crate::out::set_status(status);
            let text = table::results(&report);
            if json_output {
                err!("{text}");
                match serde_json::to_string_pretty(&report) {
                    Ok(doc) => outln!("{doc}"),
                    Err(e) => return super::usage_error(&format!("cannot encode the report: {e}")),
                }
            } else {
                out!("{text}");
            }
            if status != 0 {
                return status;
            }
            // The gates passed: batch and bundle targets run from the run's bundles.
            match super::deploy::after_run(program, &absolute, Path::new(&report.artifacts.dir)) {
                Ok(done) => {
                    for target in done {
                        errln!("{}", target.line);
                    }
                    status
                }
                Err(error) => {
                    crate::out::set_status(4);
                    errln!("{}", render::run_error(&error, color));
                    errln!(
                        "run {} passed and is recorded; a deploy target failed (rerun it with `mlpc deploy`)",
                        report.run_id
                    );
                    4
                }
            }
        }
        Err(mut failure) => {
            crate::out::set_status(4);
            failure.error = super::history_hint(failure.error, runs_dir);
            errln!("{}", render::run_error(&failure.error, color));
            if let Some(id) = &failure.run_id {
                match &failure.recorded {
                    Ok(()) => errln!("run {id} failed; it is recorded as failed and left no directory in runs/"),
                    Err(what) => errln!("run {id} failed; {what}"),
                }
            }
            if json_output {
                outln!(
                    "{}",
                    json!({ "run_id": failure.run_id, "status": "failed", "error": render::run_error_json(&failure.error) })
                );
            }
            4
        }
    }
}
