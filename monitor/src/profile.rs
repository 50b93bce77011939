//! Current rows summarized per input column, ready to compare with the training reference:
//! numbers keep their present values (KS and Wasserstein need them all), categories their level
//! counts. A profile comes from a table (`mlpc monitor` over files) or from JSON rows (a window of
//! `mlpc serve`'s requests), read the way the reference says each column was read in training.

use arrow_array::Array;
use mlp_data::Table;
use mlp_data::column_view::{ColumnView, view_array};
use mlp_infer::reference::{ColumnReference, Reference};
use serde_json::Value;
use std::collections::BTreeMap;

/// The current values of one column.
#[derive(Clone, Debug, PartialEq)]
pub enum Current {
    Numbers { values: Vec<f64>, missing: usize },
    Categories { counts: BTreeMap<String, usize>, missing: usize },
}

impl Current {
    fn empty_like(reference: &ColumnReference) -> Option<Current> {
        match reference {
            ColumnReference::Number { .. } => Some(Current::Numbers { values: Vec::new(), missing: 0 }),
            ColumnReference::Category { .. } => Some(Current::Categories { counts: BTreeMap::new(), missing: 0 }),
            // Images and sequences have no per-column drift statistic (docs/monitor.md).
            ColumnReference::Tensor { .. } => None,
        }
    }

    /// Present values.
    pub fn present(&self) -> usize {
        match self {
            Current::Numbers { values, .. } => values.len(),
            Current::Categories { counts, .. } => counts.values().sum(),
        }
    }

    pub fn missing(&self) -> usize {
        match self {
            Current::Numbers { missing, .. } | Current::Categories { missing, .. } => *missing,
        }
    }

    fn merge(&mut self, other: Current) {
        match (self, other) {
            (Current::Numbers { values, missing }, Current::Numbers { values: more, missing: m }) => {
                values.extend(more);
                *missing += m;
            }
            (Current::Categories { counts, missing }, Current::Categories { counts: more, missing: m }) => {
                for (level, c) in more {
                    *counts.entry(level).or_default() += c;
                }
                *missing += m;
            }
            // Profiles of one reference have the same kind per column.
            _ => {}
        }
    }
}

/// The current rows of every monitored column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    pub rows: usize,
    pub columns: BTreeMap<String, Current>,
}

impl Profile {
    /// An empty profile of the reference's columns.
    pub fn new(reference: &Reference) -> Profile {
        let columns =
            reference.columns.iter().filter_map(|(name, r)| Some((name.clone(), Current::empty_like(r)?))).collect();
        Profile { rows: 0, columns }
    }

    /// The rows of `table`, each reference column read as the reference reads it; a column the
    /// table lacks stays empty (the report says so).
    pub fn of_table(reference: &Reference, table: &Table) -> Profile {
        let mut profile = Profile::new(reference);
        profile.rows = table.rows;
        for (name, current) in &mut profile.columns {
            let Some(array) = table.column(name) else { continue };
            match (current, view_array(array)) {
                (Current::Numbers { values, missing }, ColumnView::Numbers(cells)) => {
                    values.reserve(cells.len());
                    for cell in cells {
                        match cell {
                            Some(v) if v.is_finite() => values.push(v),
                            _ => *missing += 1,
                        }
                    }
                }
                (Current::Categories { counts, missing }, ColumnView::Text(texts)) => {
                    for r in 0..texts.len() {
                        if texts.is_null(r) {
                            *missing += 1;
                        } else {
                            *counts.entry(texts.value(r).to_string()).or_default() += 1;
                        }
                    }
                }
                (Current::Categories { counts, missing }, ColumnView::Numbers(cells)) => {
                    for cell in cells {
                        match cell {
                            Some(v) => *counts.entry(number_text(v)).or_default() += 1,
                            None => *missing += 1,
                        }
                    }
                }
                // A column whose current type differs from training's: counted as missing, so the
                // report shows every value missing rather than a statistic of nothing.
                (current, _) => {
                    let n = table.rows;
                    match current {
                        Current::Numbers { missing, .. } | Current::Categories { missing, .. } => *missing += n,
                    }
                }
            }
        }
        profile
    }

    /// JSON rows (objects of column values, as `POST /predict` takes them).
    pub fn of_json<'a>(reference: &Reference, rows: impl IntoIterator<Item = &'a Value>) -> Profile {
        let mut profile = Profile::new(reference);
        for row in rows {
            profile.add_json(row);
        }
        profile
    }

    /// One JSON row: numbers may come as JSON numbers or numeric strings; anything else, and an
    /// absent field, counts as missing.
    pub fn add_json(&mut self, row: &Value) {
        self.rows += 1;
        for (name, current) in &mut self.columns {
            let cell = row.get(name);
            match current {
                Current::Numbers { values, missing } => match cell.and_then(number_of) {
                    Some(v) => values.push(v),
                    None => *missing += 1,
                },
                Current::Categories { counts, missing } => match cell.and_then(level_of) {
                    Some(level) => *counts.entry(level).or_default() += 1,
                    None => *missing += 1,
                },
            }
        }
    }

    /// The last `n` rows (`over N predictions` offline). Numeric values are kept in row order with
    /// missing cells dropped, so "last n" is taken per column — the last `n` values present — and
    /// level counts have no order, so categories keep every row.
    pub fn last(&self, n: usize) -> Profile {
        let columns = self
            .columns
            .iter()
            .map(|(name, current)| {
                let recent = match current {
                    Current::Numbers { values, .. } => {
                        Current::Numbers { values: values[values.len().saturating_sub(n)..].to_vec(), missing: 0 }
                    }
                    other => other.clone(),
                };
                (name.clone(), recent)
            })
            .collect();
        Profile { rows: n.min(self.rows), columns }
    }

    /// Adds another profile of the same reference (the next chunk of a file).
    pub fn merge(&mut self, other: Profile) {
        self.rows += other.rows;
        for (name, current) in other.columns {
            match self.columns.get_mut(&name) {
                Some(mine) => mine.merge(current),
                None => {
                    self.columns.insert(name, current);
                }
            }
        }
    }
}

fn number_of(cell: &Value) -> Option<f64> {
    let v = match cell {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

fn level_of(cell: &Value) -> Option<String> {
    match cell {
        Value::String(s) if !mlp_data::missing::is_missing(s.as_bytes()) => Some(s.clone()),
        Value::Number(n) => n.as_f64().map(number_text),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number as text, whole numbers without a fraction (`3`, not `3.0`): a number used as a category
/// level, as the CSV reader kept its text, and a threshold in a condition's canonical text.
pub(crate) fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { v.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_rows_keep_each_columns_last_values() {
        let mut profile = Profile { rows: 5, ..Profile::default() };
        profile.columns.insert("x".into(), Current::Numbers { values: vec![1.0, 2.0, 3.0, 4.0], missing: 1 });
        profile.columns.insert("c".into(), Current::Categories { counts: [("a".into(), 5)].into(), missing: 0 });
        let last = profile.last(2);
        assert_eq!(last.rows, 2);
        assert_eq!(last.columns["x"], Current::Numbers { values: vec![3.0, 4.0], missing: 0 });
        assert_eq!(last.columns["c"], profile.columns["c"]);
        assert_eq!(profile.last(10).rows, 5);
    }
}
