//! The token embedding (`embedding`): a learned vector per token id.

use super::param::{Param, Role, param, var_from};
use crate::rng::Rng;
use candle_core::{DType, Device, Result, Tensor, Var};

/// A learned vector per token id. Ids arrive as f32 in `[batch, steps, 1]` (the tabular pipeline
/// stores every cell as a float); they are rounded, and any id outside `[0, vocabulary)` (or not
/// a number) becomes 0, the padding id (the `words` tokenizer pads with 0 and gives 1 to words
/// outside its vocabulary). Vectors start standard normal. Output `[batch, steps, dim]`.
pub(crate) struct Embedding {
    table: Var,
    vocabulary: usize,
}

impl Embedding {
    pub fn new(vocabulary: usize, dim: usize, rng: &mut Rng, device: &Device) -> Result<Self> {
        let values = (0..vocabulary * dim).map(|_| rng.normal() as f32).collect();
        Ok(Embedding { table: var_from(values, &[vocabulary, dim], device)?, vocabulary })
    }

    /// `compute` is the dtype of the vectors returned; the ids are read in f32 whatever it is.
    pub fn forward(&self, x: &Tensor, compute: DType) -> Result<Tensor> {
        let (batch, steps, _) = x.dims3()?;
        let ids = x.narrow(2, 0, 1)?.to_dtype(DType::F32)?.flatten_all()?.round()?;
        let inside = ids.ge(0f64)?.mul(&ids.lt(self.vocabulary as f64)?)?;
        let ids = inside.where_cond(&ids, &ids.zeros_like()?)?.to_dtype(DType::U32)?;
        let vectors = self.table.as_tensor().index_select(&ids, 0)?;
        let dim = vectors.dim(1)?;
        vectors.to_dtype(compute)?.reshape((batch, steps, dim))
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        vec![param(prefix, "table", &self.table, Role::Other)]
    }
}
