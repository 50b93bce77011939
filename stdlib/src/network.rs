//! [`Net`]: the network of every model of stdlib/models.mlp (`mlp`, `cnn`, `lstm`, with or
//! without a `layers { ... }` block), built from the compiler's [`NetworkSpec`] on any Candle
//! device (CPU or CUDA). The layers live one per file beside this one.
//!
//! **Spec.** The compiler computes every layer's per-sample input and output shape once
//! ([`NetworkSpec::of`]): an `mlp` arrives expanded into its dense blocks (dense, batch norm,
//! activation, dropout per hidden size), an `lstm` without a list as its LSTM layers. Nothing is
//! inferred again here: a layer's parameters are sized from its input shape, and an
//! `lstm_layer` returns its whole sequence `[steps, hidden]` exactly when its output shape is
//! one, else its last hidden state `[hidden]`. [`Net::new`] only refuses a spec that is not
//! self-consistent (a layer whose input is not the previous output or does not suit the layer,
//! an empty size, a dropout rate outside [0, 1)), which the checker never produces.
//!
//! **Input.** Each row of `x` is one sample flattened the way the tabular pipeline stores it,
//! `[batch, prod(input)]` f32, and is reshaped inside to the per-sample shape:
//! `[channels, height, width]` for an image (row-major: channel, then row, then column),
//! `[steps, features]` for a sequence (step by step), `[width]` for a vector. Inside, activations
//! travel batch-first (`[batch, channels, height, width]`, `[batch, steps, features]`,
//! `[batch, width]`): `conv1d` and 1-D pooling work along the steps, `batchnorm` normalises
//! features (channels for images). Every op is a plain Candle tensor op with a backward pass and
//! a CUDA kernel; nothing is CPU-only.
//!
//! **Head.** A linear output head (Glorot, `outputs` wide) follows the layers when
//! [`NetworkSpec::head`] says so; otherwise the last layer is `dense(outputs)`, the output layer
//! itself. The outputs are logits: the loss applies the sigmoid or softmax.
//!
//! **Modes.** Initial weights and dropout masks come from our seeded [`Rng`], never from
//! Candle's generator, so a seed gives the same network and the same training run on every
//! machine. [`Net::forward_train`] uses inverted dropout and batch statistics (updating the
//! running ones with momentum 0.1); [`Net::forward`] is the deterministic evaluation pass.
//!
//! **Mixed precision.** [`Net::set_compute_dtype`] makes the forward passes cast the input and
//! every parameter to BF16 or F16 (a cast with a backward pass, so gradients reach the F32
//! master variables); batch norm statistics are computed in F32 and the logits come back F32.
//!
//! **Names.** Every tensor is saved as `layers.{i}.{name}` for the i-th layer of the spec (a
//! residual block nests its parts, e.g. `layers.2.conv1.weight`), then `head.weight` and
//! `head.bias`. Weights saved by the former `mlp` network load after [`migrate_mlp_tensors`].

pub(crate) mod activation;
mod batchnorm;
mod conv;
mod dense;
mod dropout;
mod embedding;
pub(crate) mod init;
mod lstm;
mod migrate;
mod param;
mod pool;
mod resblock;

pub use migrate::migrate_mlp_tensors;

use crate::rng::Rng;
use activation::activate;
use batchnorm::BatchNorm;
use candle_core::{DType, Device, Result, Tensor, Var};
use conv::{Conv1d, Conv2d};
use dense::Dense;
use dropout::dropout;
use embedding::Embedding;
use lstm::Lstm;
use mlp_compiler::program::{Activation, Layer, NetworkSpec, WeightInit, shape_text};
use param::{Param, Role};
use pool::{PoolKind, pool1d, pool2d};
use resblock::ResBlock;

/// A layer with its parameters.
enum Node {
    Conv2d(Conv2d),
    Conv1d(Conv1d),
    Pool { kind: PoolKind, size: usize, stride: usize },
    Flatten,
    Dense(Dense),
    Dropout(f64),
    BatchNorm(BatchNorm),
    Activation(Activation),
    Lstm(Lstm),
    ResBlock(ResBlock),
    Embedding(Embedding),
}

impl Node {
    fn params(&self, prefix: &str) -> Vec<Param> {
        match self {
            Node::Conv2d(l) => l.params(prefix),
            Node::Conv1d(l) => l.params(prefix),
            Node::Dense(l) => l.params(prefix),
            Node::BatchNorm(l) => l.params(prefix),
            Node::Lstm(l) => l.params(prefix),
            Node::ResBlock(l) => l.params(prefix),
            Node::Embedding(l) => l.params(prefix),
            Node::Pool { .. } | Node::Flatten | Node::Dropout(_) | Node::Activation(_) => Vec::new(),
        }
    }
}

