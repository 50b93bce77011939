//! From a prepared matrix to predictions: the network's forward pass (in chunks, evaluation mode)
//! and the post-processing of its logits (sigmoid or softmax, a regression target scaled back).
//! `mlpc run` evaluates every split through [`network_prediction`], and a bundle predicts through
//! it, so the numbers a served model gives are the numbers its evaluation scored.

use candle_core::{D, Device, Result, Tensor};
use mlp_compiler::types::Task;
use mlp_stdlib::Matrix;
use mlp_stdlib::network::Net;
use mlp_stdlib::transform::Scaler;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// What a model or baseline predicts for some rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Prediction {
    /// Class probabilities, one row per input row (two columns for binary tasks).
    Classes(Matrix),
    Values(Vec<f64>),
}

impl Prediction {
    pub fn len(&self) -> usize {
        match self {
            Prediction::Classes(m) => m.rows,
            Prediction::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which columns of a prepared matrix a network reads, and their per-sample shape: every column
/// for an `mlp`; the image or sequence column's block for a `cnn` or `lstm`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkInput {
    pub columns: std::ops::Range<usize>,
    pub width: usize,
    /// `[width]` for tabular rows, `[c, h, w]` for images, `[steps, features]` for sequences.
    pub shape: Vec<usize>,
}

impl NetworkInput {
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

/// How a network's outputs become predictions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub task: Task,
    /// Width of the output layer: 1 (binary with one logit, regression) or the class count.
    pub outputs: usize,
    /// Standardization of a regression target, inverted on prediction.
    pub target: Option<Scaler>,
}

/// Rows of every forward pass that predicts: a split's rows, a file's chunk or a request's rows
/// go through the network this many at a time, the last pass padded with rows of zeros. The
/// matrix products pick their kernels and blocking by shape (a single row takes a matrix-vector
/// product; some hundreds of rows another blocking), each summing in its own order, so a row
/// predicted alone would otherwise get other last bits than the same row in `mlpc run`'s
/// evaluation of a whole split. With one shape for every pass, a row's prediction is the same
/// whatever it is predicted with (tests/predict.rs predicts rows alone and in batches).
pub const FORWARD_ROWS: usize = 64;

/// The network's logits for every row of `x` (only the columns `input` reads), computed on
/// `device` in passes of [`FORWARD_ROWS`] rows; `[rows, outputs]` f32.
pub fn network_logits(net: &Net, input: &NetworkInput, device: &Device, x: &Matrix) -> Result<Tensor> {
    let selected = input.select(x);
    let (rows, cols) = (selected.rows, selected.cols);
    let mut parts = Vec::with_capacity(rows.div_ceil(FORWARD_ROWS));
    let mut block = Matrix::zeros(FORWARD_ROWS, cols);
    for start in (0..rows).step_by(FORWARD_ROWS) {
        let n = (rows - start).min(FORWARD_ROWS);
        block.data.fill(0.0);
        block.data[..n * cols].copy_from_slice(&selected.data[start * cols..(start + n) * cols]);
        parts.push(net.forward(&to_tensor(&block, device)?)?.narrow(0, 0, n)?);
    }
    if parts.len() == 1 { Ok(parts.remove(0)) } else { Tensor::cat(&parts, 0) }
}

/// The network's predictions for `x`: probabilities through a sigmoid (one logit) or softmax,
/// regression outputs mapped back through the target scaler.
pub fn network_prediction(
    net: &Net,
    input: &NetworkInput,
    head: &Head,
    device: &Device,
    x: &Matrix,
) -> Result<Prediction> {
    if x.rows == 0 {
        return Ok(match head.task {
            Task::Regression => Prediction::Values(Vec::new()),
            Task::Binary => Prediction::Classes(Matrix::zeros(0, 2)),
            Task::Multiclass => Prediction::Classes(Matrix::zeros(0, head.outputs)),
        });
    }
    let logits = network_logits(net, input, device, x)?;
    prediction_from_logits(head, &logits)
}

/// Probabilities or values from logits already computed (validation reuses its forward pass).
pub fn prediction_from_logits(head: &Head, out: &Tensor) -> Result<Prediction> {
    let n = out.dim(0)?;
    let outputs = head.outputs;
    let flat: Vec<f32> = match (head.task, outputs) {
        (Task::Regression, _) | (Task::Binary, 1) => out.flatten_all()?.to_vec1()?,
        _ => softmax(out)?.flatten_all()?.to_vec1()?,
    };
    Ok(match (head.task, outputs) {
        (Task::Regression, _) => {
            let scaler = head.target.unwrap_or(Scaler::Identity);
            Prediction::Values(flat.iter().map(|&v| scaler.invert(v as f64)).collect())
        }
        (Task::Binary, 1) => {
            let mut m = Matrix::zeros(n, 2);
            for (i, &z) in flat.iter().enumerate() {
                let p = sigmoid(z as f64);
                m.row_mut(i).copy_from_slice(&[1.0 - p, p]);
            }
            Prediction::Classes(m)
        }
        _ => Prediction::Classes(Matrix::from_rows(n, outputs, flat.iter().map(|&v| v as f64).collect())),
    })
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn softmax(logits: &Tensor) -> Result<Tensor> {
    let shifted = logits.broadcast_sub(&logits.max_keepdim(D::Minus1)?)?;
    let e = shifted.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

pub fn to_tensor(x: &Matrix, device: &Device) -> Result<Tensor> {
    let data: Vec<f32> = x.data.iter().map(|&v| v as f32).collect();
    Tensor::from_vec(data, (x.rows, x.cols), device)
}
