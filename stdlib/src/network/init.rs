//! Initial weights of the `conv2d`, `conv1d` and `dense` layers, the residual blocks, the LSTMs'
//! input weights and the output head, drawn from our seeded [`Rng`] (never Candle's generator) so
//! that a seed gives the same network on every machine.
//!
//! `He` (normal, std √(2/fan_in)) suits ReLU and GELU; `Glorot` (uniform, ±√(6/(fan_in+fan_out)))
//! suits tanh and sigmoid.

use crate::rng::Rng;
use mlp_compiler::program::WeightInit;

/// `count` initial weights of a layer with this fan-in and fan-out (a convolution has more weights
/// than fan_in × fan_out), one draw each, in order.
pub(crate) fn sample(init: WeightInit, fan_in: usize, fan_out: usize, count: usize, rng: &mut Rng) -> Vec<f32> {
    match init {
        WeightInit::He => {
            let std = (2.0 / fan_in.max(1) as f64).sqrt();
            (0..count).map(|_| (rng.normal() * std) as f32).collect()
        }
        WeightInit::Glorot => {
            let limit = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
            (0..count).map(|_| ((rng.next_f64() * 2.0 - 1.0) * limit) as f32).collect()
        }
    }
}
