//! Dynamic loss scaling for f16 training. f16 gradients of a small loss underflow to zero: the
//! loss is multiplied by a large scale before the backward pass and the gradients divided by it
//! afterwards. A step whose gradients overflowed is skipped and the scale halved; after a run of
//! good steps the scale doubles again. bf16 has f32's exponent range and needs none of this.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use mlp_compiler::program::Precision;

const INITIAL_SCALE: f64 = 65536.0;
/// Good steps before the scale doubles (PyTorch's GradScaler uses the same interval).
const GROWTH_INTERVAL: usize = 2000;

pub struct LossScale {
    /// `None` outside f16: the backward pass is the plain one.
    scale: Option<f64>,
    good_steps: usize,
    /// Steps skipped because their gradients overflowed, for the record.
    pub skipped: usize,
}

impl LossScale {
    pub fn new(precision: Precision) -> LossScale {
        LossScale { scale: (precision == Precision::F16).then_some(INITIAL_SCALE), good_steps: 0, skipped: 0 }
    }

    /// The gradients of `loss` for `vars`, unscaled; `None` when this step must be skipped.
    pub fn backward(&mut self, loss: &Tensor, vars: &[Var]) -> Result<Option<GradStore>> {
        let Some(scale) = self.scale else { return loss.backward().map(Some) };
        let mut grads = (loss * scale)?.backward()?;
        let mut norm: Option<Tensor> = None;
        for var in vars {
            if let Some(g) = grads.remove(var.as_tensor()) {
                let g = (g / scale)?;
                let sq = g.sqr()?.sum_all()?;
                norm = Some(match norm {
                    Some(n) => (n + sq)?,
                    None => sq,
                });
                grads.insert(var.as_tensor(), g);
            }
        }
        let finite = match norm {
            Some(n) => n.to_dtype(candle_core::DType::F32)?.to_scalar::<f32>()?.is_finite(),
            None => true,
        };
        if !finite {
            self.scale = Some((scale / 2.0).max(1.0));
            self.good_steps = 0;
            self.skipped += 1;
            return Ok(None);
        }
        self.good_steps += 1;
        if self.good_steps >= GROWTH_INTERVAL {
            self.scale = Some(scale * 2.0);
            self.good_steps = 0;
        }
        Ok(Some(grads))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn scaled_gradients_equal_plain_ones_and_overflow_skips_the_step() {
        let w = Var::new(&[0.5f32, -2.0], &Device::Cpu).unwrap();
        let loss = w.as_tensor().sqr().unwrap().sum_all().unwrap();
        let plain = LossScale::new(Precision::F32).backward(&loss, std::slice::from_ref(&w)).unwrap().unwrap();
        let mut scaler = LossScale::new(Precision::F16);
        let scaled = scaler.backward(&loss, std::slice::from_ref(&w)).unwrap().unwrap();
        let values = |g: &GradStore| g.get(w.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(values(&plain), values(&scaled));

        let huge = (w.as_tensor() * 1e35).unwrap().sqr().unwrap().sum_all().unwrap();
        assert!(scaler.backward(&huge, std::slice::from_ref(&w)).unwrap().is_none());
        assert_eq!(scaler.skipped, 1);
        assert_eq!(scaler.scale, Some(INITIAL_SCALE / 2.0));
    }
}
