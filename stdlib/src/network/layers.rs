//! The building blocks of [`super::Net`]: parameters with their roles, dense and convolution
//! layers, batch normalisation over channels, pooling, dropout and activations. Every op here is a
//! plain Candle tensor op with a backward pass and a CUDA kernel; nothing is CPU-only.
//!
//! Activations travel in batch-first layouts: images as `[batch, channels, height, width]`,
//! sequences as `[batch, steps, features]`, vectors as `[batch, width]`.

use crate::mlp::Init;
use crate::rng::Rng;
use candle_core::{DType, Device, Result, Tensor, Var};

/// What a named tensor is for: which ones train, and which ones L1/L2 penalise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A weight matrix or kernel: trained and penalised.
    Weight,
    /// A bias, a batch-norm scale or shift: trained, not penalised.
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

/// A variable's value in the compute dtype: a no-op in f32, a cast with a backward pass otherwise.
pub(crate) fn cast(var: &Var, dtype: DType) -> Result<Tensor> {
    var.as_tensor().to_dtype(dtype)
}

pub(crate) fn var_from(values: Vec<f32>, shape: &[usize], device: &Device) -> Result<Var> {
    Var::from_tensor(&Tensor::from_vec(values, shape, device)?)
}

pub(crate) use crate::mlp::{dropout, sigmoid};

/// A fully connected layer: `x · W + b`, `W` of shape `[in, out]`.
pub(crate) struct Dense {
    pub weight: Var,
    pub bias: Var,
}

impl Dense {
    pub fn new(fan_in: usize, fan_out: usize, init: Init, rng: &mut Rng, device: &Device) -> Result<Self> {
        let weight = var_from(init.sample(fan_in, fan_out, fan_in * fan_out, rng), &[fan_in, fan_out], device)?;
        Ok(Dense { weight, bias: Var::zeros(fan_out, DType::F32, device)? })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        x.matmul(&cast(&self.weight, dtype)?)?.broadcast_add(&cast(&self.bias, dtype)?)
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        vec![param(prefix, "weight", &self.weight, Role::Weight), param(prefix, "bias", &self.bias, Role::Other)]
    }
}

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
pub(crate) fn conv2d_exact(
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
        init: Init,
        rng: &mut Rng,
        device: &Device,
    ) -> Result<Self> {
        let area = kernel * kernel;
        let count = filters * inputs * area;
        let weight = var_from(
            init.sample(inputs * area, filters * area, count, rng),
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
        init: Init,
        rng: &mut Rng,
        device: &Device,
    ) -> Result<Self> {
        let count = filters * inputs * kernel;
        let weight =
            var_from(init.sample(inputs * kernel, filters * kernel, count, rng), &[filters, inputs, kernel], device)?;
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

const BATCH_NORM_EPSILON: f64 = 1e-5;
/// Weight of the newest batch in the running statistics (PyTorch's default, as in `mlp`).
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolKind {
    Max,
    Avg,
}

/// Pooling over `[batch, channels, h, w]` with a `(kh, kw)` window and `(sh, sw)` stride; rows and
/// columns a window does not reach are dropped, as in the checker's shape rule.
///
/// Average pooling with the window equal to the stride uses Candle's op on the input cropped to
/// the area the windows cover (its backward pass needs both). Everything else takes the general
/// path: one strided gather (`index_select`, whose backward is `index_add`) per window offset,
/// combined by `maximum` or a sum. Max pooling always does: Candle 0.11's max-pool backward
/// scales the gradient by the mask's window average, 1/(kh·kw) of the true gradient (the finite
/// difference test in network/tests.rs catches it).
pub(crate) fn pool2d(x: &Tensor, kind: PoolKind, window: (usize, usize), stride: (usize, usize)) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let (kh, kw) = window;
    let (sh, sw) = (stride.0.max(1), stride.1.max(1));
    if h < kh || w < kw {
        candle_core::bail!("a {kh}×{kw} pool does not fit a {h}×{w} input");
    }
    let (oh, ow) = ((h - kh) / sh + 1, (w - kw) / sw + 1);
    if kind == PoolKind::Avg && (kh, kw) == (sh, sw) {
        let mut covered = x.clone();
        if oh * kh != h {
            covered = covered.narrow(2, 0, oh * kh)?;
        }
        if ow * kw != w {
            covered = covered.narrow(3, 0, ow * kw)?;
        }
        return covered.contiguous()?.avg_pool2d_with_stride(window, window);
    }
    if kind == PoolKind::Max && (kh, kw) == (sh, sw) {
        return max_pool_tiled(x, window, (oh, ow));
    }
    let x = x.contiguous()?;
    let device = x.device();
    let rows =
        |offset: usize| Tensor::from_vec((0..oh).map(|i| (offset + i * sh) as u32).collect::<Vec<_>>(), oh, device);
    let cols =
        |offset: usize| Tensor::from_vec((0..ow).map(|j| (offset + j * sw) as u32).collect::<Vec<_>>(), ow, device);
    let mut acc: Option<Tensor> = None;
    for di in 0..kh {
        let picked_rows = x.index_select(&rows(di)?, 2)?;
        for dj in 0..kw {
            let picked = picked_rows.index_select(&cols(dj)?, 3)?;
            acc = Some(match (acc, kind) {
                (None, _) => picked,
                (Some(a), PoolKind::Max) => a.maximum(&picked)?,
                (Some(a), PoolKind::Avg) => (a + picked)?,
            });
        }
    }
    let acc = acc.expect("a pool window has at least one cell");
    match kind {
        PoolKind::Max => Ok(acc),
        PoolKind::Avg => acc * (1.0 / (kh * kw) as f64),
    }
}

/// Max pooling over non-overlapping windows from Candle's native pooling ops, with a correct
/// gradient: Candle 0.11's own max-pool backward scales the gradient by 1/(window area). The
/// forward value comes from `max_pool2d`; the differentiable path is
/// `avg_pool(x · mask) / avg_pool(mask)`, where `mask` marks each window's maxima, which equals
/// the maximum and sends the gradient to the maxima (split evenly between ties). Unlike the
/// strided-gather form below it uploads no index tensors, so a GPU step never waits on the host.
fn max_pool_tiled(x: &Tensor, window: (usize, usize), out: (usize, usize)) -> Result<Tensor> {
    let (kh, kw) = window;
    let (oh, ow) = out;
    let (_, _, h, w) = x.dims4()?;
    let mut covered = x.clone();
    if oh * kh != h {
        covered = covered.narrow(2, 0, oh * kh)?;
    }
    if ow * kw != w {
        covered = covered.narrow(3, 0, ow * kw)?;
    }
    let covered = covered.contiguous()?;
    let maxima = covered.detach().max_pool2d_with_stride(window, window)?;
    let mask = covered.detach().eq(&maxima.upsample_nearest2d(oh * kh, ow * kw)?)?.to_dtype(x.dtype())?;
    let count = mask.avg_pool2d_with_stride(window, window)?;
    (covered * &mask)?.avg_pool2d_with_stride(window, window)?.div(&count)
}

/// Pooling over the steps of `[batch, steps, features]`: a 2-D pool of height 1.
pub(crate) fn pool1d(x: &Tensor, kind: PoolKind, size: usize, stride: usize) -> Result<Tensor> {
    let image = x.transpose(1, 2)?.unsqueeze(2)?.contiguous()?;
    let pooled = pool2d(&image, kind, (1, size), (1, stride))?;
    pooled.squeeze(2)?.transpose(1, 2)?.contiguous()
}
