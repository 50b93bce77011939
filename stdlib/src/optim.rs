//! The optimizer built-ins of stdlib/training.mlp: `adam`, `adamw` (decoupled weight decay) and
//! `sgd` with momentum. candle-nn 0.11 has only AdamW and momentum-free SGD, so all three live here
//! with one update rule each. On the CPU the update is one fused pass over each variable's memory
//! (a Candle in-place op): as tensor ops, Adam costs a dozen allocations per variable and step,
//! which for the small networks of tabular data outweighs the arithmetic. On other devices it is
//! written as tensor ops on the variable's own device.

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, InplaceOp2, Layout, Result, Tensor, Var};
use mlp_compiler::program::Optimizer as OptimizerKind;
use std::sync::Mutex;

const EPSILON: f64 = 1e-8;

/// An optimizer bound to the variables it updates, with its moment estimates.
pub struct Optimizer {
    kind: OptimizerKind,
    vars: Vec<Var>,
    /// First moments (Adam, AdamW) or velocities (SGD), one per variable.
    first: Vec<Tensor>,
    /// Second moments (Adam, AdamW).
    second: Vec<Tensor>,
    /// The same moments in host memory, for variables updated by the fused CPU pass.
    host: Vec<Mutex<HostMoments>>,
    /// Whether CPU variables take the fused path (tests turn it off to compare the two).
    fused: bool,
    steps: i32,
}

#[derive(Default)]
struct HostMoments {
    first: Vec<f32>,
    second: Vec<f32>,
}

impl Optimizer {
    pub fn new(kind: OptimizerKind, vars: Vec<Var>) -> Result<Self> {
        let first = vars.iter().map(|v| v.as_tensor().zeros_like()).collect::<Result<Vec<_>>>()?;
        let second = vars.iter().map(|v| v.as_tensor().zeros_like()).collect::<Result<Vec<_>>>()?;
        let host = vars.iter().map(|_| Mutex::new(HostMoments::default())).collect();
        Ok(Optimizer { kind, vars, first, second, host, fused: true, steps: 0 })
    }

    pub fn learning_rate(&self) -> f64 {
        match self.kind {
            OptimizerKind::Adam { lr, .. } | OptimizerKind::Adamw { lr, .. } | OptimizerKind::Sgd { lr, .. } => lr,
        }
    }

    /// One update of every variable that has a gradient in `grads`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.steps += 1;
        for i in 0..self.vars.len() {
            let Some(grad) = grads.get(self.vars[i].as_tensor()) else { continue };
            let grad = grad.clone();
            let var = self.vars[i].as_tensor();
            if self.fused && var.device().is_cpu() && var.dtype() == candle_core::DType::F32 {
                let fused = FusedStep { kind: self.kind, steps: self.steps, moments: &self.host[i] };
                var.inplace_op2(&grad, &fused)?;
                continue;
            }
            match self.kind {
                OptimizerKind::Adam { lr, beta1, beta2 } => self.adam(i, &grad, lr, beta1, beta2, 0.0)?,
                OptimizerKind::Adamw { lr, weight_decay } => self.adam(i, &grad, lr, 0.9, 0.999, weight_decay)?,
                OptimizerKind::Sgd { lr, momentum } => self.sgd(i, &grad, lr, momentum)?,
            }
        }
        Ok(())
    }

    /// Adam with bias correction; `weight_decay > 0` decays the weights directly (AdamW), which
    /// unlike an L2 term is not rescaled by the adaptive step.
    fn adam(&mut self, i: usize, grad: &Tensor, lr: f64, beta1: f64, beta2: f64, weight_decay: f64) -> Result<()> {
        let m = ((&self.first[i] * beta1)? + (grad * (1.0 - beta1))?)?;
        let v = ((&self.second[i] * beta2)? + (grad.sqr()? * (1.0 - beta2))?)?;
        let m_hat_scale = 1.0 / (1.0 - beta1.powi(self.steps));
        let v_hat_scale = 1.0 / (1.0 - beta2.powi(self.steps));
        let denominator = ((&v * v_hat_scale)?.sqrt()? + EPSILON)?;
        let update = ((&m * (lr * m_hat_scale))? / denominator)?;
        let var = &self.vars[i];
        let decayed =
            if weight_decay > 0.0 { (var.as_tensor() * (1.0 - lr * weight_decay))? } else { var.as_tensor().clone() };
        var.set(&(decayed - update)?)?;
        self.first[i] = m;
        self.second[i] = v;
        Ok(())
    }

    /// SGD with classical (heavy-ball) momentum: `v ← μ·v + g; w ← w - lr·v`.
    fn sgd(&mut self, i: usize, grad: &Tensor, lr: f64, momentum: f64) -> Result<()> {
        let velocity = if momentum > 0.0 { ((&self.first[i] * momentum)? + grad)? } else { grad.clone() };
        let var = &self.vars[i];
        var.set(&(var.as_tensor() - (&velocity * lr)?)?)?;
        self.first[i] = velocity;
        Ok(())
    }
}

/// One optimizer step over a variable's memory, in place: the CPU path of [`Optimizer::step`].
/// The arithmetic is the same as the tensor-op path's, element by element.
struct FusedStep<'a> {
    kind: OptimizerKind,
    steps: i32,
    moments: &'a Mutex<HostMoments>,
}

