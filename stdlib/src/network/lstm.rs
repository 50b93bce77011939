//! An LSTM layer written from matrix products, so that its backward pass is Candle's own and it
//! runs wherever matmul does. Gates in the order input, forget, cell, output:
//!
//! ```text
//! [i f g o] = x_t · W_ih + h_{t-1} · W_hh + b
//! c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
//! h_t = σ(o) ⊙ tanh(c_t)
//! ```
//!
//! `W_ih` is Glorot uniform, each gate's block of `W_hh` an orthogonal matrix (Gram–Schmidt on
//! normal draws from our generator), and the forget-gate bias starts at 1 so that early training
//! remembers rather than forgets.

use super::activation::sigmoid;
use super::init;
use super::param::{Param, Role, cast, param, var_from};
use crate::rng::Rng;
use candle_core::{Device, Result, Tensor, Var};
use mlp_compiler::program::WeightInit;

pub(crate) struct Lstm {
    pub w_ih: Var,
    pub w_hh: Var,
    pub bias: Var,
    pub hidden: usize,
    /// Whether the layer returns every step's hidden state (`[batch, steps, hidden]`, when its
    /// spec's output is a sequence because another LSTM layer reads it) or the last one
    /// (`[batch, hidden]`).
    pub sequences: bool,
}

impl Lstm {
    pub fn new(features: usize, hidden: usize, sequences: bool, rng: &mut Rng, device: &Device) -> Result<Self> {
        let gates = 4 * hidden;
        let w_ih = var_from(
            init::sample(WeightInit::Glorot, features, gates, features * gates, rng),
            &[features, gates],
            device,
        )?;
        // [hidden, 4·hidden]: column block k holds gate k's orthogonal matrix.
        let blocks: Vec<Vec<f64>> = (0..4).map(|_| orthogonal(hidden, rng)).collect();
        let mut recurrent = vec![0f32; hidden * gates];
        for (k, block) in blocks.iter().enumerate() {
            for r in 0..hidden {
                for c in 0..hidden {
                    recurrent[r * gates + k * hidden + c] = block[r * hidden + c] as f32;
                }
            }
        }
        let w_hh = var_from(recurrent, &[hidden, gates], device)?;
        let mut bias = vec![0f32; gates];
        bias[hidden..2 * hidden].fill(1.0);
        let bias = var_from(bias, &[gates], device)?;
        Ok(Lstm { w_ih, w_hh, bias, hidden, sequences })
    }

    /// `[batch, steps, features]` → `[batch, hidden]`, or `[batch, steps, hidden]` for sequences.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (batch, steps, features) = x.dims3()?;
        let dtype = x.dtype();
        let n = self.hidden;
        let w_hh = cast(&self.w_hh, dtype)?;
        // The input projection of every step at once: one large matmul instead of `steps` small ones.
        let projected = x
            .reshape((batch * steps, features))?
            .matmul(&cast(&self.w_ih, dtype)?)?
            .broadcast_add(&cast(&self.bias, dtype)?)?
            .reshape((batch, steps, 4 * n))?;
        let mut h = Tensor::zeros((batch, n), dtype, x.device())?;
        let mut c = h.clone();
        let mut outputs = Vec::with_capacity(if self.sequences { steps } else { 0 });
        for t in 0..steps {
            let gates = (projected.narrow(1, t, 1)?.squeeze(1)? + h.matmul(&w_hh)?)?;
            let i = sigmoid(&gates.narrow(1, 0, n)?)?;
            let f = sigmoid(&gates.narrow(1, n, n)?)?;
            let g = gates.narrow(1, 2 * n, n)?.tanh()?;
            let o = sigmoid(&gates.narrow(1, 3 * n, n)?)?;
            c = ((f * &c)? + (i * g)?)?;
            h = (o * c.tanh()?)?;
            if self.sequences {
                outputs.push(h.clone());
            }
        }
        if self.sequences { Tensor::stack(&outputs, 1) } else { Ok(h) }
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        vec![
            param(prefix, "w_ih", &self.w_ih, Role::Weight),
            param(prefix, "w_hh", &self.w_hh, Role::Weight),
            param(prefix, "bias", &self.bias, Role::Other),
        ]
    }
}

/// An `n × n` orthogonal matrix, row-major: modified Gram–Schmidt on the columns of a standard
/// normal matrix. A column that comes out degenerate (probability zero) is redrawn.
fn orthogonal(n: usize, rng: &mut Rng) -> Vec<f64> {
    let mut columns: Vec<Vec<f64>> = Vec::with_capacity(n);
    while columns.len() < n {
        let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        for q in &columns {
            let dot: f64 = v.iter().zip(q).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(q).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            columns.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    let mut out = vec![0.0; n * n];
    for (c, column) in columns.iter().enumerate() {
        for (r, value) in column.iter().enumerate() {
            out[r * n + c] = *value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_matrices_are_orthogonal() {
        let n = 7;
        let q = orthogonal(n, &mut Rng::new(1));
        for a in 0..n {
            for b in 0..n {
                let dot: f64 = (0..n).map(|r| q[r * n + a] * q[r * n + b]).sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-9, "columns {a} and {b}: {dot}");
            }
        }
    }
}
