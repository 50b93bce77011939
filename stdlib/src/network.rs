//! Networks built from an explicit layer list: the `cnn` and `lstm` models of stdlib/models.mlp
//! and their `layers { ... }` blocks, on any Candle device (CPU or CUDA).
//!
//! **Input.** Each row of `x` is one sample flattened the way the tabular pipeline stores it,
//! `[batch, prod(input)]` f32, and is reshaped inside to the per-sample shape [`NetSpec::input`]:
//! `[channels, height, width]` for an image (row-major: channel, then row, then column) or
//! `[steps, features]` for a sequence (step by step).
//!
//! **Shapes.** Per sample, each layer maps shapes exactly as the checker's layer shape inference
//! (compiler/src/check/models.rs) does; [`Net::layer_shapes`] lists them and a test holds the two
//! together. Sequences are `[steps, features]`: `conv1d` and 1-D pooling work along the steps,
//! `batchnorm` normalises features (channels for images). An `lstm_layer` returns its last hidden
//! state `[hidden]`, or the whole sequence `[steps, hidden]` when a later `lstm_layer` reads it
//! with only shape-keeping layers (dropout, batchnorm, activations) in between.
//!
//! **Head.** A linear output head (Glorot, `outputs` wide) follows the list unless the list ends
//! with `dense(outputs)`, which then is the output layer itself. This is the checker's rule: a
//! list ending in a `dense` of any other width is an error there (E0405), and a list ending in
//! anything else ("a hidden layer") gets the head added. The outputs are logits: the loss
//! applies the sigmoid or softmax.
//!
//! **Modes.** As in the `mlp` model ([`crate::mlp`]): initial weights and dropout masks come
//! from our seeded [`Rng`], never from Candle's generator; [`Net::forward_train`] uses inverted
//! dropout and batch statistics (updating the running ones with momentum 0.1), [`Net::forward`]
//! is the deterministic evaluation pass.
//!
//! **Mixed precision.** [`Net::set_compute_dtype`] makes the forward passes cast the input and
//! every parameter to BF16 or F16 (a cast with a backward pass, so gradients reach the F32
//! master variables); batch norm statistics are computed in F32 and the logits come back F32.

mod blocks;
mod layers;
mod lstm;

use crate::mlp::{Activation, Init};
use crate::rng::Rng;
use blocks::{Embedding, ResBlock};
use candle_core::{DType, Device, Result, Tensor, Var};
use layers::{BatchNorm, Conv1d, Conv2d, Dense, Param, PoolKind, Role, dropout, pool1d, pool2d};
use lstm::Lstm;
use mlp_compiler::program::{Model, Value};

