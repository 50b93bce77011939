//! The results table printed at the end of every run: each model and baseline by split with every
//! metric (the objective marked with `*`), then each gate's checks with their margins.

use mlp_runtime::RunReport;
use std::fmt::Write as _;

fn number(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.4}"))
}

pub fn results(report: &RunReport) -> String {
    let mut out = String::new();
    let objective = report.objective.as_ref().map(|o| o.metric.as_str());
    // Metric columns: the union over models, the objective first.
    let mut metrics: Vec<String> = Vec::new();
    for m in report.models.values() {
        for split in m.scores.metrics.values() {
            for name in split.keys() {
                if !metrics.contains(name) {
                    metrics.push(name.clone());
                }
            }
        }
    }
    metrics.sort_by_key(|m| (Some(m.as_str()) != objective, m.clone()));
    let header: Vec<String> =
        metrics.iter().map(|m| if Some(m.as_str()) == objective { format!("{m}*") } else { m.clone() }).collect();
    let name_width = report.models.keys().map(String::len).max().unwrap_or(5).max(5);
    let widths: Vec<usize> = header.iter().map(|h| h.len().max(6)).collect();
    let _ = write!(out, "{:<name_width$}  {:<8}  {:<5}", "model", "kind", "split");
    for (h, w) in header.iter().zip(&widths) {
        let _ = write!(out, "  {h:>w$}");
    }
    out.push('\n');
    // Models first, then baselines, each alphabetically.
    let mut names: Vec<&String> = report.models.keys().collect();
    names.sort_by_key(|n| (report.models[*n].kind != "model", (*n).clone()));
    for name in names {
        let m = &report.models[name];
        for (i, split) in ["train", "val", "test"].iter().enumerate() {
            let (shown_name, shown_kind) = if i == 0 { (name.as_str(), m.kind.as_str()) } else { ("", "") };
            let _ = write!(out, "{shown_name:<name_width$}  {shown_kind:<8}  {split:<5}");
            for (metric, w) in metrics.iter().zip(&widths) {
                let _ = write!(out, "  {:>w$}", number(m.scores.get(split, metric)));
            }
            out.push('\n');
        }
    }
    if let Some(o) = &report.objective {
        match (&o.best, o.value) {
            (Some(best), Some(v)) => {
                let _ = writeln!(
                    out,
                    "\nobjective: {} {} — best model `{best}` with {v:.4} on test",
                    o.direction, o.metric
                );
            }
            _ => {
                let _ = writeln!(out, "\nobjective: {} {} — no model has a test value", o.direction, o.metric);
            }
        }
    }
    for gate in &report.gates {
        let _ = writeln!(out, "\ngate {}: {}", gate.name, if gate.passed { "passed" } else { "FAILED" });
        for check in &gate.checks {
            let mark = if check.passed { "ok  " } else { "FAIL" };
            let detail = match (check.value, check.required, check.by) {
                (Some(v), Some(r), Some(by)) if check.passed => format!("{v:.4}, needed {r:.4}, {by:+.4} to spare"),
                (Some(v), Some(_), Some(0.0)) => format!("{v:.4}, a tie: `beats` needs strictly better"),
                (Some(v), Some(r), Some(by)) => format!("{v:.4}, needed {r:.4}, short by {:.4}", -by),
                _ => "no value on this split".to_string(),
            };
            let _ = writeln!(out, "  {mark} {}  ({detail})", check.check);
        }
    }
    if !report.skipped.is_empty() {
        let nodes: Vec<&str> = report.skipped.keys().map(String::as_str).collect();
        let _ = writeln!(out, "\nnot started by `mlpc run`: {} (serving and monitoring)", nodes.join(", "));
    }
    let dir = crate::render::display_path(std::path::Path::new(&report.artifacts.dir));
    let _ = writeln!(out, "\nrun {} ({}): {dir}", report.run_id, report.status);
    out
}
