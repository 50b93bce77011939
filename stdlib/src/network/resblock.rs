//! The residual block of small ResNets (`resblock`).

use super::batchnorm::BatchNorm;
use super::conv::Conv2d;
use super::param::Param;
use crate::rng::Rng;
use candle_core::{Device, Result, Tensor};
use mlp_compiler::program::WeightInit;

/// A ResNet basic block: `relu(bn(conv3×3(relu(bn(conv3×3/stride(x))))) + shortcut(x))`, where the
/// shortcut is the identity, or a 1×1 convolution with the block's stride and its own batch norm
/// when the channels or the size change. The convolutions have no bias (batch norm follows each)
/// and He initialisation. Output `[filters, ⌈h/stride⌉, ⌈w/stride⌉]`.
pub(crate) struct ResBlock {
    conv1: Conv2d,
    bn1: BatchNorm,
    conv2: Conv2d,
    bn2: BatchNorm,
    projection: Option<(Conv2d, BatchNorm)>,
}

impl ResBlock {
    pub fn new(channels: usize, filters: usize, stride: usize, rng: &mut Rng, device: &Device) -> Result<Self> {
        let stride = stride.max(1);
        let conv1 = Conv2d::new(channels, filters, 3, stride, 1, false, WeightInit::He, rng, device)?;
        let conv2 = Conv2d::new(filters, filters, 3, 1, 1, false, WeightInit::He, rng, device)?;
        let projection = if stride != 1 || channels != filters {
            Some((
                Conv2d::new(channels, filters, 1, stride, 0, false, WeightInit::He, rng, device)?,
                BatchNorm::new(filters, device)?,
            ))
        } else {
            None
        };
        Ok(ResBlock {
            conv1,
            bn1: BatchNorm::new(filters, device)?,
            conv2,
            bn2: BatchNorm::new(filters, device)?,
            projection,
        })
    }

    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let norm = |bn: &BatchNorm, t: &Tensor| if train { bn.forward_train(t) } else { bn.forward(t) };
        let h = norm(&self.bn1, &self.conv1.forward(x)?)?.relu()?;
        let h = norm(&self.bn2, &self.conv2.forward(&h)?)?;
        let shortcut = match &self.projection {
            Some((conv, bn)) => norm(bn, &conv.forward(x)?)?,
            None => x.clone(),
        };
        (h + shortcut)?.relu()
    }

    pub fn params(&self, prefix: &str) -> Vec<Param> {
        let mut out = self.conv1.params(&format!("{prefix}.conv1"));
        out.extend(self.bn1.params(&format!("{prefix}.bn1")));
        out.extend(self.conv2.params(&format!("{prefix}.conv2")));
        out.extend(self.bn2.params(&format!("{prefix}.bn2")));
        if let Some((conv, bn)) = &self.projection {
            out.extend(conv.params(&format!("{prefix}.shortcut")));
            out.extend(bn.params(&format!("{prefix}.shortcut_bn")));
        }
        out
    }
}
