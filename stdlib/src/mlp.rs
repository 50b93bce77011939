//! The `mlp` model built-in of stdlib/models.mlp: dense layers with an activation, optional batch
//! norm and dropout between them, and a linear output head.
//!
//! Hidden block order: dense → batch norm → activation → dropout. Initial weights and dropout
//! masks come from the seeded [`Rng`], never from Candle's thread-local generator, so a seed gives
//! the same network and the same training run on every machine. The caller picks the mode:
//! [`Mlp::forward_train`] uses dropout and batch statistics (and updates the running ones),
//! [`Mlp::forward`] is the deterministic evaluation pass.

use crate::rng::Rng;
use candle_core::{DType, Device, Result, Tensor, Var};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
}

impl Activation {
    pub fn from_name(name: &str) -> Option<Activation> {
        match name {
            "relu" => Some(Activation::Relu),
            "tanh" => Some(Activation::Tanh),
            "sigmoid" => Some(Activation::Sigmoid),
            "gelu" => Some(Activation::Gelu),
            _ => None,
        }
    }

    pub(crate) fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => sigmoid(x),
            Activation::Gelu => x.gelu_erf(),
        }
    }
}

/// Written out rather than candle_nn::ops::sigmoid so the backward pass is plain ops.
pub(crate) fn sigmoid(x: &Tensor) -> Result<Tensor> {
    (x.neg()?.exp()? + 1.0)?.recip()
}

impl Activation {}

/// Weight initialisation: `He` (normal, std √(2/fan_in)) suits ReLU and GELU; `Glorot` (uniform,
/// ±√(6/(fan_in+fan_out))) suits tanh and sigmoid. `auto` in a spec picks by activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    He,
    Glorot,
}

impl Init {
    pub fn resolve(name: &str, activation: Activation) -> Init {
        match (name, activation) {
            ("he", _) => Init::He,
            ("glorot", _) => Init::Glorot,
            (_, Activation::Relu | Activation::Gelu) => Init::He,
            _ => Init::Glorot,
        }
    }

    /// `count` initial weights of a layer with this fan-in and fan-out (a convolution has more
    /// weights than fan_in × fan_out), from our seeded generator.
    pub(crate) fn sample(self, fan_in: usize, fan_out: usize, count: usize, rng: &mut Rng) -> Vec<f32> {
        match self {
            Init::He => {
                let std = (2.0 / fan_in.max(1) as f64).sqrt();
                (0..count).map(|_| (rng.normal() * std) as f32).collect()
            }
            Init::Glorot => {
                let limit = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
                (0..count).map(|_| ((rng.next_f64() * 2.0 - 1.0) * limit) as f32).collect()
            }
        }
    }
}

/// The architecture and regularisation of one MLP.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpSpec {
    pub inputs: usize,
    pub hidden: Vec<usize>,
    pub outputs: usize,
    pub activation: Activation,
    pub init: Init,
    /// Probability of zeroing a hidden unit during training.
    pub dropout: f64,
    pub batch_norm: bool,
}

struct Dense {
    weight: Var,
    bias: Var,
}

impl Dense {
    fn new(fan_in: usize, fan_out: usize, init: Init, rng: &mut Rng, device: &Device) -> Result<Self> {
        let weight = Tensor::from_vec(init.sample(fan_in, fan_out, fan_in * fan_out, rng), (fan_in, fan_out), device)?;
        Ok(Dense { weight: Var::from_tensor(&weight)?, bias: Var::zeros(fan_out, DType::F32, device)? })
    }

    /// `x` is in the compute precision; the f32 weights are cast to it (a cast with a backward
    /// pass, so the gradients reach the f32 master weights).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        x.matmul(&self.weight.as_tensor().to_dtype(dtype)?)?.broadcast_add(&self.bias.as_tensor().to_dtype(dtype)?)
    }
}

/// Batch normalisation over the batch dimension with a learned scale and shift.
struct BatchNorm {
    gamma: Var,
    beta: Var,
    running_mean: Tensor,
    running_var: Tensor,
}

