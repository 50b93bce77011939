//! The `tokenize = words(length, vocabulary)` setting at run time: after the split, each `text`
//! input becomes a tensor column of `length` word ids (see [`mlp_stdlib::tokenize`]), with the
//! vocabulary fitted on the training rows only.

use crate::error::RunResult;
use arrow_array::{Array, StringArray};
use mlp_compiler::plan::FitStep;
use mlp_compiler::program::Tokenizer;
use mlp_compiler::types::ColumnType;
use mlp_data::Table;
use mlp_stdlib::tokenize::Vocabulary;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A table whose text inputs are word ids, and the vocabulary fitted for each such column.
pub struct Tokenized {
    pub table: Arc<Table>,
    pub vocabularies: BTreeMap<String, Vocabulary>,
}

/// Tokenizes the `text` inputs of `table` when `dataset` sets `tokenize`: the vocabulary of each
/// column is fitted on the rows `train`, then every row (null texts as all padding) is encoded.
/// Without the setting, or without text inputs, the table is returned as it is.
pub fn apply(dataset: &FitStep, table: &Arc<Table>, train: &[usize]) -> RunResult<Tokenized> {
    let unchanged = || Tokenized { table: Arc::clone(table), vocabularies: BTreeMap::new() };
    let Some(Tokenizer::Words { vocabulary: size, .. }) = dataset.tokenize else { return Ok(unchanged()) };
    let mut vocabularies = BTreeMap::new();
    let mut lengths = BTreeMap::new();
    for column in &dataset.schema.columns {
        // The checker turned each text input into `sequence(length, 1)`; the data still holds text.
        let ColumnType::Sequence { length, features: 1 } = column.ty else { continue };
        if !dataset.inputs.contains(&column.name) {
            continue;
        }
        let Some(texts) = table.column(&column.name).and_then(|c| c.as_any().downcast_ref::<StringArray>()) else {
            continue;
        };
        let text = |r: usize| if texts.is_null(r) { "" } else { texts.value(r) };
        vocabularies.insert(column.name.clone(), Vocabulary::fit(train.iter().map(|&r| text(r)), size));
        lengths.insert(column.name.clone(), length);
    }
    if vocabularies.is_empty() {
        return Ok(unchanged());
    }
    // Every row is encoded as a bundle encodes new rows.
    let out =
        mlp_infer::tokens::encode(table, &vocabularies, &lengths).map_err(|e| e.for_definition(&dataset.dataset))?;
    Ok(Tokenized { table: Arc::new(out), vocabularies })
}
