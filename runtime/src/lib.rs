//! mlp-runtime: executes a checked program's [`Plan`](mlp_compiler::plan::Plan) — sources loaded
//! through mlp-data, splits, preprocessing, baselines and models (Candle), metrics, gates and run
//! records. Only the runtime knows about Candle; it prints nothing (progress goes through the
//! [`Progress`] callback the CLI implements).

// `RunError` carries a location (with the line's text) and help text (about 220 bytes).
// Failures are rare and end the run, so returning it by value costs nothing that matters;
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod evaluate;
pub mod exec;
pub mod prepare;
pub mod progress;
pub mod record;
pub mod registry;
pub mod threads;
pub mod train;

// Run-time failures are mlp-data's `RunError`: data failures are raised there, the runtime's own
// (training, devices, run records) use the same type, and the CLI renders one kind of error.
pub use error::{Location, RunError, RunResult};
pub use mlp_data::error;
pub use progress::{Progress, Silent};
pub use record::report::RunReport;

use mlp_compiler::program::{BaselineKind, Program, Seed};
use record::report;
use record::store::{RunRow, RunStore};
use std::path::PathBuf;
use std::time::Instant;
use train::device::{DeviceRequest, Devices};

/// Where a run keeps its records, who hears about its progress, and what the command line
/// overrides.
pub struct RunOptions<'a> {
    /// The spec file, as the user named it (recorded in the history).
    pub spec: PathBuf,
    /// `runs/` for run directories.
    pub runs_dir: PathBuf,
    /// The run history database (`.mlp/runs.db`).
    pub db_path: PathBuf,
    pub progress: &'a dyn Progress,
    /// The command line's `--device`, which overrides the spec's `device` settings.
    pub device: Option<DeviceRequest>,
    /// The command line's `--seed`, which replaces the pipeline's `seed`.
    pub seed: Option<Seed>,
}

/// A run that failed: the error and, when the run had started, its id and what became of its
/// records.
#[derive(Debug)]
pub struct RunFailure {
    pub error: RunError,
    pub run_id: Option<String>,
    /// For a run that had started: `Ok` when it is recorded as failed and left no directory in
    /// runs/; otherwise the rest of the sentence "run X failed; ..." saying what it left.
    pub recorded: Result<(), String>,
}

impl RunFailure {
    fn before_start(error: RunError) -> RunFailure {
        RunFailure { error, run_id: None, recorded: Ok(()) }
    }
}

/// Whether the program evaluates any column expression (a feature or a rule).
fn has_expressions(program: &Program) -> bool {
    !program.features.is_empty() || program.baselines.iter().any(|b| matches!(b.kind, BaselineKind::Rule { .. }))
}

