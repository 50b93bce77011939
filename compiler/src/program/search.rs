//! The typed search built-ins of stdlib/search.mlp and the settings of a `search` block.

use crate::value::Value;
use serde::{Deserialize, Serialize};

/// How trials are chosen (`extern strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Grid,
    Random { trials: usize },
    Bayesian { trials: usize },
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Grid => "grid",
            Strategy::Random { .. } => "random",
            Strategy::Bayesian { .. } => "bayesian",
        }
    }
}

/// Rounds of narrowing after the first (`extern refinement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refinement {
    None,
    CoarseToFine { rounds: usize },
}

impl Refinement {
    /// Search rounds in all: one without refinement.
    pub fn rounds(self) -> usize {
        match self {
            Refinement::None => 1,
            Refinement::CoarseToFine { rounds } => rounds,
        }
    }
}

/// A searched parameter's distribution (`extern distribution`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// The candidates as written; each was checked against the parameter's declared type.
    Choice {
        values: Vec<Value>,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Loguniform {
        low: f64,
        high: f64,
    },
    IntRange {
        low: i64,
        high: i64,
        step: usize,
    },
}

impl Distribution {
    /// How many values a grid takes from the distribution; `None` for a continuous range.
    pub fn grid_size(&self) -> Option<u64> {
        match self {
            Distribution::Choice { values } => Some(values.len() as u64),
            Distribution::IntRange { low, high, step } => {
                let span = high.checked_sub(*low)?;
                (span >= 0).then(|| span as u64 / (*step).max(1) as u64 + 1)
            }
            Distribution::Uniform { .. } | Distribution::Loguniform { .. } => None,
        }
    }
}

/// `extern settings search`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSettings {
    pub strategy: Strategy,
    pub refine: Refinement,
}
