//! The loss built-ins of stdlib/training.mlp, written from numerically stable primitives so that
//! large logits never overflow (`bce` on logits, `cross_entropy` through log-softmax) and every
//! op has a backward pass (candle-nn's fused softmax has none).

use candle_core::{D, Result, Tensor};

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
        match self {
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

    #[test]
    fn huber_is_quadratic_then_linear() {
        let p = Tensor::new(&[[0.5f32], [3.0]], &Device::Cpu).unwrap();
        let t = Tensor::zeros((2, 1), candle_core::DType::F32, &Device::Cpu).unwrap();
        let got = scalar(Loss::Huber { delta: 1.0 }.compute(&p, &t).unwrap());
        assert!((got - (0.125 + 2.5) / 2.0).abs() < 1e-6);
    }
}