const BATCH_NORM_EPSILON: f64 = 1e-5;
/// Weight of the newest batch in the running statistics (PyTorch's default).
const BATCH_NORM_MOMENTUM: f64 = 0.1;

impl BatchNorm {
    fn new(width: usize, device: &Device) -> Result<Self> {
        Ok(BatchNorm {
            gamma: Var::ones(width, DType::F32, device)?,
            beta: Var::zeros(width, DType::F32, device)?,
            running_mean: Tensor::zeros(width, DType::F32, device)?,
            running_var: Tensor::ones(width, DType::F32, device)?,
        })
    }

    /// Batch statistics are computed in f32 whatever the compute precision: a variance in bf16
    /// loses most of its digits.
    fn forward_train(&mut self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        let x = &x.to_dtype(DType::F32)?;
        let rows = x.dim(0)?;
        let mean = x.mean_keepdim(0)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(0)?;
        let unbiased = if rows > 1 { (&var * (rows as f64 / (rows - 1) as f64))? } else { var.clone() };
        let m = BATCH_NORM_MOMENTUM;
        self.running_mean = ((&self.running_mean * (1.0 - m))? + (mean.squeeze(0)?.detach() * m)?)?;
        self.running_var = ((&self.running_var * (1.0 - m))? + (unbiased.squeeze(0)?.detach() * m)?)?;
        let normalised = centred.broadcast_div(&(var + BATCH_NORM_EPSILON)?.sqrt()?)?;
        self.scale_shift(&normalised)?.to_dtype(dtype)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        let x = x.to_dtype(DType::F32)?;
        let normalised =
            x.broadcast_sub(&self.running_mean)?.broadcast_div(&(&self.running_var + BATCH_NORM_EPSILON)?.sqrt()?)?;
        self.scale_shift(&normalised)?.to_dtype(dtype)
    }

    fn scale_shift(&self, x: &Tensor) -> Result<Tensor> {
        x.broadcast_mul(self.gamma.as_tensor())?.broadcast_add(self.beta.as_tensor())
    }
}

/// A multi-layer perceptron with its trainable variables.
pub struct Mlp {
    spec: MlpSpec,
    hidden: Vec<Dense>,
    norms: Vec<BatchNorm>,
    head: Dense,
    /// The precision of the passes (f32, or bf16/f16 for mixed precision); weights stay f32.
    compute: DType,
}

impl Mlp {
    pub fn new(spec: MlpSpec, rng: &mut Rng, device: &Device) -> Result<Self> {
        let mut hidden = Vec::new();
        let mut norms = Vec::new();
        let mut width = spec.inputs;
        for &units in &spec.hidden {
            hidden.push(Dense::new(width, units, spec.init, rng, device)?);
            if spec.batch_norm {
                norms.push(BatchNorm::new(units, device)?);
            }
            width = units;
        }
        // The head is linear (its loss applies the sigmoid or softmax): Glorot keeps its logits
        // near zero at the start whatever the hidden activation.
        let head = Dense::new(width, spec.outputs, Init::Glorot, rng, device)?;
        Ok(Mlp { spec, hidden, norms, head, compute: DType::F32 })
    }

    pub fn spec(&self) -> &MlpSpec {
        &self.spec
    }

    /// Runs the forward and backward passes in `dtype` (mixed precision): inputs and weights are
    /// cast on the way in, the logits come back in f32 for a stable loss.
    pub fn set_compute_dtype(&mut self, dtype: DType) {
        self.compute = dtype;
    }

