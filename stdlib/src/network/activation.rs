//! The activations (`relu`, `tanh`, `sigmoid`, `gelu`): an `mlp`'s hidden activation and the
//! activation layers of a list alike.

use candle_core::{Result, Tensor};
use mlp_compiler::program::Activation;

pub(crate) fn activate(activation: Activation, x: &Tensor) -> Result<Tensor> {
    match activation {
        Activation::Relu => x.relu(),
        Activation::Tanh => x.tanh(),
        Activation::Sigmoid => sigmoid(x),
        Activation::Gelu => x.gelu_erf(),
    }
}

/// Written out rather than candle_nn::ops::sigmoid so the backward pass is plain ops.
pub(crate) fn sigmoid(x: &Tensor) -> Result<Tensor> {
    (x.neg()?.exp()? + 1.0)?.recip()
}