/// One entry of a `layers { ... }` block, with its arguments resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerSpec {
    Conv2d {
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    Conv1d {
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    /// `stride` 0 means the window size (as in the declaration).
    MaxPool {
        size: usize,
        stride: usize,
    },
    AvgPool {
        size: usize,
        stride: usize,
    },
    Flatten,
    Dense {
        units: usize,
    },
    Dropout {
        rate: f64,
    },
    BatchNorm,
    Activation(Activation),
    Lstm {
        hidden: usize,
    },
    ResBlock {
        filters: usize,
        stride: usize,
    },
    Embedding {
        vocabulary: usize,
        dim: usize,
    },
}

impl LayerSpec {
    /// The layer a checked `layer` call stands for (`Program`'s `Layer::layer`), or `None` for a
    /// value that is not a known layer call.
    pub fn from_value(value: &Value) -> Option<LayerSpec> {
        let no_args = std::collections::BTreeMap::new();
        let (name, args) = match value {
            // The checker gives calls; a bare name (`relu`) is accepted for argument-free layers.
            Value::Name(name) => (name.as_str(), &no_args),
            _ => value.as_call()?,
        };
        let count = |key: &str| -> Option<usize> {
            let v = args.get(key)?.as_f64()?;
            Some(if v.is_finite() && v > 0.0 { v as usize } else { 0 })
        };
        Some(match name {
            "conv2d" | "conv1d" => {
                let (filters, kernel) = (count("filters")?, count("kernel")?);
                let stride = count("stride").unwrap_or(1).max(1);
                let padding = count("padding").unwrap_or(0);
                if name == "conv2d" {
                    LayerSpec::Conv2d { filters, kernel, stride, padding }
                } else {
                    LayerSpec::Conv1d { filters, kernel, stride, padding }
                }
            }
            "maxpool" | "avgpool" => {
                let size = count("size").unwrap_or(2);
                let stride = match count("stride").unwrap_or(0) {
                    0 => size,
                    s => s,
                };
                if name == "maxpool" {
                    LayerSpec::MaxPool { size, stride }
                } else {
                    LayerSpec::AvgPool { size, stride }
                }
            }
            "flatten" => LayerSpec::Flatten,
            "dense" => LayerSpec::Dense { units: count("units")? },
            "dropout" => LayerSpec::Dropout { rate: args.get("rate")?.as_f64()? },
            "batchnorm" => LayerSpec::BatchNorm,
            "lstm_layer" => LayerSpec::Lstm { hidden: count("hidden")? },
            "resblock" => {
                LayerSpec::ResBlock { filters: count("filters")?, stride: count("stride").unwrap_or(1).max(1) }
            }
            "embedding" => LayerSpec::Embedding { vocabulary: count("vocabulary")?, dim: count("dim")? },
            other => LayerSpec::Activation(Activation::from_name(other)?),
        })
    }

    /// Whether the layer keeps its input's shape (so an LSTM before it may still feed a later one).
    fn keeps_shape(&self) -> bool {
        matches!(self, LayerSpec::Dropout { .. } | LayerSpec::BatchNorm | LayerSpec::Activation(_))
    }

    fn name(&self) -> &'static str {
        match self {
            LayerSpec::Conv2d { .. } => "conv2d",
            LayerSpec::Conv1d { .. } => "conv1d",
            LayerSpec::MaxPool { .. } => "maxpool",
            LayerSpec::AvgPool { .. } => "avgpool",
            LayerSpec::Flatten => "flatten",
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::BatchNorm => "batchnorm",
            LayerSpec::Activation(_) => "activation",
            LayerSpec::Lstm { .. } => "lstm_layer",
            LayerSpec::ResBlock { .. } => "resblock",
            LayerSpec::Embedding { .. } => "embedding",
        }
    }
}

/// The architecture of one network.
#[derive(Clone, Debug, PartialEq)]
pub struct NetSpec {
    /// Per-sample shape: `[channels, height, width]` for an image, `[steps, features]` for a
    /// sequence, `[width]` for a flat vector.
    pub input: Vec<usize>,
    pub layers: Vec<LayerSpec>,
    /// Width of the logits: classes, or 1 for a binary label or a regression.
    pub outputs: usize,
    /// Initialisation of `conv2d`, `conv1d` and `dense` layers. Residual blocks are always He,
    /// LSTMs Glorot with orthogonal recurrent weights, the added head Glorot.
    pub init: Init,
}

impl NetSpec {
    /// A network from a layer list, with `init` picked by activation as the `auto` init does: He
    /// unless every activation layer in the list is tanh or sigmoid.
    pub fn from_layers(input: Vec<usize>, layers: Vec<LayerSpec>, outputs: usize) -> NetSpec {
        let mut activations = layers.iter().filter_map(|l| match l {
            LayerSpec::Activation(a) => Some(*a),
            _ => None,
        });
        let saturating = activations.clone().next().is_some()
            && activations.all(|a| matches!(a, Activation::Tanh | Activation::Sigmoid));
        NetSpec { input, layers, outputs, init: if saturating { Init::Glorot } else { Init::He } }
    }

    /// The network a checked `cnn` or `lstm` model describes: its layer list, or for an `lstm`
    /// without one, `layers` LSTM layers of `hidden` units. `None` for other architectures (an
    /// `mlp`) or a layer this module does not know.
    pub fn from_model(model: &Model) -> Option<NetSpec> {
        let (architecture, args) = model.architecture.as_call()?;
        if !model.layers.is_empty() {
            let layers = model.layers.iter().map(|l| LayerSpec::from_value(&l.layer)).collect::<Option<Vec<_>>>()?;
            return Some(NetSpec::from_layers(model.input_shape.clone(), layers, model.outputs));
        }
        if architecture != "lstm" {
            return None;
        }
        let count =
            |key: &str, default: usize| args.get(key).and_then(Value::as_f64).map_or(default, |v| v.max(1.0) as usize);
        Some(NetSpec::lstm(model.input_shape.clone(), count("hidden", 64), count("layers", 1), model.outputs))
    }

