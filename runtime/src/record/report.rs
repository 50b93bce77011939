//! [`RunReport`]: the summary of a finished run — what `mlpc run --json` prints, what
//! `runs/<run-id>/metrics.json` holds — and the files written next to it (weights, fitted
//! preprocessing, the resolved plan, test-split predictions).

use crate::error::{RunError, RunResult};
use crate::evaluate::Scores;
use crate::evaluate::gate::GateResult;
use crate::exec::{Artifact, Outputs};
use crate::prepare::expressions::ExpressionTimings;
use crate::prepare::fit::Prepared;
use crate::prepare::target::Target;
use crate::train::trained::{Prediction, Trained};
use mlp_compiler::codes::Code;
use mlp_compiler::plan::{NodeKind, Plan};
use mlp_compiler::program::Program;
use mlp_compiler::types::Task;
use mlp_infer::batch::quote;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub pipeline: String,
    pub spec: String,
    /// `passed` or `gate_failed`.
    pub status: String,
    pub started: String,
    pub objective: Option<ObjectiveReport>,
    pub models: BTreeMap<String, ModelReport>,
    pub gates: Vec<GateResult>,
    pub artifacts: Artifacts,
    pub timings: Timings,
    /// Plan nodes `mlpc run` does not execute, with the reason.
    pub skipped: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ObjectiveReport {
    pub metric: String,
    pub direction: String,
    /// The model (not baseline) with the best objective on the validation split: the test split
    /// never chooses anything.
    pub best: Option<String>,
    /// The chosen model's objective on the test split.
    pub value: Option<f64>,
    /// Its objective on the validation split, which chose it.
    pub val_value: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    /// `model` or `baseline`.
    pub kind: String,
    /// The built-in, e.g. `mlp`, `majority_class`, `rule`.
    pub builtin: String,
    pub dataset: String,
    #[serde(flatten)]
    pub scores: Scores,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<serde_json::Value>,
    /// For models a deploy target serves: whether the plan's `export` step let it ship (every
    /// gate passed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported: Option<bool>,
    /// The id of the model's bundle (`bundles/<model>/` in the run directory), written when every
    /// gate passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Artifacts {
    pub dir: String,
    pub files: Vec<String>,
    /// Content hash of every plan node's output, by node id.
    pub hashes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    pub total_seconds: f64,
    pub nodes: BTreeMap<String, f64>,
    /// Training throughput of each model (samples per second over its epochs, validation
    /// excluded): a timing, so it lives here and not in the deterministic metrics.json.
    pub samples_per_second: BTreeMap<String, f64>,
    /// How the run's features and rules were evaluated; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expressions: Option<ExpressionTimings>,
}

