//! The loss built-ins of stdlib/training.mlp, written from numerically stable primitives so that
//! large logits never overflow (`bce` on logits, `cross_entropy` through log-softmax) and every
//! op has a backward pass (candle-nn's fused softmax has none).
//!
//! On the CPU the two classification losses are single custom ops with their own backward pass
//! (`(σ(z) − y)/n` and `(softmax(z) − onehot(y))/n`): as chains of tensor ops they cost a dozen
//! allocations forward and more backward, which for small batches outweighs the arithmetic. The
//! tensor-op forms stay for other devices, and a test holds the two to the same values and
//! gradients.

use candle_core::{CpuStorage, CustomOp2, D, DType, Layout, Result, Shape, Tensor};

/// Which loss a model trains with, resolved from the task and the spec's `loss` setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    /// Binary cross-entropy on one logit per row; targets 0/1 as f32 `[n, 1]`.
    Bce,
    /// Softmax cross-entropy on `k` logits per row; targets are class indices (u32 `[n]`).
    CrossEntropy,
    /// Mean squared error on one output per row; targets f32 `[n, 1]`.
    Mse,
    /// Huber loss with threshold `delta`: quadratic near zero, linear beyond, robust to outliers.
    Huber { delta: f64 },
}

impl Loss {
    /// The mean loss over the batch.
    pub fn compute(self, outputs: &Tensor, targets: &Tensor) -> Result<Tensor> {
        let fused = outputs.device().is_cpu() && outputs.dtype() == DType::F32;
        match self {
            Loss::Bce if fused => outputs.apply_op2(targets, FusedLoss::Bce),
            Loss::CrossEntropy if fused => outputs.apply_op2(targets, FusedLoss::CrossEntropy),
            Loss::Bce => bce_with_logits(outputs, targets),
            Loss::CrossEntropy => cross_entropy(outputs, targets),
            Loss::Mse => (outputs - targets)?.sqr()?.mean_all(),
            Loss::Huber { delta } => huber(outputs, targets, delta),
        }
    }
}

/// `max(z, 0) - z·y + log(1 + exp(-|z|))`: equal to `-y·log σ(z) - (1-y)·log(1-σ(z))` without
/// ever evaluating `exp` of a large positive number.
fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let softplus = (logits.abs()?.neg()?.exp()? + 1.0)?.log()?;
    ((logits.relu()? - (logits * targets)?)? + softplus)?.mean_all()
}

fn cross_entropy(logits: &Tensor, classes: &Tensor) -> Result<Tensor> {
    let log_probs = log_softmax(logits)?;
    let picked = log_probs.gather(&classes.unsqueeze(1)?, 1)?;
    picked.mean_all()?.neg()
}

/// Log-softmax over the last dimension, shifted by the row maximum for stability.
pub fn log_softmax(logits: &Tensor) -> Result<Tensor> {
    let max = logits.max_keepdim(D::Minus1)?.detach();
    let shifted = logits.broadcast_sub(&max)?;
    let log_sum = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    shifted.broadcast_sub(&log_sum)
}

fn huber(outputs: &Tensor, targets: &Tensor, delta: f64) -> Result<Tensor> {
    let error = (outputs - targets)?.abs()?;
    // Quadratic part on min(|e|, δ), linear part on the excess: the standard piecewise form
    // written without a select, so the gradient flows through both branches.
    let quadratic = error.clamp(0.0, delta)?;
    let linear = (&error - &quadratic)?;
    ((quadratic.sqr()? * 0.5)? + (linear * delta)?)?.mean_all()
}

/// The classification losses as single CPU ops: the mean loss forward, its gradient backward.
#[derive(Clone, Copy, Debug)]
enum FusedLoss {
    Bce,
    CrossEntropy,
}

/// The gradient of a [`FusedLoss`] with respect to the logits (before scaling by the incoming
/// gradient).
#[derive(Clone, Copy, Debug)]
struct FusedLossGradient(FusedLoss);

fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(values), Some((start, end))) => Ok(&values[start..end]),
        _ => Err(candle_core::Error::Msg("a fused loss needs contiguous f32 logits".into())),
    }
}

/// Targets as f32: class indices (u32, for cross-entropy) or 0/1 labels (f32, for BCE).
fn targets(storage: &CpuStorage, layout: &Layout) -> Result<Vec<f32>> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(values), Some((start, end))) => Ok(values[start..end].to_vec()),
        (CpuStorage::U32(values), Some((start, end))) => Ok(values[start..end].iter().map(|&v| v as f32).collect()),
        _ => Err(candle_core::Error::Msg("a fused loss needs contiguous f32 or u32 targets".into())),
    }
}

fn rows_and_classes(layout: &Layout) -> (usize, usize) {
    let dims = layout.dims();
    let rows = dims.first().copied().unwrap_or(1);
    (rows, dims.get(1).copied().unwrap_or(1))
}