    /// Evaluation pass: no dropout, batch norm with running statistics.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.to_dtype(self.compute)?;
        for (i, layer) in self.hidden.iter().enumerate() {
            h = layer.forward(&h)?;
            if let Some(norm) = self.norms.get(i) {
                h = norm.forward(&h)?;
            }
            h = self.spec.activation.apply(&h)?;
        }
        self.head.forward(&h)?.to_dtype(DType::F32)
    }

    /// Training pass: dropout masks from `rng`, batch norm with batch statistics.
    pub fn forward_train(&mut self, x: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        let mut h = x.to_dtype(self.compute)?;
        for i in 0..self.hidden.len() {
            h = self.hidden[i].forward(&h)?;
            if let Some(norm) = self.norms.get_mut(i) {
                h = norm.forward_train(&h)?;
            }
            h = self.spec.activation.apply(&h)?;
            if self.spec.dropout > 0.0 {
                h = dropout(&h, self.spec.dropout, rng)?;
            }
        }
        self.head.forward(&h)?.to_dtype(DType::F32)
    }

    /// Every trainable variable.
    pub fn vars(&self) -> Vec<Var> {
        let mut vars = Vec::new();
        for layer in self.hidden.iter().chain(std::iter::once(&self.head)) {
            vars.push(layer.weight.clone());
            vars.push(layer.bias.clone());
        }
        for norm in &self.norms {
            vars.push(norm.gamma.clone());
            vars.push(norm.beta.clone());
        }
        vars
    }

    /// The weight matrices, which L1 and L2 penalties apply to (biases and norms are exempt).
    pub fn weights(&self) -> Vec<Var> {
        self.hidden.iter().chain(std::iter::once(&self.head)).map(|l| l.weight.clone()).collect()
    }

    /// Every tensor needed to predict, by a stable name, for saving as safetensors.
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, layer) in self.hidden.iter().enumerate() {
            out.push((format!("hidden.{i}.weight"), layer.weight.as_tensor().clone()));
            out.push((format!("hidden.{i}.bias"), layer.bias.as_tensor().clone()));
        }
        for (i, norm) in self.norms.iter().enumerate() {
            out.push((format!("norm.{i}.gamma"), norm.gamma.as_tensor().clone()));
            out.push((format!("norm.{i}.beta"), norm.beta.as_tensor().clone()));
            out.push((format!("norm.{i}.running_mean"), norm.running_mean.clone()));
            out.push((format!("norm.{i}.running_var"), norm.running_var.clone()));
        }
        out.push(("head.weight".into(), self.head.weight.as_tensor().clone()));
        out.push(("head.bias".into(), self.head.bias.as_tensor().clone()));
        out
    }

    /// Copies every tensor of `other` (same spec) into this network: restores the best epoch.
    pub fn load_from(&mut self, saved: &[(String, Tensor)]) -> Result<()> {
        let get = |name: &str| -> Result<Tensor> {
            saved
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.clone())
                .ok_or_else(|| candle_core::Error::Msg(format!("no saved tensor `{name}`")))
        };
        for (i, layer) in self.hidden.iter().enumerate() {
            layer.weight.set(&get(&format!("hidden.{i}.weight"))?)?;
            layer.bias.set(&get(&format!("hidden.{i}.bias"))?)?;
        }
        for (i, norm) in self.norms.iter_mut().enumerate() {
            norm.gamma.set(&get(&format!("norm.{i}.gamma"))?)?;
            norm.beta.set(&get(&format!("norm.{i}.beta"))?)?;
            norm.running_mean = get(&format!("norm.{i}.running_mean"))?;
            norm.running_var = get(&format!("norm.{i}.running_var"))?;
        }
        self.head.weight.set(&get("head.weight")?)?;
        self.head.bias.set(&get("head.bias")?)
    }

    /// A deep copy of every tensor (not sharing storage with the live variables).
    pub fn snapshot(&self) -> Result<Vec<(String, Tensor)>> {
        self.named_tensors().into_iter().map(|(n, t)| Ok((n, t.copy()?))).collect()
    }
}