/// A network with its trainable variables.
pub struct Net {
    spec: NetworkSpec,
    nodes: Vec<Node>,
    head: Option<Dense>,
    compute: DType,
}

fn invalid(message: String) -> candle_core::Error {
    candle_core::Error::Msg(message)
}

impl Net {
    /// Builds the layers in order, drawing every initial weight from `rng` (layer by layer, then
    /// the head). Fails on a spec that is not self-consistent (see the module doc).
    pub fn new(spec: &NetworkSpec, rng: &mut Rng, device: &Device) -> Result<Net> {
        if spec.input.is_empty() || spec.input.contains(&0) {
            return Err(invalid(format!("a network input shape of {}", shape_text(&spec.input))));
        }
        let mut shape = &spec.input;
        let mut nodes = Vec::with_capacity(spec.layers.len());
        for (index, shaped) in spec.layers.iter().enumerate() {
            let layer = shaped.layer;
            let at = |message: String| invalid(format!("layer {index} (`{}`): {message}", layer.name()));
            if shaped.input != *shape {
                return Err(at(format!(
                    "its input shape {} is not the previous output {}",
                    shape_text(&shaped.input),
                    shape_text(shape)
                )));
            }
            if shaped.output.is_empty() || shaped.output.contains(&0) || has_zero_size(&layer) {
                return Err(at(format!("a size of 0 (output {})", shape_text(&shaped.output))));
            }
            let misfit = || at(format!("it does not fit its input shape {}", shape_text(&shaped.input)));
            let node = match (layer, &shaped.input[..]) {
                (Layer::Conv2d { filters, kernel, stride, padding }, &[channels, _, _]) => {
                    Node::Conv2d(Conv2d::new(channels, filters, kernel, stride, padding, true, spec.init, rng, device)?)
                }
                (Layer::Conv1d { filters, kernel, stride, padding }, &[_, features]) => {
                    Node::Conv1d(Conv1d::new(features, filters, kernel, stride, padding, spec.init, rng, device)?)
                }
                (Layer::Maxpool { size, stride } | Layer::Avgpool { size, stride }, [_, _] | [_, _, _]) => {
                    let kind = if matches!(layer, Layer::Maxpool { .. }) { PoolKind::Max } else { PoolKind::Avg };
                    Node::Pool { kind, size, stride: if stride == 0 { size } else { stride } }
                }
                (Layer::Flatten, _) => Node::Flatten,
                (Layer::Dense { units }, &[width]) => Node::Dense(Dense::new(width, units, spec.init, rng, device)?),
                (Layer::Dropout { rate }, _) => {
                    if !(0.0..1.0).contains(&rate) {
                        return Err(at(format!("a dropout rate of {rate}, outside [0, 1)")));
                    }
                    Node::Dropout(rate)
                }
                (Layer::Batchnorm, &([channels, _, _] | [_, channels] | [channels])) => {
                    Node::BatchNorm(BatchNorm::new(channels, device)?)
                }
                (Layer::LstmLayer { hidden }, &[_, features]) => {
                    let sequences = shaped.output.len() == 2;
                    Node::Lstm(Lstm::new(features, hidden, sequences, rng, device)?)
                }
                (Layer::Resblock { filters, stride }, &[channels, _, _]) => {
                    Node::ResBlock(ResBlock::new(channels, filters, stride, rng, device)?)
                }
                (Layer::Embedding { vocabulary, dim }, &[_, 1]) => {
                    Node::Embedding(Embedding::new(vocabulary, dim, rng, device)?)
                }
                _ => match layer.activation() {
                    Some(activation) => Node::Activation(activation),
                    None => return Err(misfit()),
                },
            };
            nodes.push(node);
            shape = &shaped.output;
        }
        let [width] = shape[..] else {
            return Err(invalid(format!(
                "the network ends with shape {}, but the output needs a flat vector",
                shape_text(shape)
            )));
        };
        let head = if spec.head {
            // The head is linear (its loss applies the sigmoid or softmax): Glorot keeps its
            // logits near zero at the start whatever the activations before it.
            Some(Dense::new(width, spec.outputs, WeightInit::Glorot, rng, device)?)
        } else if width == spec.outputs {
            None
        } else {
            return Err(invalid(format!(
                "the network has no head but ends with {width} values, not the {} outputs",
                spec.outputs
            )));
        };
        Ok(Net { spec: spec.clone(), nodes, head, compute: DType::F32 })
    }

    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// The dtype the forward passes compute in: F32 (the default), BF16 or F16. The variables stay
    /// F32 either way.
    pub fn set_compute_dtype(&mut self, dtype: DType) {
        self.compute = dtype;
    }

    pub fn compute_dtype(&self) -> DType {
        self.compute
    }

