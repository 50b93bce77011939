//! Text inputs as word ids: each tokenized `text` column becomes a tensor column of `length` ids
//! through the vocabulary fitted on the training split (null texts are all padding). `mlpc run`
//! encodes its table here after fitting the vocabularies; a bundle encodes new rows here.

use crate::error::{RunError, RunResult};
use arrow_array::{Array, StringArray};
use mlp_compiler::codes::Code;
use mlp_data::{Table, tensor_array};
use mlp_stdlib::tokenize::Vocabulary;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// `table` with every column of `vocabularies` (text) replaced by its word ids, `lengths[column]`
/// ids per row. A column that is not text (already encoded) is left as it is.
pub fn encode(
    table: &Table,
    vocabularies: &BTreeMap<String, Vocabulary>,
    lengths: &BTreeMap<String, usize>,
) -> RunResult<Table> {
    let mut out = table.clone();
    for (name, vocabulary) in vocabularies {
        let Some(index) = out.names.iter().position(|n| n == name) else { continue };
        let Some(texts) = out.columns[index].as_any().downcast_ref::<StringArray>() else { continue };
        let length = lengths.get(name).copied().unwrap_or(0);
        let text = |r: usize| if texts.is_null(r) { "" } else { texts.value(r) };
        let mut ids = vec![0f32; texts.len() * length];
        if length > 0 {
            ids.par_chunks_mut(length).enumerate().for_each(|(r, row)| vocabulary.encode_into(text(r), row));
        }
        out.columns[index] = tensor_array(length, ids)
            .map_err(|e| RunError::new(Code::E0803, format!("the token ids of `{name}` cannot be stored: {e}")))?;
    }
    Ok(out)
}
