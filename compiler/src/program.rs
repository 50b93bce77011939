//! The checked program: every definition resolved, typed and with defaults filled in. This is what
//! the plan is built from and what the runtime executes; it holds no spans except where a later
//! stage may still need to point at the source (expressions).

use crate::ast::{Direction, Expr};
use crate::types::{ColumnType, Schema, Task};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A configuration value with defaults applied: what a setting or argument resolved to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    String(String),
    /// An identifier: a column, a definition or a level.
    Name(String),
    List(Vec<Value>),
    /// A built-in with every parameter resolved, e.g. `adam(lr: 0.0003, ...)`.
    Call {
        call: String,
        args: BTreeMap<String, Value>,
    },
    /// An expression kept as canonical source text (rules, bounds).
    Expr(String),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Name(s) | Value::Expr(s) => Some(s),
            Value::Call { call, .. } => Some(call),
            _ => None,
        }
    }

    /// The built-in's name and its arguments, for call values.
    pub fn as_call(&self) -> Option<(&str, &BTreeMap<String, Value>)> {
        match self {
            Value::Call { call, args } => Some((call, args)),
            _ => None,
        }
    }

    /// A deterministic text form, used for fingerprints and graph labels.
    pub fn canonical(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::Bool(b) => b.to_string(),
            Value::String(s) => format!("{s:?}"),
            Value::Name(n) | Value::Expr(n) => n.clone(),
            Value::List(items) => format!("[{}]", items.iter().map(Value::canonical).collect::<Vec<_>>().join(", ")),
            Value::Call { call, args } => {
                let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}: {}", v.canonical())).collect();
                format!("{call}({})", args.join(", "))
            }
        }
    }
}

/// Settings by name, defaults included.
pub type Config = BTreeMap<String, Value>;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Program {
    pub pipeline: Pipeline,
    pub sources: Vec<Source>,
    pub datasets: Vec<Dataset>,
    pub features: Vec<Feature>,
    pub metrics: Vec<Metric>,
    pub objective: Option<Objective>,
    pub baselines: Vec<Baseline>,
    pub models: Vec<Model>,
    pub searches: Vec<Search>,
    pub gates: Vec<Gate>,
    pub deploys: Vec<Deploy>,
    pub monitors: Vec<Monitor>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Pipeline {
    pub name: String,
    pub settings: Config,
}

#[derive(Clone, Debug, Serialize)]
pub struct Source {
    pub name: String,
    /// `csv`, `parquet` or `jsonl`, with its arguments.
    pub format: Value,
    /// The data path resolved against the directory of the spec that names it.
    pub path: PathBuf,
    pub schema: Schema,
    pub settings: Config,
}

#[derive(Clone, Debug, Serialize)]
pub struct Dataset {
    pub name: String,
    pub source: String,
    /// The source's columns minus excluded ones, plus derived features.
    pub schema: Schema,
    pub label: String,
    pub label_type: ColumnType,
    pub task: Task,
    /// For binary labels, the level counted as positive.
    pub positive: Option<String>,
    /// The input columns models see (all columns but the label and exclusions, features included).
    pub inputs: Vec<String>,
    /// Width of the tabular input after encoding (one-hot widens categories).
    pub input_width: usize,
    pub settings: Config,
}

#[derive(Clone, Debug, Serialize)]
pub struct Feature {
    pub name: String,
    #[serde(skip)]
    pub expr: Expr,
    /// The expression as canonical text.
    pub text: String,
    pub ty: ColumnType,
    /// Columns and features it reads, sorted.
    pub reads: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Metric {
    /// The user's name, or the built-in's name for built-ins used directly.
    pub name: String,
    pub builtin: Value,
    pub direction: Direction,
}

#[derive(Clone, Debug, Serialize)]
pub struct Objective {
    pub metric: String,
    pub direction: Direction,
}

#[derive(Clone, Debug, Serialize)]
pub struct Baseline {
    pub name: String,
    pub dataset: String,
    pub kind: Value,
    pub settings: Config,
    /// The expression of a `rule(...)` baseline, for the runtime to evaluate.
    #[serde(skip)]
    pub rule: Option<Expr>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Layer {
    pub layer: Value,
    pub input_shape: Vec<usize>,
    pub output_shape: Vec<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Model {
    pub name: String,
    pub dataset: String,
    pub architecture: Value,
    pub settings: Config,
    /// The explicit layer list with inferred shapes (empty for `mlp` and `lstm`).
    pub layers: Vec<Layer>,
    pub input_shape: Vec<usize>,
    /// Width of the output head: 1 for binary and regression, the number of classes otherwise.
    pub outputs: usize,
    /// The loss the task implies or the spec names.
    pub loss: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Search {
    pub model: String,
    pub settings: Config,
    /// Searched parameter and its distribution.
    pub space: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Gate {
    pub name: String,
    pub checks: Vec<GateCheck>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum GateCheck {
    /// `model.metric on split OP bound`
    Threshold { model: String, metric: String, split: String, op: String, bound: f64 },
    /// `model beats baseline on metric by margin` (margin relative when written as a percentage)
    Beats { model: String, baseline: String, metric: String, margin: f64, relative: bool },
}

#[derive(Clone, Debug, Serialize)]
pub struct Deploy {
    pub name: String,
    pub target: String,
    pub model: String,
    pub settings: Config,
}

#[derive(Clone, Debug, Serialize)]
pub struct Monitor {
    pub deploy: String,
    pub rules: Vec<MonitorRule>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MonitorRule {
    /// `drift` for data drift, `metric` for a labelled-feedback metric.
    pub watch: String,
    /// The statistic or metric, with its arguments.
    pub subject: Value,
    pub op: String,
    pub threshold: f64,
    /// `over 500 labelled`: the window, when given.
    pub window: Option<(i64, String)>,
    pub action: String,
}
