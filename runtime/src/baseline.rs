//! The `train_baseline` step: fits the baseline built-ins of stdlib/baselines.mlp (majority
//! class, mean, linear, rule, fixed) on the training split.

use crate::error::{RunError, RunResult};
use crate::expressions::Expressions;
use crate::predict::Trained;
use crate::prepare::{Prepared, Target};
use mlp_compiler::ast::Expr;
use mlp_compiler::program::{Baseline, Value};
use mlp_stdlib::linear;

/// Fits `baseline`. `rule` is the parsed expression of a `rule(...)` baseline.
pub fn fit(
    baseline: &Baseline,
    prepared: &Prepared,
    rule: Option<&Expr>,
    expressions: &Expressions,
) -> RunResult<Trained> {
    let (kind, args) =
        baseline.kind.as_call().map(|(c, a)| (c, Some(a))).unwrap_or((baseline.kind.as_str().unwrap_or(""), None));
    let arg = |key: &str| args.and_then(|a| a.get(key)).and_then(Value::as_f64);
    let train = &prepared.splits[0];
    let failed = |e: linear::LinearError| {
        RunError::new("E0803", format!("baseline `{}` could not be fitted: {e}", baseline.name))
            .with_help("check the training split for constant or duplicated columns, or add `l2` regularization")
            .for_definition(&baseline.name)
    };
    Ok(match kind {
        "majority_class" => {
            let Target::Classes(y) = &train.y else { return Err(wrong_task(baseline, "classification")) };
            let k = prepared.classes.len();
            let mut counts = vec![0usize; k];
            for &c in y {
                counts[c] += 1;
            }
            // The majority class gets probability 1: the baseline predicts one class for every row,
            // as its name says, so its precision and recall are those of a constant guess.
            let best = (0..k).max_by_key(|&c| (counts[c], std::cmp::Reverse(c))).unwrap_or(0);
            let mut probabilities = vec![0.0; k];
            probabilities[best] = 1.0;
            Trained::Majority { probabilities }
        }
        "mean" => {
            let Target::Values(y) = &train.y else { return Err(wrong_task(baseline, "regression")) };
            Trained::Mean { value: mlp_stdlib::transform::mean(y) }
        }
        "linear" => {
            let l2 = arg("l2").unwrap_or(0.0);
            match &train.y {
                Target::Classes(y) => {
                    Trained::Linear(linear::fit_classifier(&train.x, y, prepared.classes.len(), l2).map_err(failed)?)
                }
                Target::Values(y) => Trained::Linear(linear::fit_regressor(&train.x, y, l2).map_err(failed)?),
            }
        }
        "rule" => {
            let expr = rule.ok_or_else(|| {
                RunError::new("E0809", format!("rule baseline `{}` has no expression", baseline.name))
                    .for_definition(&baseline.name)
            })?;
            let threshold = baseline.settings.get("threshold").and_then(Value::as_f64).unwrap_or(0.5);
            let values =
                expressions.evaluate(expr, &prepared.table, &[]).map_err(|e| e.for_definition(&baseline.name))?;
            Trained::Rule { values, threshold }
        }
        "fixed" => Trained::Fixed { score: arg("score").unwrap_or(0.0) },
        other => {
            return Err(RunError::new("E0802", format!("baseline `{other}` is not implemented by this runtime"))
                .for_definition(&baseline.name));
        }
    })
}

fn wrong_task(baseline: &Baseline, wanted: &str) -> RunError {
    RunError::new("E0803", format!("baseline `{}` needs a {wanted} label", baseline.name))
        .for_definition(&baseline.name)
}
