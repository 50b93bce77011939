//! `mlpc monitor SPEC|BUNDLE --current FILES`: the deployed model's monitors, offline. The current
//! rows are compared column by column with the bundle's training reference (the statistic and
//! verdict of each, the dataset's verdict) and each condition of the spec's `monitor` block is
//! judged — drift conditions on the rows, metric conditions on the rows that carry the label,
//! predicted by the bundle. `--reference FILE` compares two data files without a model. Actions
//! are reported, not run (the server runs them). Output: a table on stdout, or `--json`; `--html
//! FILE` writes a report. Exit status: 0 nothing fired, 1 the spec has errors, 2 usage or I/O error,
//! 3 a condition fired (with no conditions: the dataset drifted), 4 the data or bundle failed.

use super::deployed;
use crate::out::{errln, outln};
use crate::render;
use mlp_compiler::program::{Metric, Monitor, MonitorSettings};
use mlp_infer::Bundle;
use mlp_infer::error::RunError;
use mlp_monitor::conditions::{self, Inputs, Outcome};
use mlp_monitor::current;
use mlp_monitor::drift::{self, DriftReport};
use serde_json::json;
use std::path::Path;

mod html;

pub struct Args<'a> {
    /// A spec or a bundle directory; `None` with `--reference`.
    pub model: Option<&'a Path>,
    /// The deploy target whose monitor to judge (needed when the spec has several).
    pub target: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub current: &'a [String],
    pub runs_dir: Option<&'a Path>,
    pub json: bool,
    pub html: Option<&'a Path>,
}

/// What the current rows are compared against.
struct Subject {
    bundle: Option<Bundle>,
    /// The spec's monitor block (none for a bundle alone or two files).
    monitor: Option<Monitor>,
    metrics: Vec<Metric>,
    describe: String,
}

pub fn run(args: &Args<'_>) -> u8 {
    let current_files = match super::expand_inputs(args.current) {
        Ok(files) => files,
        Err(message) => return super::usage_error(&message),
    };
    let (subject, reference) = match (args.model, args.reference) {
        (Some(model), None) => match subject_of(model, args.target, args.runs_dir) {
            Ok((subject, bundle)) => {
                let reference = bundle.reference().clone();
                (Subject { bundle: Some(bundle), ..subject }, reference)
            }
            Err(status) => return status,
        },
        (None, Some(files)) => {
            let files = match super::expand_inputs(&[files.to_string()]) {
                Ok(f) => f,
                Err(message) => return super::usage_error(&message),
            };
            match current::reference_of(&files) {
                Ok(r) => (Subject { bundle: None, monitor: None, metrics: Vec::new(), describe: String::new() }, r),
                Err(e) => return fail(&e),
            }
        }
        _ => return super::usage_error("give a spec or bundle, or `--reference FILE`, not both"),
    };
    let describe = if subject.describe.is_empty() {
        format!("`{}`", args.reference.unwrap_or_default())
    } else {
        subject.describe.clone()
    };
    let scan = match current::scan(&current_files, &reference, subject.bundle.as_ref()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let settings = subject.monitor.as_ref().map_or_else(MonitorSettings::declared_defaults, |m| m.settings.clone());
    let report = drift::compare(&reference, &scan.profile, settings.drift_share);
    let outcomes = match &subject.monitor {
        Some(monitor) => {
            let whole = &scan.profile;
            let recent = |n: Option<usize>| match n {
                None => report.clone(),
                Some(n) => drift::compare(&reference, &whole.last(n), settings.drift_share),
            };
            let threshold = subject.bundle.as_ref().map_or(0.5, |b| b.manifest().threshold);
            conditions::evaluate(
                monitor,
                &Inputs {
                    drift: &recent,
                    rows: whole.rows,
                    labelled: scan.labelled.as_ref(),
                    metrics: &subject.metrics,
                    threshold,
                },
            )
        }
        None => Vec::new(),
    };
    let fired = if outcomes.is_empty() { report.drifted } else { outcomes.iter().any(|o| o.fired) };
    if let Some(path) = args.html {
        let page = html::page(&describe, &reference, &report, &outcomes);
        if let Err(e) = std::fs::write(path, page) {
            return super::usage_error(&format!("cannot write `{}`: {e}", path.display()));
        }
    }
    if args.json {
        let value = json!({
            "subject": describe,
            "bundle": subject.bundle.as_ref().map(|b| b.id()),
            "model": subject.bundle.as_ref().map(|b| b.manifest().model.clone()),
            "deploy": subject.monitor.as_ref().map(|m| m.deploy.clone()),
            "rows": report.rows,
            "reference_rows": report.reference_rows,
            "columns": report.columns,
            "absent": report.absent,
            "share": report.share,
            "share_threshold": report.share_threshold,
            "drift": report.drifted,
            "labelled": scan.labelled.as_ref().map_or(0, |l| l.len()),
            "conditions": outcomes,
            "fired": fired,
        });
        outln!("{value}");
    } else {
        outln!("{}", table(&describe, &report, &outcomes, scan.labelled.as_ref().map_or(0, |l| l.len())));
    }
    if fired { 3 } else { 0 }
}

fn fail(error: &RunError) -> u8 {
    errln!("{}", render::run_error(error, super::stderr_color()));
    4
}

/// The bundle, monitor block and metrics a spec or bundle directory names (the subject's `bundle`
/// is filled in by the caller).
fn subject_of(model: &Path, target: Option<&str>, runs_dir: Option<&Path>) -> Result<(Subject, Bundle), u8> {
    if model.extension().is_some_and(|e| e == "mlp") {
        let program = deployed::program(model)?;
        let monitor = match target {
            Some(name) => program.monitors.iter().find(|m| m.deploy == name).cloned(),
            None if program.monitors.len() == 1 => program.monitors.first().cloned(),
            None => None,
        };
        let target_name = monitor.as_ref().map(|m| m.deploy.as_str()).or(target);
        let deploy = deployed::target(&program, model, target_name, "")?;
        let (dir, _) = deployed::latest_bundle(&program, model, Some(deploy.target.model()), runs_dir)?;
        let bundle = deployed::load(&dir)?;
        let describe = format!("`{}` (bundle {} of run {})", deploy.name, bundle.id(), bundle.manifest().run_id);
        return Ok((Subject { bundle: None, monitor, metrics: program.metrics.clone(), describe }, bundle));
    }
    let bundle = deployed::load(model)?;
    let describe = format!("bundle {} ({})", bundle.id(), model.display());
    Ok((Subject { bundle: None, monitor: None, metrics: Vec::new(), describe }, bundle))
}

fn figure(v: f64) -> String {
    if v.is_infinite() {
        "inf".into()
    } else if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.1e}")
    } else {
        format!("{v:.4}")
    }
}

