//! The outcome of each condition of a `monitor` block: its figure on the current data (a drift
//! statistic on the drift report, a metric on the labelled predictions), whether it fired, and
//! the action that fires with it. The same function serves `mlpc monitor` and `mlpc serve`.

use crate::drift::{ColumnDrift, DriftReport};
use crate::labelled::Labelled;
use crate::profile::number_text;
use mlp_compiler::program::{Action, Metric, Monitor, MonitorRule, Statistic, Watch};
use serde::Serialize;

/// One condition's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// The condition as written in the spec (canonical form).
    pub condition: String,
    /// The figure compared with the threshold; `None` when there is none yet (see `note`).
    pub value: Option<f64>,
    /// The column the figure comes from, for a statistic over every column.
    pub column: Option<String>,
    /// Rows (drift) or labelled predictions (metrics) the figure reads.
    pub rows: usize,
    pub fired: bool,
    pub action: Action,
    /// Why there is no figure: too few rows for the window, a metric undefined on these labels.
    pub note: Option<String>,
}

/// What the conditions read.
pub struct Inputs<'a> {
    /// The drift of the last `n` current rows (`None`: all of them, or the live window).
    pub drift: &'a dyn Fn(Option<usize>) -> DriftReport,
    /// Current rows available for `over N predictions` windows.
    pub rows: usize,
    /// Labelled predictions, oldest first (`None`: no labels at all).
    pub labelled: Option<&'a Labelled>,
    /// The program's metrics, by which metric conditions are scored.
    pub metrics: &'a [Metric],
    /// The bundle's decision threshold for two classes.
    pub threshold: f64,
}

/// Every condition of `monitor`, in order.
pub fn evaluate(monitor: &Monitor, inputs: &Inputs<'_>) -> Vec<Outcome> {
    let mut whole: Option<DriftReport> = None;
    monitor
        .rules
        .iter()
        .map(|rule| match &rule.watch {
            Watch::Drift { statistic } => {
                let window = rule.window.as_ref().map(|w| usize::try_from(w.count).unwrap_or(usize::MAX));
                match window {
                    Some(n) if inputs.rows < n => {
                        pending(rule, inputs.rows, format!("waiting for {n} rows (have {})", inputs.rows))
                    }
                    Some(n) => drift_outcome(rule, statistic, &(inputs.drift)(Some(n))),
                    None => {
                        let report = whole.get_or_insert_with(|| (inputs.drift)(None));
                        drift_outcome(rule, statistic, report)
                    }
                }
            }
            Watch::Metric { metric } => {
                let window = rule.window.as_ref().map(|w| w.count).unwrap_or(monitor.settings.labelled);
                metric_outcome(rule, metric, usize::try_from(window).unwrap_or(usize::MAX), inputs)
            }
        })
        .collect()
}

/// The canonical text of a condition: `drift ks(mean_radius) > 0.3 -> alert`.
pub fn describe(rule: &MonitorRule) -> String {
    let watched = match &rule.watch {
        Watch::Drift { statistic } => format!("drift {statistic}"),
        Watch::Metric { metric } => metric.clone(),
    };
    let window = rule.window.as_ref().map(|w| format!(" over {} {}", w.count, w.unit)).unwrap_or_default();
    format!("{watched} {} {}{window} -> {}", rule.op, number_text(rule.threshold), rule.action.name())
}

fn pending(rule: &MonitorRule, rows: usize, note: String) -> Outcome {
    Outcome {
        condition: describe(rule),
        value: None,
        column: None,
        rows,
        fired: false,
        action: rule.action.clone(),
        note: Some(note),
    }
}

fn drift_outcome(rule: &MonitorRule, statistic: &Statistic, report: &DriftReport) -> Outcome {
    let figure = |c: &ColumnDrift| -> Option<f64> {
        let s = &c.statistics;
        match statistic {
            Statistic::Psi { .. } => Some(s.psi),
            Statistic::Js { .. } => Some(s.js),
            Statistic::Ks { .. } => s.ks,
            Statistic::Wasserstein { .. } => s.wasserstein,
            Statistic::Chi2 { .. } => s.chi2_p_value,
            Statistic::Share => None,
        }
    };
    let (value, column) = match statistic {
        Statistic::Share => (Some(report.share), None),
        _ => match statistic.column() {
            Some(name) => match report.column(name) {
                Some(c) => (figure(c), Some(name.to_string())),
                None => {
                    return pending(rule, report.rows, format!("no current value of `{name}`"));
                }
            },
            None => {
                // The worst column: the smallest p-value for chi2, the largest figure otherwise.
                let smallest = matches!(statistic, Statistic::Chi2 { .. });
                let worst = report
                    .columns
                    .iter()
                    .filter_map(|c| Some((figure(c)?, c)))
                    .filter(|(v, _)| !v.is_nan())
                    .reduce(|a, b| if (b.0 < a.0) == smallest && b.0 != a.0 { b } else { a });
                match worst {
                    Some((v, c)) => (Some(v), Some(c.column.clone())),
                    None => {
                        return pending(rule, report.rows, format!("no column `{}` applies to", statistic.name()));
                    }
                }
            }
        },
    };
    let fired = value.is_some_and(|v| rule.op.holds(v, rule.threshold));
    Outcome {
        condition: describe(rule),
        value,
        column,
        rows: report.rows,
        fired,
        action: rule.action.clone(),
        note: None,
    }
}

fn metric_outcome(rule: &MonitorRule, metric: &str, window: usize, inputs: &Inputs<'_>) -> Outcome {
    let Some(labelled) = inputs.labelled else {
        return pending(rule, 0, "no labelled predictions".to_string());
    };
    if labelled.len() < window {
        let note = format!("waiting for {window} labelled predictions (have {})", labelled.len());
        return pending(rule, labelled.len(), note);
    }
    let Some(metric_def) = inputs.metrics.iter().find(|m| m.name == metric) else {
        return pending(rule, labelled.len(), format!("the metric `{metric}` is not in the spec"));
    };
    let recent = labelled.last(window);
    match recent.score(metric_def, inputs.threshold) {
        Ok(value) => Outcome {
            condition: describe(rule),
            value: Some(value),
            column: None,
            rows: recent.len(),
            fired: rule.op.holds(value, rule.threshold),
            action: rule.action.clone(),
            note: None,
        },
        Err(e) => pending(rule, recent.len(), e.to_string()),
    }
}
