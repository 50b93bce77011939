//! Deploy targets that run to completion — `batch` (predict every input file into the output
//! folder, resumably) and `bundle` (copy the bundle to `path`, atomically) — from a bundle
//! already written: after the gates pass in `mlpc run`, and with `mlpc deploy SPEC [TARGET]`
//! from the spec's latest passing run, without retraining. An `http` target runs with
//! `mlpc serve`. Exit status: 0 done, 1 the spec has errors, 2 usage or I/O error, 4 a target
//! failed.

use super::deployed;
use crate::out::{errln, outln};
use crate::render;
use mlp_compiler::codes::Code;
use mlp_compiler::program::{Deploy, Format, Target};
use mlp_infer::batch::{self, OnError, OutputFormat, PredictOptions};
use mlp_runtime::RunError;
use std::path::Path;

/// What a target did, in one line for the user and as JSON.
pub struct Done {
    pub line: String,
    pub json: serde_json::Value,
}

/// Runs `deploy` with the bundle in `bundle_dir`; paths are relative to `spec_dir`.
pub fn execute(deploy: &Deploy, bundle_dir: &Path, spec_dir: &Path) -> Result<Done, RunError> {
    let name = &deploy.name;
    match &deploy.target {
        Target::Http { .. } => Ok(Done {
            line: format!("`{name}` is an HTTP target: start it with `mlpc serve SPEC {name}`"),
            json: serde_json::json!({ "target": name, "kind": "http", "started": false }),
        }),
        Target::Bundle { .. } => {
            let Some(path) = &deploy.settings.path else {
                return Err(RunError::new(Code::E0836, format!("bundle target `{name}` has no `path`"))
                    .with_help("set `path = \"bundle/\"` in its block"));
            };
            let to = spec_dir.join(path.trim_end_matches('/'));
            mlp_infer::bundle::place(bundle_dir, &to).map_err(|e| {
                RunError::new(Code::E0836, format!("cannot write the bundle to `{}`: {e}", to.display()))
                    .with_help("write to a folder you can write to")
            })?;
            Ok(Done {
                line: format!("bundle target `{name}`: wrote `{}`", render::display_path(&to)),
                json: serde_json::json!({ "target": name, "kind": "bundle", "path": to }),
            })
        }
        Target::Batch { .. } => {
            let (Some(input), Some(output)) = (&deploy.settings.input, &deploy.settings.output) else {
                return Err(RunError::new(Code::E0836, format!("batch target `{name}` needs `input` and `output`"))
                    .with_help("e.g. `input = csv(\"incoming/*.csv\")` and `output = \"predictions/\"`"));
            };
            let pattern = spec_dir.join(input.path());
            let text = pattern.to_string_lossy().into_owned();
            // A daily folder that is empty today is not a failure.
            if mlp_data::paths::is_glob(&text)
                && mlp_data::paths::glob_files(&pattern, mlp_data::paths::GLOB_LIMITS).is_ok_and(|m| m.is_empty())
            {
                return Ok(Done {
                    line: format!("batch target `{name}`: no input files match `{}`", render::display_path(&pattern)),
                    json: serde_json::json!({ "target": name, "kind": "batch", "predicted": [], "skipped": [] }),
                });
            }
            let inputs = mlp_data::data_files(&pattern)?;
            if !matches!(input, Format::Csv { .. } | Format::Jsonl { .. }) {
                return Err(RunError::new(
                    Code::E0802,
                    format!(
                        "batch target `{name}` reads `{}` files; batch prediction reads csv and jsonl",
                        input.name()
                    ),
                ));
            }
            let bundle = mlp_infer::Bundle::load(bundle_dir)?;
            let out_dir = spec_dir.join(output);
            let options = PredictOptions {
                chunk_rows: batch::CHUNK_ROWS,
                on_error: OnError::Skip,
                format: OutputFormat::Csv,
                id_column: None,
            };
            let bar = crate::progress::bytes_bar(0, name);
            let outcome = batch::run_batch(&bundle, &inputs, &out_dir, &options, &|file, read, total| {
                bar.set_length(total);
                bar.set_prefix(format!("{name}: {}", render::display_path(file)));
                bar.set_position(read);
            });
            bar.finish_and_clear();
            let outcome = outcome?;
            let rows: usize = outcome.predicted.iter().map(|f| f.summary.predicted).sum();
            let rejected: usize = outcome.predicted.iter().map(|f| f.summary.rejected).sum();
            Ok(Done {
                line: format!(
                    "batch target `{name}`: {} file{} predicted ({rows} rows{}), {} already done, into `{}`",
                    outcome.predicted.len(),
                    if outcome.predicted.len() == 1 { "" } else { "s" },
                    if rejected > 0 { format!(", {rejected} rejected: see *.rejects.csv") } else { String::new() },
                    outcome.skipped.len(),
                    render::display_path(&out_dir)
                ),
                json: serde_json::json!({ "target": name, "kind": "batch", "output": out_dir, "predicted": outcome.predicted, "skipped": outcome.skipped }),
            })
        }
    }
}

/// `mlpc deploy SPEC [TARGET]`: the target named, or every `batch` and `bundle` target.
pub fn run(spec: &Path, target: Option<&str>, runs_dir: Option<&Path>, json: bool) -> u8 {
    let program = match deployed::program(spec) {
        Ok(p) => p,
        Err(status) => return status,
    };
    let targets: Vec<Deploy> = match target {
        Some(_) => match deployed::target(&program, spec, target, "") {
            Ok(d) => vec![d],
            Err(status) => return status,
        },
        None => program.deploys.iter().filter(|d| !matches!(d.target, Target::Http { .. })).cloned().collect(),
    };
    if targets.is_empty() {
        errln!("`{}` has no batch or bundle target to deploy", spec.display());
        return 0;
    }
    let spec_dir = deployed::spec_dir(spec);
    let mut results = Vec::new();
    for deploy in &targets {
        let (bundle, run_id) = match deployed::latest_bundle(&program, spec, Some(deploy.target.model()), runs_dir) {
            Ok(found) => found,
            Err(status) => return status,
        };
        match execute(deploy, &bundle, &spec_dir) {
            Ok(done) => {
                errln!("{} (run {run_id})", done.line);
                results.push(done.json);
            }
            Err(error) => {
                errln!("{}", render::run_error(&error, super::stderr_color()));
                return 4;
            }
        }
    }
    if json {
        outln!("{}", serde_json::json!({ "deployed": results }));
    }
    0
}

/// After a passing `mlpc run`: every `batch` and `bundle` target, from the run's bundles.
/// Returns what each did, or the first failure.
pub fn after_run(program: &mlp_compiler::program::Program, spec: &Path, run_dir: &Path) -> Result<Vec<Done>, RunError> {
    let spec_dir = deployed::spec_dir(spec);
    let mut done = Vec::new();
    for deploy in program.deploys.iter().filter(|d| !matches!(d.target, Target::Http { .. })) {
        let bundle = run_dir.join("bundles").join(deploy.target.model());
        if !bundle.is_dir() {
            continue;
        }
        done.push(execute(deploy, &bundle, &spec_dir)?);
    }
    Ok(done)
}
