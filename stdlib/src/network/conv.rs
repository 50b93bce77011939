//! The convolutions: `conv2d` over images (also inside residual blocks) and `conv1d` over the steps
//! of a sequence, both through [`conv2d_exact`], which works around Candle 0.11's convolution
//! backward passes.

use super::init;
use super::param::{Param, Role, cast, param, var_from};
use crate::rng::Rng;
use candle_core::{DType, Device, Result, Tensor, Var};
use mlp_compiler::program::WeightInit;

/// The dtype a convolution of `x` runs in: the compute dtype, except BF16 on the CPU, where
/// Candle 0.11's convolution kernels have no BF16 matrix product; those widen to F32 and narrow
/// the result back (CUDA convolves in BF16).
fn conv_dtype(x: &Tensor) -> DType {
    if x.device().is_cpu() && x.dtype() == DType::BF16 { DType::F32 } else { x.dtype() }
}

/// A 2-D convolution of `[batch, in, h, w]` by `[out, in, kh, kw]` with zero padding `(ph, pw)`
/// and one stride, whose backward pass is right for every shape. Candle 0.11's conv2d backward
/// derives the input gradient's output padding from the height alone, which breaks (a shape
/// error or a wrong gradient) when the width leaves a different remainder. So the padding is
/// applied here and the input cropped to exactly the rows and columns the windows cover; the
/// rest never reaches the output, and the convolution itself runs unpadded and exact.
fn conv2d_exact(
    x: &Tensor,
    kernel: &Tensor,
    padding: (usize, usize),
    window: (usize, usize),
    stride: usize,
) -> Result<Tensor> {
    let mut x = x.clone();
    if padding.0 > 0 {
        x = x.pad_with_zeros(2, padding.0, padding.0)?;
    }
    if padding.1 > 0 {
        x = x.pad_with_zeros(3, padding.1, padding.1)?;
    }
    let (_, _, h, w) = x.dims4()?;
    let (kh, kw) = window;
    if h < kh || w < kw {
        candle_core::bail!("a {kh}×{kw} kernel does not fit a {h}×{w} padded input");
    }
    let used_h = (h - kh) / stride * stride + kh;
    let used_w = (w - kw) / stride * stride + kw;
    if used_h != h {
        x = x.narrow(2, 0, used_h)?;
    }
    if used_w != w {
        x = x.narrow(3, 0, used_w)?;
    }
    x.contiguous()?.conv2d(kernel, 0, stride, 1, 1)
}

/// A square 2-D convolution, kernel `[out, in, k, k]`, with an optional bias (convolutions
/// followed by batch norm inside a residual block have none).
pub(crate) struct Conv2d {
    pub weight: Var,
    pub bias: Option<Var>,
    pub stride: usize,
    pub padding: usize,
}

impl Conv2d {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inputs: usize,
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        bias: bool,
        init: WeightInit,
        rng: &mut Rng,
        device: &Device,
    ) -> Result<Self> {
        let area = kernel * kernel;
        let count = filters * inputs * area;
        let weight = var_from(
            init::sample(init, inputs * area, filters * area, count, rng),
            &[filters, inputs, kernel, kernel],
            device,
        )?;
        let bias = if bias { Some(Var::zeros(filters, DType::F32, device)?) } else { None };
        Ok(Conv2d { weight, bias, stride: stride.max(1), padding })
    }

    /// `[batch, in, h, w]` → `[batch, out, h', w']`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        let inner = conv_dtype(x);
        let (p, k) = (self.padding, self.weight.dim(2)?);
        let y = conv2d_exact(&x.to_dtype(inner)?, &cast(&self.weight, inner)?, (p, p), (k, k), self.stride)?;
        let y = y.to_dtype(dtype)?;
        match &self.bias {
            Some(b) => y.broadcast_add(&cast(b, dtype)?.reshape((1, (), 1, 1))?),
            None => Ok(y),
        }
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        let mut out = vec![param(prefix, "weight", &self.weight, Role::Weight)];
        if let Some(b) = &self.bias {
            out.push(param(prefix, "bias", b, Role::Other));
        }
        out
    }
}

/// A 1-D convolution over the steps of a sequence, kernel `[out, in, k]`.
pub(crate) struct Conv1d {
    pub weight: Var,
    pub bias: Var,
    pub stride: usize,
    pub padding: usize,
}

impl Conv1d {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inputs: usize,
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        init: WeightInit,
        rng: &mut Rng,
        device: &Device,
    ) -> Result<Self> {
        let count = filters * inputs * kernel;
        let weight = var_from(
            init::sample(init, inputs * kernel, filters * kernel, count, rng),
            &[filters, inputs, kernel],
            device,
        )?;
        Ok(Conv1d { weight, bias: Var::zeros(filters, DType::F32, device)?, stride: stride.max(1), padding })
    }

    /// `[batch, steps, in]` → `[batch, steps', out]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        let inner = conv_dtype(x);
        // As a 2-D convolution over a height-1 image: Candle 0.11's conv1d backward gives wrong
        // kernel gradients for strides above 1 (the finite difference test catches it).
        let image = x.to_dtype(inner)?.transpose(1, 2)?.unsqueeze(2)?;
        let kernel = cast(&self.weight, inner)?.unsqueeze(2)?;
        let k = kernel.dim(3)?;
        let y = conv2d_exact(&image, &kernel, (0, self.padding), (1, k), self.stride)?.squeeze(2)?;
        let y = y.to_dtype(dtype)?.broadcast_add(&cast(&self.bias, dtype)?.reshape((1, (), 1))?)?;
        y.transpose(1, 2)?.contiguous()
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        vec![param(prefix, "weight", &self.weight, Role::Weight), param(prefix, "bias", &self.bias, Role::Other)]
    }
}
