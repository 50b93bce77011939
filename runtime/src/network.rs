//! The trainable networks a `model` definition can build, behind one interface for the training
//! loop, prediction and the run record: the `mlp` of tabular data and the layer-list networks
//! (`cnn`, `lstm`) of mlp-stdlib.

use crate::error::{RunError, RunResult};
use crate::prepare::Prepared;
use candle_core::{DType, Result, Tensor, Var};
use mlp_compiler::program::Model;
use mlp_stdlib::Matrix;
use mlp_stdlib::mlp::Mlp;
use mlp_stdlib::network::Net;
use mlp_stdlib::rng::Rng;
use std::borrow::Cow;

/// Rows per evaluation forward pass.
const PREDICTION_CHUNK: usize = 4096;

pub enum Network {
    Mlp(Mlp),
    Layers(Box<Net>),
}

impl Network {
    /// Evaluation pass on `[rows, inputs]` f32: logits `[rows, outputs]` in f32.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Network::Mlp(m) => m.forward(x),
            Network::Layers(n) => n.forward(x),
        }
    }

    /// Evaluation pass over many rows, `PREDICTION_CHUNK` at a time: bounds the activations a CNN
    /// holds at once.
    pub fn forward_chunked(&self, x: &Tensor) -> Result<Tensor> {
        let rows = x.dim(0)?;
        let mut parts = Vec::with_capacity(rows.div_ceil(PREDICTION_CHUNK));
        for start in (0..rows).step_by(PREDICTION_CHUNK) {
            parts.push(self.forward(&x.narrow(0, start, (rows - start).min(PREDICTION_CHUNK))?)?);
        }
        if parts.len() == 1 { Ok(parts.remove(0)) } else { Tensor::cat(&parts, 0) }
    }

    /// Training pass: dropout and batch statistics, with masks from `rng`.
    pub fn forward_train(&mut self, x: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        match self {
            Network::Mlp(m) => m.forward_train(x, rng),
            Network::Layers(n) => n.forward_train(x, rng),
        }
    }

    pub fn vars(&self) -> Vec<Var> {
        match self {
            Network::Mlp(m) => m.vars(),
            Network::Layers(n) => n.vars(),
        }
    }

    /// The weights L1 and L2 penalties apply to.
    pub fn weights(&self) -> Vec<Var> {
        match self {
            Network::Mlp(m) => m.weights(),
            Network::Layers(n) => n.weights(),
        }
    }

    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        match self {
            Network::Mlp(m) => m.named_tensors(),
            Network::Layers(n) => n.named_tensors(),
        }
    }

    pub fn snapshot(&self) -> Result<Vec<(String, Tensor)>> {
        match self {
            Network::Mlp(m) => m.snapshot(),
            Network::Layers(n) => n.snapshot(),
        }
    }

    pub fn load_from(&mut self, saved: &[(String, Tensor)]) -> Result<()> {
        match self {
            Network::Mlp(m) => m.load_from(saved),
            Network::Layers(n) => n.load_from(saved),
        }
    }

    /// The precision of the forward and backward passes; the weights stay f32.
    pub fn set_compute_dtype(&mut self, dtype: DType) {
        match self {
            Network::Mlp(m) => m.set_compute_dtype(dtype),
            Network::Layers(n) => n.set_compute_dtype(dtype),
        }
    }
}

/// Which columns of a prepared matrix a network reads, and their per-sample shape: every column
/// for an `mlp`; the image or sequence column's block for a `cnn` or `lstm`.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkInput {
    pub columns: std::ops::Range<usize>,
    pub width: usize,
    /// `[width]` for tabular rows, `[c, h, w]` for images, `[steps, features]` for sequences.
    pub shape: Vec<usize>,
}

impl NetworkInput {
    pub fn of(model: &Model, prepared: &Prepared) -> RunResult<NetworkInput> {
        let cols = prepared.splits[0].x.cols;
        let architecture = model.architecture.as_str().unwrap_or("mlp");
        if architecture == "mlp" {
            return Ok(NetworkInput { columns: 0..cols, width: cols, shape: vec![cols] });
        }
        let Some(tensor) = &prepared.tensor else {
            return Err(RunError::new(
                "E0802",
                format!(
                    "`{architecture}` model `{}` needs an image or sequence column, and its data has none",
                    model.name
                ),
            )
            .with_help("declare the column in the source's `schema { }` block, e.g. `pixels: image(1, 8, 8)`")
            .for_definition(&model.name));
        };
        if tensor.shape != model.input_shape {
            return Err(RunError::new(
                "E0802",
                format!(
                    "model `{}` was checked for input {:?}, but column `{}` holds {:?}",
                    model.name, model.input_shape, tensor.column, tensor.shape
                ),
            )
            .for_definition(&model.name));
        }
        Ok(NetworkInput {
            columns: tensor.offset..tensor.offset + tensor.width,
            width: tensor.width,
            shape: tensor.shape.clone(),
        })
    }

    /// The rows of `x` restricted to this input's columns (no copy when it reads them all).
    pub fn select<'a>(&self, x: &'a Matrix) -> Cow<'a, Matrix> {
        if self.columns == (0..x.cols) {
            return Cow::Borrowed(x);
        }
        let mut data = Vec::with_capacity(x.rows * self.width);
        for i in 0..x.rows {
            data.extend_from_slice(&x.row(i)[self.columns.clone()]);
        }
        Cow::Owned(Matrix::from_rows(x.rows, self.width, data))
    }
}