    /// The `lstm(hidden, layers)` architecture: `layers` LSTM layers of `hidden` units over a
    /// `[steps, features]` input, then the head.
    pub fn lstm(input: Vec<usize>, hidden: usize, layers: usize, outputs: usize) -> NetSpec {
        let layers = (0..layers.max(1)).map(|_| LayerSpec::Lstm { hidden }).collect();
        NetSpec { input, layers, outputs, init: Init::Glorot }
    }
}

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

/// A network from a layer list, with its trainable variables.
pub struct Net {
    spec: NetSpec,
    nodes: Vec<Node>,
    head: Option<Dense>,
    /// Per-sample output shape of each layer.
    shapes: Vec<Vec<usize>>,
    compute: DType,
}

fn invalid(message: String) -> candle_core::Error {
    candle_core::Error::Msg(message)
}

fn shape_text(shape: &[usize]) -> String {
    format!("{shape:?}")
}

impl Net {
    /// Builds the layers in order, drawing every initial weight from `rng`. Fails on a layer that
    /// does not fit its input shape (the checker reports those as E0405 before a run).
    pub fn new(spec: NetSpec, rng: &mut Rng, device: &Device) -> Result<Net> {
        if spec.input.is_empty() || spec.input.contains(&0) {
            return Err(invalid(format!("a network input shape of {}", shape_text(&spec.input))));
        }
        let mut shape = spec.input.clone();
        let mut nodes = Vec::with_capacity(spec.layers.len());
        let mut shapes = Vec::with_capacity(spec.layers.len());
        for (index, layer) in spec.layers.iter().enumerate() {
            let misfit = || {
                invalid(format!(
                    "layer {index} (`{}`) does not fit its input shape {}",
                    layer.name(),
                    shape_text(&shape)
                ))
            };
            let (node, next) = match (layer, shape.as_slice()) {
                (&LayerSpec::Conv2d { filters, kernel, stride, padding }, &[c, h, w]) => {
                    let stride = stride.max(1);
                    if h + 2 * padding < kernel || w + 2 * padding < kernel {
                        return Err(misfit());
                    }
                    let conv = Conv2d::new(c, filters, kernel, stride, padding, true, spec.init, rng, device)?;
                    let out =
                        vec![filters, (h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1];
                    (Node::Conv2d(conv), out)
                }
                (&LayerSpec::Conv1d { filters, kernel, stride, padding }, &[steps, features]) => {
                    let stride = stride.max(1);
                    if steps + 2 * padding < kernel {
                        return Err(misfit());
                    }
                    let conv = Conv1d::new(features, filters, kernel, stride, padding, spec.init, rng, device)?;
                    (Node::Conv1d(conv), vec![(steps + 2 * padding - kernel) / stride + 1, filters])
                }
                (&(LayerSpec::MaxPool { size, stride } | LayerSpec::AvgPool { size, stride }), dims) => {
                    let kind = if matches!(layer, LayerSpec::MaxPool { .. }) { PoolKind::Max } else { PoolKind::Avg };
                    let stride = if stride == 0 { size } else { stride };
                    let out = match *dims {
                        [c, h, w] if h >= size && w >= size && size > 0 => {
                            vec![c, (h - size) / stride + 1, (w - size) / stride + 1]
                        }
                        [steps, f] if steps >= size && size > 0 => vec![(steps - size) / stride + 1, f],
                        _ => return Err(misfit()),
                    };
                    (Node::Pool { kind, size, stride }, out)
                }
                (LayerSpec::Flatten, dims) => (Node::Flatten, vec![dims.iter().product()]),
                (&LayerSpec::Dense { units }, &[width]) => {
                    (Node::Dense(Dense::new(width, units, spec.init, rng, device)?), vec![units])
                }
                (&LayerSpec::Dropout { rate }, dims) => {
                    if !(0.0..1.0).contains(&rate) {
                        return Err(invalid(format!("layer {index}: a dropout rate of {rate}")));
                    }
                    (Node::Dropout(rate), dims.to_vec())
                }
                (LayerSpec::BatchNorm, dims) => {
                    let channels = match *dims {
                        [c, _, _] => c,
                        [_, f] => f,
                        [width] => width,
                        _ => return Err(misfit()),
                    };
                    (Node::BatchNorm(BatchNorm::new(channels, device)?), dims.to_vec())
                }
                (&LayerSpec::Activation(a), dims) => (Node::Activation(a), dims.to_vec()),
                (&LayerSpec::Lstm { hidden }, &[steps, features]) => {
                    let sequences = spec.layers[index + 1..]
                        .iter()
                        .find(|l| !l.keeps_shape())
                        .is_some_and(|l| matches!(l, LayerSpec::Lstm { .. }));
                    let out = if sequences { vec![steps, hidden] } else { vec![hidden] };
                    (Node::Lstm(Lstm::new(features, hidden, sequences, rng, device)?), out)
                }
                (&LayerSpec::ResBlock { filters, stride }, &[c, h, w]) => {
                    let stride = stride.max(1);
                    let block = ResBlock::new(c, filters, stride, rng, device)?;
                    (Node::ResBlock(block), vec![filters, h.div_ceil(stride), w.div_ceil(stride)])
                }
                (&LayerSpec::Embedding { vocabulary, dim }, &[steps, 1]) => {
                    (Node::Embedding(Embedding::new(vocabulary.max(1), dim, rng, device)?), vec![steps, dim])
                }
                _ => return Err(misfit()),
            };
            if next.contains(&0) {
                return Err(misfit());
            }
            nodes.push(node);
            shapes.push(next.clone());
            shape = next;
        }
        let [width] = shape[..] else {
            return Err(invalid(format!(
                "the network ends with shape {}, but the output head needs a flat vector",
                shape_text(&shape)
            )));
        };
        let ends_with_output = matches!(spec.layers.last(), Some(&LayerSpec::Dense { units }) if units == spec.outputs);
        let head =
            if ends_with_output { None } else { Some(Dense::new(width, spec.outputs, Init::Glorot, rng, device)?) };
        Ok(Net { spec, nodes, head, shapes, compute: DType::F32 })
    }

    pub fn spec(&self) -> &NetSpec {
        &self.spec
    }

    /// The per-sample output shape of each listed layer (the added head not included).
    pub fn layer_shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }

