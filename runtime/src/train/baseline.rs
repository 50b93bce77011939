//! The `train_baseline` step: fits the baseline built-ins of stdlib/baselines.mlp (majority
//! class, mean, linear, rule, fixed) on the training split.

use crate::error::{RunError, RunResult};
use crate::prepare::expressions::Expressions;
use crate::prepare::fit::Prepared;
use crate::prepare::target::Target;
use crate::train::trained::Trained;
use mlp_compiler::codes::Code;
use mlp_compiler::program::{Baseline, BaselineKind};
use mlp_stdlib::linear;

/// Fits `baseline` on the train split (a `rule` evaluates its expression on every row).
pub fn fit(baseline: &Baseline, prepared: &Prepared, expressions: &Expressions) -> RunResult<Trained> {
    let train = &prepared.splits[0];
    let failed = |e: linear::LinearError| {
        RunError::new(Code::E0803, format!("baseline `{}` could not be fitted: {e}", baseline.name))
            .with_help("check the training split for constant or duplicated columns, or add `l2` regularization")
            .for_definition(&baseline.name)
    };
    Ok(match &baseline.kind {
        BaselineKind::MajorityClass => {
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
        BaselineKind::Mean => {
            let Target::Values(y) = &train.y else { return Err(wrong_task(baseline, "regression")) };
            Trained::Mean { value: mlp_stdlib::transform::mean(y) }
        }
        &BaselineKind::Linear { l2 } => match &train.y {
            Target::Classes(y) => {
                Trained::Linear(linear::fit_classifier(&train.x, y, prepared.classes.len(), l2).map_err(failed)?)
            }
            Target::Values(y) => Trained::Linear(linear::fit_regressor(&train.x, y, l2).map_err(failed)?),
        },
        BaselineKind::Rule { when } => {
            let values =
                expressions.evaluate(&when.expr, &prepared.table, &[]).map_err(|e| e.for_definition(&baseline.name))?;
            Trained::Rule { values, threshold: baseline.settings.threshold }
        }
        &BaselineKind::Fixed { score } => Trained::Fixed { score },
    })
}

fn wrong_task(baseline: &Baseline, wanted: &str) -> RunError {
    RunError::new(Code::E0803, format!("baseline `{}` needs a {wanted} label", baseline.name))
        .for_definition(&baseline.name)
}
