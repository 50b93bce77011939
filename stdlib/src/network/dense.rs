//! The fully connected layer: an `mlp`'s hidden layers, `dense` in a list, and the output head.

use super::init;
use super::param::{Param, Role, cast, param, var_from};
use crate::rng::Rng;
use candle_core::{DType, Device, Result, Tensor, Var};
use mlp_compiler::program::WeightInit;

/// `x · W + b`, `W` of shape `[in, out]`.
pub(crate) struct Dense {
    pub weight: Var,
    pub bias: Var,
}

impl Dense {
    pub fn new(fan_in: usize, fan_out: usize, init: WeightInit, rng: &mut Rng, device: &Device) -> Result<Self> {
        let weight = var_from(init::sample(init, fan_in, fan_out, fan_in * fan_out, rng), &[fan_in, fan_out], device)?;
        Ok(Dense { weight, bias: Var::zeros(fan_out, DType::F32, device)? })
    }

    /// `[batch, in]` → `[batch, out]`, in `x`'s dtype.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        x.matmul(&cast(&self.weight, dtype)?)?.broadcast_add(&cast(&self.bias, dtype)?)
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        vec![param(prefix, "weight", &self.weight, Role::Weight), param(prefix, "bias", &self.bias, Role::Other)]
    }
}
