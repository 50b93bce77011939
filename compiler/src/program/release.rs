//! The typed release definitions: gate checks, deploy targets (stdlib/deploy.mlp) and monitor
//! rules.

use super::data::Format;
use serde::{Deserialize, Serialize};

/// A comparison in a gate check or a monitor rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Comparison {
    pub fn from_op(op: crate::ast::BinOp) -> Option<Comparison> {
        use crate::ast::BinOp;
        Some(match op {
            BinOp::Ge => Comparison::Ge,
            BinOp::Gt => Comparison::Gt,
            BinOp::Le => Comparison::Le,
            BinOp::Lt => Comparison::Lt,
            BinOp::Eq => Comparison::Eq,
            BinOp::Ne => Comparison::Ne,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Ge => ">=",
            Comparison::Gt => ">",
            Comparison::Le => "<=",
            Comparison::Lt => "<",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }

    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Comparison::Ge => value >= bound,
            Comparison::Gt => value > bound,
            Comparison::Le => value <= bound,
            Comparison::Lt => value < bound,
            Comparison::Eq => value == bound,
            Comparison::Ne => value != bound,
        }
    }

    /// Whether lower values pass (`<`, `<=`).
    pub fn is_upper_bound(self) -> bool {
        matches!(self, Comparison::Le | Comparison::Lt)
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum GateCheck {
    /// `model.metric on split OP bound`
    Threshold { model: String, metric: String, split: String, op: Comparison, bound: f64 },
    /// `model beats baseline on metric by margin` (margin relative when written as a percentage)
    Beats { model: String, baseline: String, metric: String, margin: f64, relative: bool },
}

impl GateCheck {
    /// The models and baselines whose scores the check reads.
    pub fn subjects(&self) -> Vec<&str> {
        match self {
            GateCheck::Threshold { model, .. } => vec![model],
            GateCheck::Beats { model, baseline, .. } => vec![model, baseline],
        }
    }
}

/// A deploy target (`extern target`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Http { model: String },
    Batch { model: String },
    Bundle { model: String },
}

impl Target {
    pub fn name(&self) -> &'static str {
        match self {
            Target::Http { .. } => "http",
            Target::Batch { .. } => "batch",
            Target::Bundle { .. } => "bundle",
        }
    }

    pub fn model(&self) -> &str {
        match self {
            Target::Http { model } | Target::Batch { model } | Target::Bundle { model } => model,
        }
    }
}

/// `extern settings deploy`. `max_wait` and `timeout` are milliseconds, `max_body` bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploySettings {
    pub port: i64,
    pub host: String,
    pub max_batch: i64,
    pub max_wait: i64,
    pub timeout: i64,
    pub max_body: i64,
    pub max_rows: i64,
    pub auth: Option<Auth>,
    pub input: Option<Format>,
    pub output: Option<String>,
    pub path: Option<String>,
}

impl DeploySettings {
    /// The declared defaults (`mlpc serve --bundle DIR`, which has no deploy block to read).
    pub fn declared_defaults() -> DeploySettings {
        crate::check::settings_defaults("deploy")
            .and_then(|values| crate::value::Value::Call { call: "deploy".into(), args: values }.to_typed().ok())
            .expect("stdlib/settings.mlp declares a default for every required deploy setting")
    }
}

/// How an HTTP target checks its callers (`extern auth`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// A bearer token, read from the environment variable `env` when the server starts.
    Token { env: String },
}

/// A drift statistic (`extern statistic`); `column` is `all` for the worst over every column
/// (the largest, or for `chi2`'s p-value the smallest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    Psi { column: String },
    Ks { column: String },
    Js { column: String },
    Wasserstein { column: String },
    Chi2 { column: String },
    Share,
}

impl Statistic {
    pub fn name(&self) -> &'static str {
        match self {
            Statistic::Psi { .. } => "psi",
            Statistic::Ks { .. } => "ks",
            Statistic::Js { .. } => "js",
            Statistic::Wasserstein { .. } => "wasserstein",
            Statistic::Chi2 { .. } => "chi2",
            Statistic::Share => "share",
        }
    }

    /// The column it reads; `None` for every column (`all`) and for `share`.
    pub fn column(&self) -> Option<&str> {
        match self {
            Statistic::Psi { column }
            | Statistic::Ks { column }
            | Statistic::Js { column }
            | Statistic::Wasserstein { column }
            | Statistic::Chi2 { column } => Some(column.as_str()).filter(|c| *c != "all"),
            Statistic::Share => None,
        }
    }
}

impl std::fmt::Display for Statistic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column() {
            Some(column) => write!(f, "{}({column})", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// What a monitor does when a rule fires (`extern action`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Warn,
    /// POST an event to `url`, or to the URL in the environment variable `env`.
    Alert {
        url: String,
        env: String,
    },
    /// Run the pipeline again; first append the labelled feedback rows to the CSV file `append`
    /// (relative to the spec) when it is not empty.
    Retrain {
        append: String,
    },
    Rollback,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Warn => "warn",
            Action::Alert { .. } => "alert",
            Action::Retrain { .. } => "retrain",
            Action::Rollback => "rollback",
        }
    }
}

/// `extern settings monitor`: `window_seconds` 0 keeps the drift window by count alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorSettings {
    pub window: i64,
    pub window_seconds: i64,
    pub drift_share: f64,
    pub labelled: i64,
}

impl MonitorSettings {
    /// The declared defaults (a bundle served without a spec has no monitor block to read).
    pub fn declared_defaults() -> MonitorSettings {
        crate::check::settings_defaults("monitor")
            .and_then(|values| crate::value::Value::Call { call: "monitor".into(), args: values }.to_typed().ok())
            .expect("stdlib/settings.mlp declares a default for every monitor setting")
    }
}

/// What a monitor rule watches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Watch {
    /// Data drift of the inputs against the training reference.
    Drift { statistic: Statistic },
    /// A metric over labelled feedback.
    Metric { metric: String },
}

/// `over 500 labelled`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub count: i64,
    pub unit: String,
}
