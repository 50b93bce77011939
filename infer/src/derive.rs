//! Derived features computed on raw rows: `mlpc run`'s `derive` step (before the split, so a
//! split may be keyed by a derived column and every derived column is fitted like any other),
//! and a bundle's first step on new rows.

use crate::error::{RunError, RunResult};
use crate::expressions::Expressions;
use arrow_array::ArrayRef;
use mlp_compiler::codes::Code;
use mlp_compiler::program::Feature;
use mlp_data::Table;

/// Adds `features` to the rows of `table`, each feature after those it reads; a feature the
/// table already holds is kept as it is.
pub fn derive(features: &[Feature], table: &Table, expressions: &Expressions) -> RunResult<Table> {
    let wanted: Vec<&Feature> = features.iter().filter(|f| table.column(&f.name).is_none()).collect();
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
