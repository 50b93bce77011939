//! The `tokenize = words(length, vocabulary)` setting at run time: after the split, each `text`
//! input becomes a tensor column of `length` word ids (see [`mlp_stdlib::tokenize`]), with the
//! vocabulary fitted on the training rows only.

use crate::error::{RunError, RunResult};
use arrow_array::{Array, StringArray};
use mlp_compiler::codes::Code;
use mlp_compiler::plan::FitStep;
use mlp_compiler::program::Tokenizer;
use mlp_compiler::types::ColumnType;
use mlp_data::{Table, tensor_array};
use mlp_stdlib::tokenize::Vocabulary;
use rayon::prelude::*;
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
    let mut out = (**table).clone();
    let mut vocabularies = BTreeMap::new();
    for column in &dataset.schema.columns {
        // The checker turned each text input into `sequence(length, 1)`; the data still holds text.
        let ColumnType::Sequence { length, features: 1 } = column.ty else { continue };
        if !dataset.inputs.contains(&column.name) {
            continue;
        }
        let Some(index) = out.names.iter().position(|n| *n == column.name) else { continue };
        let Some(texts) = out.columns[index].as_any().downcast_ref::<StringArray>() else { continue };
        let text = |r: usize| if texts.is_null(r) { "" } else { texts.value(r) };
        let vocabulary = Vocabulary::fit(train.iter().map(|&r| text(r)), size);
        let mut ids = vec![0f32; texts.len() * length];
        if length > 0 {
            ids.par_chunks_mut(length).enumerate().for_each(|(r, out)| vocabulary.encode_into(text(r), out));
        }
        out.columns[index] = tensor_array(length, ids).map_err(|e| {
            RunError::new(Code::E0803, format!("the token ids of `{}` cannot be stored: {e}", column.name))
                .for_definition(&dataset.dataset)
        })?;
        vocabularies.insert(column.name.clone(), vocabulary);
    }
    if vocabularies.is_empty() {
        return Ok(unchanged());
    }
    Ok(Tokenized { table: Arc::new(out), vocabularies })
}
