//! Max and average pooling over images and, as a pool of height 1, over the steps of a sequence.

use candle_core::{Result, Tensor};

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