/// Inverted dropout: zero each unit with probability `rate`, scale the rest by 1/(1-rate) so the
/// evaluation pass needs no rescaling.
pub(crate) fn dropout(x: &Tensor, rate: f64, rng: &mut Rng) -> Result<Tensor> {
    if rate <= 0.0 {
        return Ok(x.clone());
    }
    let keep = 1.0 - rate;
    let scale = (1.0 / keep) as f32;
    let mask: Vec<f32> = (0..x.elem_count()).map(|_| if rng.next_f64() < keep { scale } else { 0.0 }).collect();
    x * Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::Loss;

    fn spec(batch_norm: bool, dropout: f64, activation: Activation) -> MlpSpec {
        MlpSpec {
            inputs: 5,
            hidden: vec![8, 4],
            outputs: 3,
            activation,
            init: Init::resolve("auto", activation),
            dropout,
            batch_norm,
        }
    }

    fn batch(rng: &mut Rng) -> (Tensor, Tensor) {
        let x: Vec<f32> = (0..40).map(|_| rng.normal() as f32).collect();
        let x = Tensor::from_vec(x, (8, 5), &Device::Cpu).unwrap();
        let y = Tensor::new(&[0u32, 1, 2, 0, 1, 2, 0, 1], &Device::Cpu).unwrap();
        (x, y)
    }

    /// After one training step every trainable variable has a finite, non-zero gradient: the
    /// check that catches ops without a backward pass (which silently train nothing).
    #[test]
    fn every_variable_gets_a_gradient_for_every_layer_kind() {
        for activation in [Activation::Relu, Activation::Tanh, Activation::Sigmoid, Activation::Gelu] {
            for (batch_norm, rate) in [(false, 0.0), (true, 0.0), (false, 0.3), (true, 0.3)] {
                let mut rng = Rng::new(3);
                let mut mlp = Mlp::new(spec(batch_norm, rate, activation), &mut rng, &Device::Cpu).unwrap();
                let (x, y) = batch(&mut rng);
                let loss = Loss::CrossEntropy.compute(&mlp.forward_train(&x, &mut rng).unwrap(), &y).unwrap();
                let grads = loss.backward().unwrap();
                for (i, var) in mlp.vars().iter().enumerate() {
                    let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("var {i}: no gradient"));
                    let values = g.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                    let what = format!("{activation:?} batch_norm={batch_norm} dropout={rate} var {i}");
                    assert!(!values.is_empty(), "{what}: empty gradient");
                    assert!(values.iter().all(|v| v.is_finite()), "{what}: non-finite gradient");
                    assert!(values.iter().any(|v| *v != 0.0), "{what}: all-zero gradient");
                }
            }
        }
    }

    /// Mixed precision: bf16 and f16 passes give logits close to f32's, and gradients in f32
    /// reach the master weights.
    #[test]
    fn reduced_precision_passes_track_f32() {
        for dtype in [DType::BF16, DType::F16] {
            let mut rng = Rng::new(9);
            let mut mlp = Mlp::new(spec(true, 0.0, Activation::Relu), &mut rng, &Device::Cpu).unwrap();
            let (x, y) = batch(&mut rng);
            let exact = mlp.forward(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            mlp.set_compute_dtype(dtype);
            let out = mlp.forward(&x).unwrap();
            assert_eq!(out.dtype(), DType::F32);
            let reduced = out.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            for (a, b) in exact.iter().zip(&reduced) {
                assert!((a - b).abs() < 0.05 * (1.0 + a.abs()), "{dtype:?}: {a} vs {b}");
            }
            let loss = Loss::CrossEntropy.compute(&mlp.forward_train(&x, &mut rng).unwrap(), &y).unwrap();
            let grads = loss.backward().unwrap();
            for var in mlp.vars() {
                let g = grads.get(var.as_tensor()).expect("a gradient for every variable");
                assert_eq!(g.dtype(), DType::F32);
            }
        }
    }

    #[test]
    fn the_same_seed_builds_the_same_network() {
        let build = || {
            let mut rng = Rng::new(11);
            let mlp = Mlp::new(spec(false, 0.0, Activation::Relu), &mut rng, &Device::Cpu).unwrap();
            mlp.named_tensors()[0].1.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        };
        assert_eq!(build(), build());
    }

    #[test]
    fn evaluation_is_deterministic_and_snapshots_restore() {
        let mut rng = Rng::new(5);
        let mut mlp = Mlp::new(spec(true, 0.5, Activation::Tanh), &mut rng, &Device::Cpu).unwrap();
        let (x, _) = batch(&mut rng);
        let saved = mlp.snapshot().unwrap();
        let before = mlp.forward(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        mlp.forward_train(&x, &mut rng).unwrap();
        for var in mlp.vars() {
            var.set(&(var.as_tensor() * 2.0).unwrap()).unwrap();
        }
        mlp.load_from(&saved).unwrap();
        let after = mlp.forward(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(before, after);
    }
}
