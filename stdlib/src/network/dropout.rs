//! Inverted dropout with masks from our seeded [`Rng`], never from Candle's generator, so that a
//! seed gives the same training run on every machine.

use crate::rng::Rng;
use candle_core::{Result, Tensor};

/// Zeroes each unit with probability `rate` and scales the rest by 1/(1-rate), so the evaluation
/// pass needs no rescaling. Draws one number per element, in the tensor's order.
pub(crate) fn dropout(x: &Tensor, rate: f64, rng: &mut Rng) -> Result<Tensor> {
    if rate <= 0.0 {
        return Ok(x.clone());
    }
    let keep = 1.0 - rate;
    let scale = (1.0 / keep) as f32;
    let mask: Vec<f32> = (0..x.elem_count()).map(|_| if rng.next_f64() < keep { scale } else { 0.0 }).collect();
    x * Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?
}
