//! The `gate` step: value thresholds (`mlp.auc on test >= 0.97`) and change thresholds against a
//! baseline (`mlp beats majority on accuracy by 0.02` or `by 5%`), judged on the scores. A failed
//! gate does not stop the run; it decides the exit status (3) and whether models are exported.

use crate::evaluate::Scores;
use mlp_compiler::ast::Direction;
use mlp_compiler::program::{Gate, GateCheck, Metric};
use serde::Serialize;
use std::collections::BTreeMap;

/// The verdict of one gate.
#[derive(Clone, Debug, Serialize)]
pub struct GateResult {
    pub name: String,
    pub passed: bool,
    pub checks: Vec<CheckResult>,
}

/// One check of a gate: what was compared, the values, and by how much it passed or failed.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// The check as written, e.g. `mlp.accuracy on test >= 0.95`.
    pub check: String,
    pub passed: bool,
    /// The model's value.
    pub value: Option<f64>,
    /// The value it had to reach (the bound, or the baseline's value moved by the margin).
    pub required: Option<f64>,
    /// How far past (positive) or short of (negative) the requirement the value landed, in the
    /// metric's better direction.
    pub by: Option<f64>,
}

/// The split a `beats` check compares on: held-out data, so a model cannot win by overfitting.
pub const BEATS_SPLIT: &str = "test";

pub fn judge(gate: &Gate, scores: &BTreeMap<String, Scores>, metrics: &[Metric]) -> GateResult {
    let direction = |metric: &str| {
        // The plan gives the gate every metric its checks name (the checker adds built-ins used
        // by name to the program's metrics).
        metrics.iter().find(|m| m.name == metric).map_or(Direction::Maximize, |m| m.direction)
    };
    let value = |model: &str, split: &str, metric: &str| scores.get(model).and_then(|s| s.get(split, metric));
    let checks: Vec<CheckResult> = gate
        .checks
        .iter()
        .map(|check| match check {
            GateCheck::Threshold { model, metric, split, op, bound } => {
                let v = value(model, split, metric);
                let passed = v.is_some_and(|v| op.holds(v, *bound));
                let by = v.map(|v| if op.is_upper_bound() { bound - v } else { v - bound });
                CheckResult {
                    check: format!("{model}.{metric} on {split} {op} {bound}"),
                    passed,
                    value: v,
                    required: Some(*bound),
                    by,
                }
            }
            GateCheck::Beats { model, baseline, metric, margin, relative } => {
                let v = value(model, BEATS_SPLIT, metric);
                let b = value(baseline, BEATS_SPLIT, metric);
                let dir = direction(metric);
                let required = b.map(|b| {
                    let step = if *relative { b.abs() * margin } else { *margin };
                    match dir {
                        Direction::Maximize => b + step,
                        Direction::Minimize => b - step,
                    }
                });
                let by = match (v, required) {
                    (Some(v), Some(r)) => Some(match dir {
                        Direction::Maximize => v - r,
                        Direction::Minimize => r - v,
                    }),
                    _ => None,
                };
                // Strictly better when no margin is given: a tie does not beat the baseline.
                let passed = by.is_some_and(|by| if *margin == 0.0 { by > 0.0 } else { by >= 0.0 });
                let margin_text = match (margin, relative) {
                    (m, _) if *m == 0.0 => String::new(),
                    (m, true) => format!(" by {}%", m * 100.0),
                    (m, false) => format!(" by {m}"),
                };
                CheckResult {
                    check: format!("{model} beats {baseline} on {metric}{margin_text}"),
                    passed,
                    value: v,
                    required,
                    by,
                }
            }
        })
        .collect();
    GateResult { name: gate.name.clone(), passed: checks.iter().all(|c| c.passed), checks }
}
