//! Batch normalisation per channel, with running statistics for the evaluation pass.

use super::param::{Param, Role, param};
use candle_core::{DType, Device, Result, Tensor, Var};

const BATCH_NORM_EPSILON: f64 = 1e-5;
/// Weight of the newest batch in the running statistics (PyTorch's default).
const BATCH_NORM_MOMENTUM: f64 = 0.1;

/// Batch normalisation per channel: the features of a vector, the channels of an image
/// (statistics over batch, height and width), the features of a sequence (over batch and steps).
/// Statistics are computed in f32 whatever the compute dtype.
pub(crate) struct BatchNorm {
    pub gamma: Var,
    pub beta: Var,
    pub running_mean: Var,
    pub running_var: Var,
}

impl BatchNorm {
    pub fn new(channels: usize, device: &Device) -> Result<Self> {
        Ok(BatchNorm {
            gamma: Var::ones(channels, DType::F32, device)?,
            beta: Var::zeros(channels, DType::F32, device)?,
            running_mean: Var::zeros(channels, DType::F32, device)?,
            running_var: Var::ones(channels, DType::F32, device)?,
        })
    }

    /// The shape a per-channel vector broadcasts as against `x`, and the dimensions reduced.
    fn layout(x: &Tensor) -> Result<(Vec<usize>, Vec<usize>)> {
        let dims = x.dims();
        Ok(match dims.len() {
            2 => (vec![1, dims[1]], vec![0]),
            3 => (vec![1, 1, dims[2]], vec![0, 1]),
            4 => (vec![1, dims[1], 1, 1], vec![0, 2, 3]),
            n => candle_core::bail!("batch norm over a {n}-dimensional activation"),
        })
    }

    pub fn forward_train(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        let x = x.to_dtype(DType::F32)?;
        let (shape, reduced) = Self::layout(&x)?;
        let count: usize = reduced.iter().map(|&d| x.dims()[d]).product();
        let mut mean = x.clone();
        for &d in &reduced {
            mean = mean.mean_keepdim(d)?;
        }
        let centred = x.broadcast_sub(&mean)?;
        let mut var = centred.sqr()?;
        for &d in &reduced {
            var = var.mean_keepdim(d)?;
        }
        let unbiased = if count > 1 { (&var * (count as f64 / (count - 1) as f64))? } else { var.clone() };
        let m = BATCH_NORM_MOMENTUM;
        let channels = self.running_mean.dim(0)?;
        let new_mean = ((self.running_mean.as_tensor() * (1.0 - m))? + (mean.detach().reshape(channels)? * m)?)?;
        let new_var = ((self.running_var.as_tensor() * (1.0 - m))? + (unbiased.detach().reshape(channels)? * m)?)?;
        self.running_mean.set(&new_mean)?;
        self.running_var.set(&new_var)?;
        let normalised = centred.broadcast_div(&(var + BATCH_NORM_EPSILON)?.sqrt()?)?;
        self.scale_shift(&normalised, &shape)?.to_dtype(dtype)
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        let x = x.to_dtype(DType::F32)?;
        let (shape, _) = Self::layout(&x)?;
        let mean = self.running_mean.as_tensor().detach().reshape(shape.as_slice())?;
        let std = (self.running_var.as_tensor().detach() + BATCH_NORM_EPSILON)?.sqrt()?.reshape(shape.as_slice())?;
        let normalised = x.broadcast_sub(&mean)?.broadcast_div(&std)?;
        self.scale_shift(&normalised, &shape)?.to_dtype(dtype)
    }

    fn scale_shift(&self, x: &Tensor, shape: &[usize]) -> Result<Tensor> {
        x.broadcast_mul(&self.gamma.as_tensor().reshape(shape)?)?.broadcast_add(&self.beta.as_tensor().reshape(shape)?)
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        vec![
            param(prefix, "gamma", &self.gamma, Role::Other),
            param(prefix, "beta", &self.beta, Role::Other),
            param(prefix, "running_mean", &self.running_mean, Role::Buffer),
            param(prefix, "running_var", &self.running_var, Role::Buffer),
        ]
    }
}