/// The human report: one line per column, the dataset's verdict, then each condition.
fn table(describe: &str, report: &DriftReport, outcomes: &[Outcome], labelled: usize) -> String {
    use std::fmt::Write;
    let mut text = format!(
        "{} current rows compared with the {} training rows of {describe}\n\n",
        report.rows, report.reference_rows
    );
    let width = report.columns.iter().map(|c| c.column.len()).max().unwrap_or(6).max(6);
    let _ =
        writeln!(text, "{:width$}  {:8}  {:11}  {:>10}  {:>10}  drift", "column", "kind", "test", "value", "threshold");
    for c in &report.columns {
        let (value, threshold) = if c.method.is_test() {
            (format!("p={}", figure(c.value)), format!("p<{}", c.threshold))
        } else {
            (figure(c.value), format!(">{}", c.threshold))
        };
        let _ = writeln!(
            text,
            "{:width$}  {:8}  {:11}  {:>10}  {:>10}  {}",
            c.column,
            c.kind,
            c.method.name(),
            value,
            threshold,
            if c.drifted { "DRIFTED" } else { "-" }
        );
    }
    for name in &report.absent {
        let _ = writeln!(text, "{name:width$}  (no current value)");
    }
    let drifted = report.columns.iter().filter(|c| c.drifted).count();
    let _ = writeln!(
        text,
        "\ndataset: {drifted} of {} columns drifted ({:.0}%; drift at {:.0}%): {}",
        report.columns.len(),
        report.share * 100.0,
        report.share_threshold * 100.0,
        if report.drifted { "DATASET DRIFT" } else { "no dataset drift" }
    );
    if !outcomes.is_empty() {
        let _ = writeln!(text, "\nconditions ({labelled} labelled rows)");
        let width = outcomes.iter().map(|o| o.condition.len()).max().unwrap_or(0);
        for o in outcomes {
            let figure = match (o.value, &o.column) {
                (Some(v), Some(c)) => format!("{} ({c})", figure(v)),
                (Some(v), None) => figure(v),
                (None, _) => o.note.clone().unwrap_or_default(),
            };
            let verdict = if o.fired { format!("FIRED -> {}", o.action.name()) } else { "ok".into() };
            let _ = writeln!(text, "  {:width$}  {figure}  {verdict}", o.condition);
        }
    }
    text.trim_end().to_string()
}