impl InplaceOp2 for FusedStep<'_> {
    fn name(&self) -> &'static str {
        "optimizer-step"
    }

    fn cpu_fwd(&self, weights: &mut CpuStorage, wl: &Layout, grads: &CpuStorage, gl: &Layout) -> Result<()> {
        let (CpuStorage::F32(w), CpuStorage::F32(g)) = (weights, grads) else {
            return Err(candle_core::Error::Msg("the fused optimizer step needs f32 tensors".into()));
        };
        let (Some((w0, w1)), Some((g0, g1))) = (wl.contiguous_offsets(), gl.contiguous_offsets()) else {
            return Err(candle_core::Error::Msg("the fused optimizer step needs contiguous tensors".into()));
        };
        let (w, g) = (&mut w[w0..w1], &g[g0..g1]);
        if w.len() != g.len() {
            return Err(candle_core::Error::Msg("a gradient's size differs from its variable's".into()));
        }
        let mut moments =
            self.moments.lock().map_err(|_| candle_core::Error::Msg("optimizer state poisoned".into()))?;
        if moments.first.len() != w.len() {
            moments.first = vec![0.0; w.len()];
            moments.second = vec![0.0; w.len()];
        }
        let HostMoments { first, second } = &mut *moments;
        match self.kind {
            OptimizerKind::Adam { lr, beta1, beta2 } => {
                adam_in_place(w, g, first, second, lr, beta1, beta2, 0.0, self.steps)
            }
            OptimizerKind::Adamw { lr, weight_decay } => {
                adam_in_place(w, g, first, second, lr, 0.9, 0.999, weight_decay, self.steps)
            }
            OptimizerKind::Sgd { lr, momentum } => {
                for ((w, &g), v) in w.iter_mut().zip(g).zip(first.iter_mut()) {
                    let velocity = if momentum > 0.0 { momentum as f32 * *v + g } else { g };
                    *v = velocity;
                    *w -= lr as f32 * velocity;
                }
            }
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn adam_in_place(
    w: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    lr: f64,
    beta1: f64,
    beta2: f64,
    weight_decay: f64,
    steps: i32,
) {
    let m_scale = (lr / (1.0 - beta1.powi(steps))) as f32;
    let v_scale = (1.0 / (1.0 - beta2.powi(steps))) as f32;
    let decay = (1.0 - lr * weight_decay) as f32;
    let (b1, b2) = (beta1 as f32, beta2 as f32);
    for (((w, &g), m), v) in w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = b1 * *m + (1.0 - b1) * g;
        *v = b2 * *v + (1.0 - b2) * g * g;
        let update = *m * m_scale / ((*v * v_scale).sqrt() + EPSILON as f32);
        *w = *w * decay - update;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Minimises (w - 3)² and returns w after `steps` updates.
    fn minimise(kind: OptimizerKind, steps: usize) -> f32 {
        let w = Var::new(&[0.0f32], &Device::Cpu).unwrap();
        let mut opt = Optimizer::new(kind, vec![w.clone()]).unwrap();
        for _ in 0..steps {
            let loss = (w.as_tensor() - 3.0).unwrap().sqr().unwrap().sum_all().unwrap();
            opt.step(&loss.backward().unwrap()).unwrap();
        }
        w.as_tensor().to_vec1::<f32>().unwrap()[0]
    }

    #[test]
    fn every_optimizer_converges_on_a_quadratic() {
        for kind in [
            OptimizerKind::Adam { lr: 0.1, beta1: 0.9, beta2: 0.999 },
            OptimizerKind::Adamw { lr: 0.1, weight_decay: 0.0 },
            OptimizerKind::Sgd { lr: 0.1, momentum: 0.0 },
            OptimizerKind::Sgd { lr: 0.05, momentum: 0.9 },
        ] {
            let w = minimise(kind, 500);
            assert!((w - 3.0).abs() < 1e-2, "{kind:?} ended at {w}");
        }
    }

    /// The fused CPU pass and the tensor-op path compute the same updates.
    #[test]
    fn fused_and_tensor_updates_agree() {
        for kind in [
            OptimizerKind::Adam { lr: 0.05, beta1: 0.9, beta2: 0.99 },
            OptimizerKind::Adamw { lr: 0.05, weight_decay: 0.1 },
            OptimizerKind::Sgd { lr: 0.05, momentum: 0.9 },
        ] {
            let run = |fused: bool| {
                let w = Var::new(&[[0.5f32, -1.0, 2.0], [0.1, 0.2, -0.3]], &Device::Cpu).unwrap();
                let mut opt = Optimizer::new(kind, vec![w.clone()]).unwrap();
                opt.fused = fused;
                for _ in 0..20 {
                    let loss = (w.as_tensor() - 1.0).unwrap().sqr().unwrap().sum_all().unwrap();
                    opt.step(&loss.backward().unwrap()).unwrap();
                }
                w.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap()
            };
            let (fused, ops) = (run(true), run(false));
            for (a, b) in fused.iter().zip(&ops) {
                assert!((a - b).abs() < 1e-5, "{kind:?}: fused {fused:?} vs tensor ops {ops:?}");
            }
        }
    }

    #[test]
    fn the_first_adam_step_moves_by_the_learning_rate() {
        // Bias correction makes the first step exactly lr·sign(g), whatever the gradient's size.
        let w = minimise(OptimizerKind::Adam { lr: 0.01, beta1: 0.9, beta2: 0.999 }, 1);
        assert!((w - 0.01).abs() < 1e-6, "{w}");
    }

    #[test]
    fn adamw_decays_weights_without_a_gradient_term() {
        let w = Var::new(&[1.0f32], &Device::Cpu).unwrap();
        let mut opt = Optimizer::new(OptimizerKind::Adamw { lr: 0.1, weight_decay: 0.5 }, vec![w.clone()]).unwrap();
        // (w - 1)² has a zero gradient at w = 1: only the decay moves the weight.
        let loss = (w.as_tensor() - 1.0).unwrap().sqr().unwrap().sum_all().unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        assert!((w.as_tensor().to_vec1::<f32>().unwrap()[0] - 0.95).abs() < 1e-6);
    }
}
