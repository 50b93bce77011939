//! The optimizer built-ins of stdlib/training.mlp: `adam`, `adamw` (decoupled weight decay) and
//! `sgd` with momentum. candle-nn 0.11 has only AdamW and momentum-free SGD, so all three live here
//! with one update rule each, written as tensor ops on the variables' own device.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

/// An optimizer and its hyperparameters, as resolved from the spec.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    Adam { lr: f64, beta1: f64, beta2: f64 },
    AdamW { lr: f64, weight_decay: f64 },
    Sgd { lr: f64, momentum: f64 },
}

const EPSILON: f64 = 1e-8;

/// An optimizer bound to the variables it updates, with its moment estimates.
pub struct Optimizer {
    kind: OptimizerKind,
    vars: Vec<Var>,
    /// First moments (Adam, AdamW) or velocities (SGD), one per variable.
    first: Vec<Tensor>,
    /// Second moments (Adam, AdamW).
    second: Vec<Tensor>,
    steps: i32,
}

impl Optimizer {
    pub fn new(kind: OptimizerKind, vars: Vec<Var>) -> Result<Self> {
        let first = vars.iter().map(|v| v.as_tensor().zeros_like()).collect::<Result<Vec<_>>>()?;
        let second = vars.iter().map(|v| v.as_tensor().zeros_like()).collect::<Result<Vec<_>>>()?;
        Ok(Optimizer { kind, vars, first, second, steps: 0 })
    }

    pub fn learning_rate(&self) -> f64 {
        match self.kind {
            OptimizerKind::Adam { lr, .. } | OptimizerKind::AdamW { lr, .. } | OptimizerKind::Sgd { lr, .. } => lr,
        }
    }

    /// One update of every variable that has a gradient in `grads`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.steps += 1;
        for i in 0..self.vars.len() {
            let Some(grad) = grads.get(self.vars[i].as_tensor()) else { continue };
            let grad = grad.clone();
            match self.kind {
                OptimizerKind::Adam { lr, beta1, beta2 } => self.adam(i, &grad, lr, beta1, beta2, 0.0)?,
                OptimizerKind::AdamW { lr, weight_decay } => self.adam(i, &grad, lr, 0.9, 0.999, weight_decay)?,
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
            OptimizerKind::AdamW { lr: 0.1, weight_decay: 0.0 },
            OptimizerKind::Sgd { lr: 0.1, momentum: 0.0 },
            OptimizerKind::Sgd { lr: 0.05, momentum: 0.9 },
        ] {
            let w = minimise(kind, 500);
            assert!((w - 3.0).abs() < 1e-2, "{kind:?} ended at {w}");
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
        let mut opt = Optimizer::new(OptimizerKind::AdamW { lr: 0.1, weight_decay: 0.5 }, vec![w.clone()]).unwrap();
        // (w - 1)² has a zero gradient at w = 1: only the decay moves the weight.
        let loss = (w.as_tensor() - 1.0).unwrap().sqr().unwrap().sum_all().unwrap();
        opt.step(&loss.backward().unwrap()).unwrap();
        assert!((w.as_tensor().to_vec1::<f32>().unwrap()[0] - 0.95).abs() < 1e-6);
    }
}