    /// Whether a linear head follows the listed layers (see the module doc).
    pub fn has_head(&self) -> bool {
        self.head.is_some()
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
        let batch = x.dim(0)?;
        let mut dims = vec![batch];
        dims.extend_from_slice(&self.spec.input);
        let mut h = x.reshape(dims)?;
        // Token ids stay f32 (a bf16 id above 256 would be rounded); the embedding returns the
        // compute dtype.
        if !matches!(self.nodes.first(), Some(Node::Embedding(_))) {
            h = h.to_dtype(self.compute)?;
        }
        let train = rng.is_some();
        for node in &self.nodes {
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
                Node::Activation(a) => a.apply(&h)?,
                Node::Lstm(l) => l.forward(&h)?,
                Node::ResBlock(l) => l.forward(&h, train)?,
                Node::Embedding(l) => l.forward(&h, self.compute)?,
            };
        }
        if let Some(head) = &self.head {
            h = head.forward(&h)?;
        }
        h.to_dtype(DType::F32)
    }

    /// Every named tensor, in layer order: `layers.{i}.{name}` (a residual block nests its parts,
    /// e.g. `layers.2.conv1.weight`), then `head.weight` and `head.bias`.
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
    /// to; biases, batch norm and embedding tables are exempt.
    pub fn weights(&self) -> Vec<Var> {
        self.params().into_iter().filter(|p| p.role == Role::Weight).map(|p| p.var).collect()
    }

    /// Every tensor needed to predict, by a stable name, for saving as safetensors.
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        self.params().into_iter().map(|p| (p.name, p.var.as_tensor().clone())).collect()
    }

    /// Copies saved tensors (from a network of the same spec) into this one: restores the best
    /// epoch, or a saved model.
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

    /// A deep copy of every tensor (not sharing storage with the live variables).
    pub fn snapshot(&self) -> Result<Vec<(String, Tensor)>> {
        self.named_tensors().into_iter().map(|(n, t)| Ok((n, t.copy()?))).collect()
    }
}

#[cfg(test)]
mod tests;