/// Lowers `program` (with the command line's seed) to its plan, executes it, writes
/// `runs/<run-id>/` and records the run, following the recording protocol of
/// [`record::store`]: the history is opened (and checked writable) before any work, the run's
/// `running` row is written first and finished last. A failed gate still completes the run (its
/// report says `gate_failed`); any other failure records a failed run, removes its partial
/// directory and leaves earlier runs untouched.
pub fn run(program: &Program, options: &RunOptions<'_>) -> Result<RunReport, RunFailure> {
    let started_at = Instant::now();
    // The history first: a run that could not be recorded must not start.
    let (store, reconciled) = RunStore::open(&options.runs_dir, &options.db_path).map_err(RunFailure::before_start)?;
    for dead in &reconciled {
        options.progress.note(&format!(
            "run {} had stopped without finishing its record (its process is gone): recorded as {}",
            dead.id, dead.status
        ));
    }
    let program = &match options.seed {
        Some(seed) => program.clone().with_seed(seed),
        None => program.clone(),
    };
    let plan = &mlp_compiler::plan::lower(program);
    let devices = Devices::resolve(&program.pipeline, plan, options.device).map_err(RunFailure::before_start)?;
    if let Some(note) = &devices.note {
        options.progress.note(note);
    }
    let (expressions, warning) = prepare::expressions::Expressions::for_run();
    if let (Some(warning), true) = (warning, has_expressions(program)) {
        options.progress.warning(&warning);
    }
    let spec = options.spec.display().to_string();
    let run_dir = store.begin(&program.pipeline.name, &spec).map_err(RunFailure::before_start)?;
    let objective = program.objective.as_ref();
    let mut row = RunRow {
        objective_metric: objective.map(|o| o.metric.clone()),
        direction: objective.map(|o| o.direction.as_str().to_string()),
        ..RunRow::new(&run_dir.id, &program.pipeline.name, &spec, &run_dir.started, "failed")
    };
    let result = exec::execute(plan, &devices, &expressions, options.progress).and_then(|outputs| {
        let (models, gates, skipped) = report::build(program, &outputs);
        let mut files = report::write_artifacts(program, plan, &outputs, &run_dir.partial)?;
        let passed = gates.iter().all(|g| g.passed);
        let mut models = models;
        // The export step: a model ships only when every gate passed.
        if passed {
            let spec_text = std::fs::read_to_string(&options.spec).unwrap_or_default();
            let provenance =
                record::bundle::Provenance { run_id: &run_dir.id, created: &run_dir.started, spec_text: &spec_text };
            let exported = record::bundle::write_bundles(program, plan, &outputs, &run_dir.partial, &provenance)?;
            files.extend(exported.files);
            for (model, id) in exported.ids {
                if let Some(report) = models.get_mut(&model) {
                    report.bundle = Some(id);
                }
            }
            for skipped in exported.not_bundled {
                options.progress.note(&format!("model `{}` has no bundle: {}", skipped.model, skipped.reason));
            }
        }
        let mut report = RunReport {
            run_id: run_dir.id.clone(),
            pipeline: program.pipeline.name.clone(),
            spec: options.spec.display().to_string(),
            status: if passed { "passed".into() } else { "gate_failed".into() },
            started: run_dir.started.clone(),
            objective: report::objective(program, &models),
            models,
            gates,
            artifacts: report::Artifacts {
                dir: run_dir.final_dir.display().to_string(),
                files,
                hashes: outputs.done.iter().map(|(id, d)| (id.to_string(), d.hash.clone())).collect(),
            },
            timings: report::Timings {
                total_seconds: 0.0,
                nodes: outputs.done.iter().map(|(id, d)| (id.to_string(), d.seconds)).collect(),
                samples_per_second: report::throughput(program, &outputs),
                expressions: has_expressions(program).then(|| expressions.timings()),
            },
            skipped,
        };
        report.artifacts.files.push("metrics.json".into());
        report.artifacts.files.push("run.json".into());
        report.timings.total_seconds = started_at.elapsed().as_secs_f64();
        report::write_report(&report, &run_dir.partial)?;
        Ok(report)
    });
    row.seconds = started_at.elapsed().as_secs_f64();
    let run_id = run_dir.id.clone();
    let result = result.and_then(|report| store.commit(&run_dir).map(|()| report));
    match result {
        Ok(report) => {
            row.status = report.status.clone();
            row.best_model = report.objective.as_ref().and_then(|o| o.best.clone());
            row.objective_value = report.objective.as_ref().and_then(|o| o.value);
            row.dir = Some(report.artifacts.dir.clone());
            if let Err(error) = store.finish(run_dir, &row) {
                // The run is complete and in place; its row still says `running`, which the next
                // command that opens the history turns into the status in its run.json.
                options.progress.warning(&format!(
                    "run {run_id} completed and is in `{}`, but the history could not be updated ({}); \
                     the next `mlpc run` or `mlpc runs` records it from its run.json",
                    report.artifacts.dir, error.message
                ));
            }
            Ok(report)
        }
        Err(error) => {
            row.error = Some(error.code.to_string());
            let recorded = store.fail(run_dir, &row);
            Err(RunFailure { error, run_id: Some(run_id), recorded })
        }
    }
}