    /// Evaluation pass: no dropout, batch norm with running statistics. `[batch, outputs]` F32.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.run(x, None)
    }

    /// Training pass: dropout masks from `rng`, batch norm with batch statistics (the running
    /// statistics are updated).
    pub fn forward_train(&mut self, x: &Tensor, rng: &mut Rng) -> Result<Tensor> {
        self.run(x, Some(rng))
    }

    fn run(&self, x: &Tensor, mut rng: Option<&mut Rng>) -> Result<Tensor> {
        // A vector input already has its per-sample shape.
        let mut h = if x.dims().get(1..) == Some(&self.spec.input[..]) {
            x.clone()
        } else {
            let mut dims = vec![x.dim(0)?];
            dims.extend_from_slice(&self.spec.input);
            x.reshape(dims)?
        };
        // Token ids stay f32 (a bf16 id above 256 would be rounded); the embedding returns the
        // compute dtype.
        if !matches!(self.nodes.first(), Some(Node::Embedding(_))) {
            h = h.to_dtype(self.compute)?;
        }
        let train = rng.is_some();
        for (node, shaped) in self.nodes.iter().zip(&self.spec.layers) {
            h = match node {
                Node::Conv2d(l) => l.forward(&h)?,
                Node::Conv1d(l) => l.forward(&h)?,
                Node::Pool { kind, size, stride } => match h.rank() {
                    4 => pool2d(&h, *kind, (*size, *size), (*stride, *stride))?,
                    _ => pool1d(&h, *kind, *size, *stride)?,
                },
                Node::Flatten => h.flatten_from(1)?,
                Node::Dense(l) => l.forward(&h)?,
                Node::Dropout(rate) => match rng.as_deref_mut() {
                    Some(rng) => dropout(&h, *rate, rng)?,
                    None => h,
                },
                Node::BatchNorm(l) => {
                    if train {
                        l.forward_train(&h)?
                    } else {
                        l.forward(&h)?
                    }
                }
                Node::Activation(a) => activate(*a, &h)?,
                Node::Lstm(l) => l.forward(&h)?,
                Node::ResBlock(l) => l.forward(&h, train)?,
                Node::Embedding(l) => l.forward(&h, self.compute)?,
            };
            debug_assert_eq!(h.dims()[1..], shaped.output[..], "layer `{}` against its spec", shaped.layer.name());
        }
        if let Some(head) = &self.head {
            h = head.forward(&h)?;
        }
        h.to_dtype(DType::F32)
    }

    /// Every named tensor, in layer order, then the head (see the module doc).
    fn params(&self) -> Vec<Param> {
        let mut out = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            out.extend(node.params(&format!("layers.{i}")));
        }
        if let Some(head) = &self.head {
            out.extend(head.params("head"));
        }
        out
    }

    /// Every trainable variable (batch norm running statistics are not).
    pub fn vars(&self) -> Vec<Var> {
        self.params().into_iter().filter(|p| p.role != Role::Buffer).map(|p| p.var).collect()
    }

    /// The weight matrices and kernels (dense, convolution, LSTM), which L1 and L2 penalties apply
    /// to, in layer order; biases, batch norm and embedding tables are exempt.
    pub fn weights(&self) -> Vec<Var> {
        self.params().into_iter().filter(|p| p.role == Role::Weight).map(|p| p.var).collect()
    }

    /// Every tensor needed to predict, by a stable name, for saving as safetensors.
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        self.params().into_iter().map(|p| (p.name, p.var.as_tensor().clone())).collect()
    }

    /// A deep copy of every tensor (not sharing storage with the live variables).
    pub fn snapshot(&self) -> Result<Vec<(String, Tensor)>> {
        self.named_tensors().into_iter().map(|(n, t)| Ok((n, t.copy()?))).collect()
    }

    /// Copies saved tensors (from a network of the same spec, on any device and in any dtype)
    /// into this one: restores the best epoch, or a saved model.
    pub fn load_from(&mut self, saved: &[(String, Tensor)]) -> Result<()> {
        for p in self.params() {
            let Some((_, tensor)) = saved.iter().find(|(n, _)| *n == p.name) else {
                return Err(invalid(format!("no saved tensor `{}`", p.name)));
            };
            let tensor = tensor.to_device(p.var.device())?.to_dtype(p.var.dtype())?;
            p.var.set(&tensor)?;
        }
        Ok(())
    }
}

/// Whether a layer has a size argument of 0 that its output shape does not show.
fn has_zero_size(layer: &Layer) -> bool {
    match *layer {
        Layer::Conv2d { kernel, .. } | Layer::Conv1d { kernel, .. } => kernel == 0,
        Layer::Maxpool { size, .. } | Layer::Avgpool { size, .. } => size == 0,
        Layer::Embedding { vocabulary, .. } => vocabulary == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
