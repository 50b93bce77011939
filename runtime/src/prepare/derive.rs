//! The `derive` step: a dataset's derived features computed on its raw rows (before the split, so
//! a split may be keyed by a derived column and every derived column is fitted like any other).

use super::expressions::Expressions;
use crate::error::{RunError, RunResult};
use arrow_array::ArrayRef;
use mlp_compiler::codes::Code;
use mlp_compiler::plan::DeriveStep;
use mlp_data::Table;

/// Adds the dataset's derived features to its rows, each feature after those it reads.
pub fn derive(step: &DeriveStep, table: &Table, expressions: &Expressions) -> RunResult<Table> {
    let wanted: Vec<&mlp_compiler::program::Feature> =
        step.features.iter().filter(|f| table.column(&f.name).is_none()).collect();
    let mut computed: Vec<(String, ArrayRef)> = Vec::new();
    let mut pending = wanted;
    while !pending.is_empty() {
        let before = pending.len();
        let mut still = Vec::new();
        for feature in pending {
            let ready = feature.reads.iter().all(|r| table.column(r).is_some() || computed.iter().any(|(n, _)| n == r));
            if ready {
                let values = expressions
                    .evaluate(&feature.expression.expr, table, &computed)
                    .map_err(|e| e.for_definition(&feature.name))?;
                computed.push((feature.name.clone(), values));
            } else {
                still.push(feature);
            }
        }
        if still.len() == before {
            let names: Vec<&str> = still.iter().map(|f| f.name.as_str()).collect();
            return Err(RunError::new(
                Code::E0809,
                format!("features {} read columns that never appear", names.join(", ")),
            ));
        }
        pending = still;
    }
    let mut out = table.clone();
    for (name, values) in computed {
        out.names.push(name);
        out.columns.push(values);
    }
    Ok(out)
}