/// Softmax of one row into `out`, shifted by the row maximum.
fn softmax_row(z: &[f32], out: &mut [f32]) -> f32 {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (o, &v) in out.iter_mut().zip(z) {
        *o = (v - max).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
    max + sum.ln()
}

impl CustomOp2 for FusedLoss {
    fn name(&self) -> &'static str {
        match self {
            FusedLoss::Bce => "bce-with-logits",
            FusedLoss::CrossEntropy => "cross-entropy",
        }
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let z = f32_slice(s1, l1)?;
        let y = targets(s2, l2)?;
        let (rows, classes) = rows_and_classes(l1);
        let mut total = 0f64;
        match self {
            FusedLoss::Bce => {
                for (&z, &y) in z.iter().zip(&y) {
                    // max(z, 0) − z·y + log(1 + e^−|z|): never exponentiates a large number.
                    total += (z.max(0.0) - z * y + (-z.abs()).exp().ln_1p()) as f64;
                }
            }
            FusedLoss::CrossEntropy => {
                let mut scratch = vec![0f32; classes];
                for (row, &class) in z.chunks(classes).zip(&y) {
                    let log_sum = softmax_row(row, &mut scratch);
                    total += (log_sum - row[class as usize]) as f64;
                }
            }
        }
        Ok((CpuStorage::F32(vec![(total / rows.max(1) as f64) as f32]), Shape::from(())))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let gradient = logits.apply_op2_no_bwd(targets, &FusedLossGradient(*self))?;
        Ok((Some(gradient.broadcast_mul(grad)?), None))
    }
}

impl CustomOp2 for FusedLossGradient {
    fn name(&self) -> &'static str {
        "loss-gradient"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let z = f32_slice(s1, l1)?;
        let y = targets(s2, l2)?;
        let (rows, classes) = rows_and_classes(l1);
        let scale = 1.0 / rows.max(1) as f32;
        let mut out = vec![0f32; z.len()];
        match self.0 {
            FusedLoss::Bce => {
                for ((o, &z), &y) in out.iter_mut().zip(z).zip(&y) {
                    *o = (1.0 / (1.0 + (-z).exp()) - y) * scale;
                }
            }
            FusedLoss::CrossEntropy => {
                for ((o, row), &class) in out.chunks_mut(classes).zip(z.chunks(classes)).zip(&y) {
                    softmax_row(row, o);
                    o[class as usize] -= 1.0;
                    for v in o.iter_mut() {
                        *v *= scale;
                    }
                }
            }
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn scalar(t: Tensor) -> f32 {
        t.to_scalar::<f32>().unwrap()
    }

    #[test]
    fn bce_matches_the_textbook_formula_and_survives_huge_logits() {
        let z = Tensor::new(&[[2.0f32], [-1.0], [80.0]], &Device::Cpu).unwrap();
        let y = Tensor::new(&[[1.0f32], [0.0], [0.0]], &Device::Cpu).unwrap();
        let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
        let expected = (-(sigmoid(2.0)).ln() - (1.0 - sigmoid(-1.0)).ln() + 80.0) / 3.0;
        let got = scalar(Loss::Bce.compute(&z, &y).unwrap());
        assert!((got as f64 - expected).abs() < 1e-4, "{got} vs {expected}");
    }

    #[test]
    fn cross_entropy_of_uniform_logits_is_log_k() {
        let z = Tensor::zeros((4, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        let y = Tensor::new(&[0u32, 1, 2, 1], &Device::Cpu).unwrap();
        let got = scalar(Loss::CrossEntropy.compute(&z, &y).unwrap());
        assert!((got - 3f32.ln()).abs() < 1e-6);
    }

    /// The fused CPU losses and the tensor-op forms agree on the value and the gradient.
    #[test]
    fn fused_losses_match_the_tensor_op_forms() {
        let logits =
            Tensor::new(&[[2.0f32, -1.0, 0.5], [-3.0, 4.0, 0.0], [0.1, 0.2, 0.3], [9.0, -9.0, 1.0]], &Device::Cpu)
                .unwrap();
        let classes = Tensor::new(&[0u32, 1, 2, 1], &Device::Cpu).unwrap();
        let column = logits.narrow(1, 0, 1).unwrap().contiguous().unwrap();
        let binary = Tensor::new(&[[1.0f32], [0.0], [1.0], [0.0]], &Device::Cpu).unwrap();
        type Reference = fn(&Tensor, &Tensor) -> Result<Tensor>;
        let cases: [(Loss, &Tensor, &Tensor, Reference); 2] =
            [(Loss::CrossEntropy, &logits, &classes, cross_entropy), (Loss::Bce, &column, &binary, bce_with_logits)];
        for (loss, z, y, reference) in cases {
            let var = candle_core::Var::from_tensor(z).unwrap();
            let fused = loss.compute(var.as_tensor(), y).unwrap();
            let plain = reference(var.as_tensor(), y).unwrap();
            assert!((scalar(fused.clone()) - scalar(plain.clone())).abs() < 1e-5, "{loss:?} value");
            let gradient = |loss: &Tensor| {
                let grads = loss.backward().unwrap();
                grads.get(var.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap()
            };
            let (g1, g2) = (gradient(&fused), gradient(&plain));
            for (a, b) in g1.iter().zip(&g2) {
                assert!((a - b).abs() < 1e-5, "{loss:?} gradient: {g1:?} vs {g2:?}");
            }
        }
    }

    #[test]
    fn huber_is_quadratic_then_linear() {
        let p = Tensor::new(&[[0.5f32], [3.0]], &Device::Cpu).unwrap();
        let t = Tensor::zeros((2, 1), candle_core::DType::F32, &Device::Cpu).unwrap();
        let got = scalar(Loss::Huber { delta: 1.0 }.compute(&p, &t).unwrap());
        assert!((got - (0.125 + 2.5) / 2.0).abs() < 1e-6);
    }
}
