//! The named tensors of a network: [`Param`], its [`Role`], and the helpers every layer uses to
//! create its variables and read them in the compute dtype.

use candle_core::{DType, Device, Result, Tensor, Var};

/// What a named tensor is for: which ones train, and which ones L1/L2 penalise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A weight matrix or kernel: trained and penalised.
    Weight,
    /// A bias, a batch-norm scale or shift, an embedding table: trained, not penalised.
    Other,
    /// Running statistics: saved with the network, never trained.
    Buffer,
}

/// One named tensor of a network. Buffers are `Var`s too so that the training pass can update
/// them in place through a shared reference; they are simply never handed to an optimizer.
#[derive(Clone)]
pub(crate) struct Param {
    pub name: String,
    pub var: Var,
    pub role: Role,
}

pub(crate) fn param(prefix: &str, name: &str, var: &Var, role: Role) -> Param {
    Param { name: format!("{prefix}.{name}"), var: var.clone(), role }
}

/// A variable's value in the compute dtype: a no-op in f32, a cast with a backward pass otherwise,
/// so the gradients reach the f32 master variables.
pub(crate) fn cast(var: &Var, dtype: DType) -> Result<Tensor> {
    var.as_tensor().to_dtype(dtype)
}

pub(crate) fn var_from(values: Vec<f32>, shape: &[usize], device: &Device) -> Result<Var> {
    Var::from_tensor(&Tensor::from_vec(values, shape, device)?)
}
