//! Augmented training batches. With `augment` on a dataset, each training batch is gathered on
//! the host, augmented (stdlib's `augment`) and uploaded; batches are prepared a group at a time
//! in parallel on rayon workers. Each batch draws from its own generator, seeded by the model's
//! seed, the epoch and the batch's position, so the result does not depend on thread timing.

use crate::train::network::NetworkInput;
use mlp_compiler::program::Augmentation;
use mlp_stdlib::Matrix;
use mlp_stdlib::augment::augment;
use mlp_stdlib::rng::Rng;
use rayon::prelude::*;
use std::collections::VecDeque;

/// Batches prepared per parallel round: enough to keep the workers busy, few enough to bound the
/// memory held ahead of the training step.
const GROUP: usize = 16;

pub struct Augmenter {
    ops: Vec<Augmentation>,
    shape: [usize; 3],
    seed: u64,
}

impl Augmenter {
    /// `None` when there is nothing to augment: no augmentations, or an input that is not an image.
    pub fn new(ops: &[Augmentation], input: &NetworkInput, seed: u64) -> Option<Augmenter> {
        match (ops.is_empty(), input.shape.as_slice()) {
            (false, &[c, h, w]) => Some(Augmenter { ops: ops.to_vec(), shape: [c, h, w], seed }),
            _ => None,
        }
    }

    /// The augmented rows of each batch of one epoch, in batch order.
    pub fn epoch<'a>(&'a self, x: &'a Matrix, batches: &'a [&'a [u32]], epoch: usize) -> EpochBatches<'a> {
        EpochBatches { augmenter: self, x, batches, epoch, next: 0, ready: VecDeque::new() }
    }

    fn batch(&self, x: &Matrix, rows: &[u32], epoch: usize, index: usize) -> Vec<f32> {
        let mut data = Vec::with_capacity(rows.len() * x.cols);
        for &r in rows {
            data.extend(x.row(r as usize).iter().map(|&v| v as f32));
        }
        let mix =
            (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut rng = Rng::new(self.seed ^ mix);
        augment(&mut data, self.shape, &self.ops, &mut rng);
        data
    }
}

pub struct EpochBatches<'a> {
    augmenter: &'a Augmenter,
    x: &'a Matrix,
    batches: &'a [&'a [u32]],
    epoch: usize,
    next: usize,
    ready: VecDeque<Vec<f32>>,
}

impl Iterator for EpochBatches<'_> {
    type Item = Vec<f32>;

    fn next(&mut self) -> Option<Vec<f32>> {
        if self.ready.is_empty() && self.next < self.batches.len() {
            let end = (self.next + GROUP).min(self.batches.len());
            let group: Vec<Vec<f32>> = (self.next..end)
                .into_par_iter()
                .map(|i| self.augmenter.batch(self.x, self.batches[i], self.epoch, i))
                .collect();
            self.ready.extend(group);
            self.next = end;
        }
        self.ready.pop_front()
    }
}