/// Each trained model's training throughput.
pub fn throughput(program: &Program, outputs: &Outputs) -> BTreeMap<String, f64> {
    program
        .models
        .iter()
        .filter_map(|m| match outputs.of(NodeKind::TrainModel, &m.name) {
            Some(Artifact::Model(trained)) => match trained.as_ref() {
                Trained::Network(n) => Some((m.name.clone(), n.samples_per_second)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Assembles the report from the executed plan.
pub fn build(
    program: &Program,
    outputs: &Outputs,
) -> (BTreeMap<String, ModelReport>, Vec<GateResult>, BTreeMap<String, String>) {
    let mut models = BTreeMap::new();
    for model in &program.models {
        if let Some(Artifact::Scores(scores)) = outputs.of(NodeKind::Evaluate, &model.name) {
            let (training, search) = match outputs.of(NodeKind::TrainModel, &model.name) {
                Some(Artifact::Model(trained)) => match trained.as_ref() {
                    Trained::Network(m) => (
                        Some(serde_json::json!({
                            "epochs_run": m.history.len(),
                            "best_epoch": m.best_epoch,
                            "stopped_by": m.stopped_by,
                            "hyperparameters": m.hyperparameters,
                            "device": m.device_name,
                            "precision": m.precision,
                        })),
                        match outputs.of(NodeKind::SearchTrial, &model.name) {
                            Some(Artifact::Params(p)) => Some(serde_json::json!({
                                "strategy": p.strategy,
                                "trials": p.trials.len(),
                                "best": p.best,
                                "best_val_score": p.best_score,
                            })),
                            _ => None,
                        },
                    ),
                    _ => (None, None),
                },
                _ => (None, None),
            };
            models.insert(
                model.name.clone(),
                ModelReport {
                    kind: "model".into(),
                    builtin: model.architecture.name().to_string(),
                    dataset: model.dataset.clone(),
                    scores: (**scores).clone(),
                    training,
                    search,
                    exported: match outputs.of(NodeKind::Export, &model.name) {
                        Some(Artifact::Export { shipped }) => Some(*shipped),
                        _ => None,
                    },
                    bundle: None,
                },
            );
        }
    }
    for b in &program.baselines {
        if let Some(Artifact::Scores(scores)) = outputs.of(NodeKind::Evaluate, &b.name) {
            models.insert(
                b.name.clone(),
                ModelReport {
                    kind: "baseline".into(),
                    builtin: b.kind.name().to_string(),
                    dataset: b.dataset.clone(),
                    scores: (**scores).clone(),
                    training: None,
                    search: None,
                    exported: None,
                    bundle: None,
                },
            );
        }
    }
    let gates = program
        .gates
        .iter()
        .filter_map(|g| match outputs.of(NodeKind::Gate, &g.name) {
            Some(Artifact::Verdict(v)) => Some((**v).clone()),
            _ => None,
        })
        .collect();
    let skipped = outputs
        .done
        .iter()
        .filter_map(|(id, d)| match &d.artifact {
            Artifact::Skipped(reason) => Some((id.to_string(), reason.clone())),
            _ => None,
        })
        .collect();
    (models, gates, skipped)
}

/// The objective's best model, chosen on the validation split and reported on the test split.
/// A model without a validation score cannot be chosen.
pub fn objective(program: &Program, models: &BTreeMap<String, ModelReport>) -> Option<ObjectiveReport> {
    let objective = program.objective.as_ref()?;
    let maximize = objective.direction == mlp_compiler::ast::Direction::Maximize;
    let best = models
        .iter()
        .filter(|(_, m)| m.kind == "model")
        .filter_map(|(name, m)| m.scores.get("val", &objective.metric).map(|v| (name, m, v)))
        .reduce(|a, b| if (maximize && b.2 > a.2) || (!maximize && b.2 < a.2) { b } else { a });
    Some(ObjectiveReport {
        metric: objective.metric.clone(),
        direction: objective.direction.as_str().to_string(),
        best: best.map(|(name, _, _)| name.clone()),
        value: best.and_then(|(_, m, _)| m.scores.get("test", &objective.metric)),
        val_value: best.map(|(_, _, v)| v),
    })
}

fn write(dir: &Path, name: &str, bytes: &[u8], files: &mut Vec<String>) -> RunResult<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| RunError::new(Code::E0804, format!("cannot create `{}`: {e}", parent.display())))?;
    }
    std::fs::write(&path, bytes)
        .map_err(|e| RunError::new(Code::E0804, format!("cannot write `{}`: {e}", path.display())))?;
    files.push(name.to_string());
    Ok(())
}

fn json_bytes(value: &impl Serialize) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

/// Writes the plan, every model's weights and preprocessing, and the test predictions into `dir`;
/// returns the files written (relative to `dir`).
pub fn write_artifacts(program: &Program, plan: &Plan, outputs: &Outputs, dir: &Path) -> RunResult<Vec<String>> {
    let mut files = Vec::new();
    write(dir, "plan.json", &json_bytes(&plan.to_json_view()), &mut files)?;
    for model in &program.models {
        let Some(Artifact::Model(trained)) = outputs.of(NodeKind::TrainModel, &model.name) else { continue };
        let Some(Artifact::Prepared(prepared)) = outputs.of(NodeKind::FitTransform, &model.dataset) else {
            continue;
        };
        if let Trained::Network(m) = trained.as_ref() {
            // safetensors are written from host memory: weights trained on a GPU come back first.
            let tensors: std::collections::HashMap<String, candle_core::Tensor> = m
                .network
                .named_tensors()
                .into_iter()
                .map(|(n, t)| Ok((n, t.to_device(&candle_core::Device::Cpu)?)))
                .collect::<candle_core::Result<_>>()
                .map_err(|e| RunError::new(Code::E0804, format!("cannot copy the weights of `{}`: {e}", model.name)))?;
            let name = format!("models/{}.safetensors", model.name);
            let path = dir.join(&name);
            std::fs::create_dir_all(dir.join("models"))
                .map_err(|e| RunError::new(Code::E0804, format!("cannot create the models directory: {e}")))?;
            candle_core::safetensors::save(&tensors, &path)
                .map_err(|e| RunError::new(Code::E0804, format!("cannot write `{}`: {e}", path.display())))?;
            files.push(name);
            write(dir, &format!("models/{}.preprocessing.json", model.name), &json_bytes(&prepared.state), &mut files)?;
            write(dir, &format!("models/{}.history.json", model.name), &json_bytes(&m.history), &mut files)?;
        }
    }
    for b in &program.baselines {
        if let Some(Artifact::Model(trained)) = outputs.of(NodeKind::TrainBaseline, &b.name) {
            if let Trained::Linear(l) = trained.as_ref() {
                let value = serde_json::json!({
                    "weights": l.weights(),
                    "intercepts": l.intercepts(),
                    "iterations": l.iterations(),
                    "converged": l.converged(),
                });
                write(dir, &format!("baselines/{}.json", b.name), &json_bytes(&value), &mut files)?;
            }
        }
    }
    for dataset in &program.datasets {
        let Some(Artifact::Prepared(prepared)) = outputs.of(NodeKind::FitTransform, &dataset.name) else {
            continue;
        };
        let csv = predictions_csv(program, outputs, prepared);
        let name = if program.datasets.len() == 1 {
            "predictions.csv".to_string()
        } else {
            format!("predictions-{}.csv", dataset.name)
        };
        write(dir, &name, csv.as_bytes(), &mut files)?;
    }
    Ok(files)
}

/// Test-split predictions of every model and baseline of a dataset: the row's line in its data
/// file, the truth, and each predictor's class and probabilities (the positive class's for a
/// binary label, every class's otherwise) or value.
fn predictions_csv(program: &Program, outputs: &Outputs, prepared: &Prepared) -> String {
    let test = &prepared.splits[2];
    let mut columns: Vec<(String, Prediction)> = Vec::new();
    let names = program
        .models
        .iter()
        .filter(|m| m.dataset == prepared.dataset)
        .map(|m| m.name.clone())
        .chain(program.baselines.iter().filter(|b| b.dataset == prepared.dataset).map(|b| b.name.clone()));
    for name in names {
        if let Some(Artifact::Scores(s)) = outputs.of(NodeKind::Evaluate, &name) {
            if let Some(p) = &s.test_prediction {
                columns.push((name, p.clone()));
            }
        }
    }
    let mut out = String::from("line,truth");
    for (name, _) in &columns {
        match prepared.task {
            Task::Binary => {
                let _ = write!(out, ",{name},{name}_p_{}", prepared.classes.get(1).map_or("1", String::as_str));
            }
            Task::Multiclass => {
                let _ = write!(out, ",{name}");
                for class in &prepared.classes {
                    let _ = write!(out, ",{}", quote(&format!("{name}_p_{class}")));
                }
            }
            Task::Regression => {
                let _ = write!(out, ",{name}");
            }
        }
    }
    out.push('\n');
    let classes = mlp_stdlib::outcome::predicted_classes;
    let predicted: Vec<Option<Vec<usize>>> = columns
        .iter()
        .map(|(_, p)| match p {
            Prediction::Classes(m) => Some(classes(m, 0.5)),
            Prediction::Values(_) => None,
        })
        .collect();
    for (i, &row) in test.rows.iter().enumerate() {
        let line = prepared.table.origin(row).map_or(String::new(), |o| o.line.to_string());
        let truth = match &test.y {
            Target::Classes(c) => quote(&prepared.classes[c[i]]),
            Target::Values(v) => v[i].to_string(),
        };
        let _ = write!(out, "{line},{truth}");
        for ((_, p), classes_of) in columns.iter().zip(&predicted) {
            match (p, classes_of) {
                (Prediction::Classes(m), Some(c)) => {
                    let _ = write!(out, ",{}", quote(&prepared.classes[c[i]]));
                    // Probabilities as the shortest text that reads back to the same f64, so
                    // a bundle's predictions can be compared with these bit for bit.
                    if prepared.task == Task::Binary {
                        let _ = write!(out, ",{}", m.get(i, 1));
                    } else {
                        for p in m.row(i) {
                            let _ = write!(out, ",{p}");
                        }
                    }
                }
                (Prediction::Values(v), _) => {
                    let _ = write!(out, ",{}", v[i]);
                }
                _ => {}
            }
        }
        out.push('\n');
    }
    out
}

/// Writes `run.json` (the whole report) and `metrics.json`: the part of the report that depends
/// only on the spec, the data and the seed (no run id, times or paths), so two runs with the same
/// seed give byte-identical files.
pub fn write_report(report: &RunReport, dir: &Path) -> RunResult<()> {
    let mut files = Vec::new();
    let metrics = serde_json::json!({
        "pipeline": report.pipeline,
        "objective": report.objective,
        "models": report.models,
        "gates": report.gates,
        "hashes": report.artifacts.hashes,
    });
    write(dir, "metrics.json", &json_bytes(&metrics), &mut files)?;
    write(dir, "run.json", &json_bytes(report), &mut files)
}
