//! One description of a network: the layers of stdlib/models.mlp as typed values, and
//! [`NetworkSpec`], every layer with its per-sample input and output shape, computed once here.
//! The checker reports a layer that does not fit (E0405) from [`ShapeError`]; the runtime builds
//! the network from the spec (mlp_stdlib::network) without inferring anything again, and a search
//! that changes the architecture asks [`NetworkSpec::of`] for the new shapes.
//!
//! Shapes are per sample: `[width]` for a vector, `[channels, height, width]` for an image,
//! `[steps, features]` for a sequence.

use super::training::{Architecture, Init};
use serde::{Deserialize, Serialize};

/// A hidden-layer activation (`extern activation`), also the activation layers of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
}

impl Activation {
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Gelu => "gelu",
        }
    }

    /// Whether the activation saturates (tanh, sigmoid), which calls for Glorot initialisation.
    pub fn saturates(self) -> bool {
        matches!(self, Activation::Tanh | Activation::Sigmoid)
    }
}

/// One entry of a layer list (`extern layer`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
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
    /// `stride` 0 means the window size.
    Maxpool {
        size: usize,
        stride: usize,
    },
    Avgpool {
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
    Batchnorm,
    LstmLayer {
        hidden: usize,
    },
    Resblock {
        filters: usize,
        stride: usize,
    },
    Embedding {
        vocabulary: usize,
        dim: usize,
    },
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
}

impl Layer {
    pub fn name(&self) -> &'static str {
        match self {
            Layer::Conv2d { .. } => "conv2d",
            Layer::Conv1d { .. } => "conv1d",
            Layer::Maxpool { .. } => "maxpool",
            Layer::Avgpool { .. } => "avgpool",
            Layer::Flatten => "flatten",
            Layer::Dense { .. } => "dense",
            Layer::Dropout { .. } => "dropout",
            Layer::Batchnorm => "batchnorm",
            Layer::LstmLayer { .. } => "lstm_layer",
            Layer::Resblock { .. } => "resblock",
            Layer::Embedding { .. } => "embedding",
            Layer::Relu => "relu",
            Layer::Tanh => "tanh",
            Layer::Sigmoid => "sigmoid",
            Layer::Gelu => "gelu",
        }
    }

    /// The activation an activation layer applies.
    pub fn activation(&self) -> Option<Activation> {
        match self {
            Layer::Relu => Some(Activation::Relu),
            Layer::Tanh => Some(Activation::Tanh),
            Layer::Sigmoid => Some(Activation::Sigmoid),
            Layer::Gelu => Some(Activation::Gelu),
            _ => None,
        }
    }

    /// The activation layer of an activation.
    pub fn of_activation(activation: Activation) -> Layer {
        match activation {
            Activation::Relu => Layer::Relu,
            Activation::Tanh => Layer::Tanh,
            Activation::Sigmoid => Layer::Sigmoid,
            Activation::Gelu => Layer::Gelu,
        }
    }

    /// Whether the layer keeps its input's shape, so an LSTM before it may still feed a later
    /// one with its whole sequence.
    pub fn keeps_shape(&self) -> bool {
        matches!(self, Layer::Dropout { .. } | Layer::Batchnorm) || self.activation().is_some()
    }
}

/// How `conv2d`, `conv1d` and `dense` layers are initialised; residual blocks are always He,
/// LSTMs Glorot with orthogonal recurrent weights, and the output head Glorot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightInit {
    He,
    Glorot,
}

impl WeightInit {
    /// `init` of an `mlp`: `auto` picks He for ReLU-like activations and Glorot for saturating
    /// ones.
    pub fn resolve(init: Init, activation: Activation) -> WeightInit {
        match init {
            Init::He => WeightInit::He,
            Init::Glorot => WeightInit::Glorot,
            Init::Auto if activation.saturates() => WeightInit::Glorot,
            Init::Auto => WeightInit::He,
        }
    }
}

/// A layer and its per-sample shapes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapedLayer {
    pub layer: Layer,
    pub input: Vec<usize>,
    pub output: Vec<usize>,
}

/// A whole network: input shape, every layer with its shapes, the output head.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkSpec {
    pub input: Vec<usize>,
    pub layers: Vec<ShapedLayer>,
    /// Width of the logits: classes, or 1 for a binary label or a regression.
    pub outputs: usize,
    pub init: WeightInit,
    /// Whether a linear head (Glorot, `outputs` wide) follows the layers: always, unless the list
    /// ends with `dense(outputs)`, which then is the output layer.
    pub head: bool,
}

/// Why a layer list does not give a network.
#[derive(Clone, Debug, PartialEq)]
pub enum ShapeError {
    /// Layer `index` does not fit its input shape `input`.
    Layer { index: usize, input: Vec<usize>, message: String, help: &'static str },
    /// The last layer's output is not a flat vector the head can read.
    NotFlat { output: Vec<usize> },
    /// The list ends with a `dense` layer of the wrong width.
    Outputs { got: usize, expected: usize },
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShapeError::Layer { index, message, .. } => write!(f, "layer {index}: {message}"),
            ShapeError::NotFlat { output } => {
                write!(f, "the network ends with shape {}, but the output head needs a flat vector", shape_text(output))
            }
            ShapeError::Outputs { got, expected } => {
                write!(f, "the output layer gives {got} values, but the label needs {expected}")
            }
        }
    }
}

/// `[1, 28, 28]`.
pub fn shape_text(shape: &[usize]) -> String {
    format!("[{}]", shape.iter().map(usize::to_string).collect::<Vec<_>>().join(", "))
}

impl NetworkSpec {
    /// The network of a model: an `mlp`'s dense blocks (dense, batch norm when `batch_norm`,
    /// activation, dropout when `dropout` > 0, per entry of `hidden`), an explicit layer list, or
    /// `lstm(hidden, layers)`'s LSTM layers; then the head.
    pub fn of(
        architecture: &Architecture,
        listed: Option<&[Layer]>,
        dropout: f64,
        batch_norm: bool,
        input: &[usize],
        outputs: usize,
    ) -> Result<NetworkSpec, ShapeError> {
        let (layers, init) = match (architecture, listed) {
            (Architecture::Mlp { hidden, activation, init }, _) => {
                let mut layers = Vec::new();
                for &units in hidden {
                    layers.push(Layer::Dense { units });
                    if batch_norm {
                        layers.push(Layer::Batchnorm);
                    }
                    layers.push(Layer::of_activation(*activation));
                    if dropout > 0.0 {
                        layers.push(Layer::Dropout { rate: dropout });
                    }
                }
                (layers, WeightInit::resolve(*init, *activation))
            }
            (_, Some(listed)) => (listed.to_vec(), list_init(listed)),
            (Architecture::Lstm { hidden, layers }, None) => {
                ((0..*layers).map(|_| Layer::LstmLayer { hidden: *hidden }).collect(), WeightInit::Glorot)
            }
            (Architecture::Cnn, None) => (Vec::new(), WeightInit::He),
        };
        let shaped = infer_shapes(input, &layers)?;
        let last = shaped.last().map_or(input, |l| &l.output[..]);
        if last.len() != 1 {
            return Err(ShapeError::NotFlat { output: last.to_vec() });
        }
        if let Some(Layer::Dense { units }) = shaped.last().map(|l| l.layer) {
            if units != outputs {
                return Err(ShapeError::Outputs { got: units, expected: outputs });
            }
        }
        Ok(NetworkSpec { input: input.to_vec(), layers: shaped, outputs, init, head: false }.with_outputs(outputs))
    }

    /// The network with `outputs` logits: the classes the training data really holds may
    /// outnumber those the checker's sample saw. A list that ends with `dense(outputs)` is its own
    /// output layer; any other gets the head.
    pub fn with_outputs(mut self, outputs: usize) -> NetworkSpec {
        self.outputs = outputs;
        self.head = !matches!(self.layers.last().map(|l| l.layer), Some(Layer::Dense { units }) if units == outputs);
        self
    }
}

/// Most layers a network may have (every entry of [`NetworkSpec::layers`], activations and
/// dropout included). Candle's backward pass walks the graph recursively, and a network deeper
/// than this overflows a thread's stack; far beyond any network mlpc trains well.
pub const MAX_LAYERS: usize = 1000;

/// What training a network takes, estimated from its shapes before anything is allocated. Counts
/// are `f64` so that no spec, however large its sizes, overflows them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footprint {
    /// Trainable parameters, the output head included.
    pub parameters: f64,
    /// Peak bytes of one training step in `f32`: weights, their gradients and the optimizer's
    /// state, plus one batch's activations and their gradients.
    pub bytes: f64,
}

impl NetworkSpec {
    /// Trainable parameters of the layers and the head.
    pub fn parameters(&self) -> f64 {
        let layers: f64 = self.layers.iter().map(layer_parameters).sum();
        let last = self.layers.last().map_or(&self.input, |l| &l.output);
        let head = if self.head { self.outputs as f64 * (elements(last) + 1.0) } else { 0.0 };
        layers + head
    }

    /// Numbers one sample keeps for the backward pass: every layer's output (a residual block or
    /// an LSTM keeps a few per output), and the input.
    pub fn activations(&self) -> f64 {
        let kept: f64 = self
            .layers
            .iter()
            .map(|l| {
                let factor = match l.layer {
                    Layer::Resblock { .. } => 6.0,
                    Layer::LstmLayer { .. } => 6.0 * l.input.first().copied().unwrap_or(1) as f64,
                    _ => 1.0,
                };
                factor * elements(&l.output)
            })
            .sum();
        kept + elements(&self.input) + self.outputs as f64
    }

    /// The footprint of training with `optimizer_copies` extra copies of the weights (Adam: 2,
    /// SGD with momentum: 1) on batches of `batch` rows.
    pub fn footprint(&self, optimizer_copies: usize, batch: usize) -> Footprint {
        let parameters = self.parameters();
        let numbers = parameters * (2.0 + optimizer_copies as f64) + 2.0 * batch as f64 * self.activations();
        Footprint { parameters, bytes: 4.0 * numbers }
    }
}

/// A count as messages give it: exact up to a million, then `2.0e10`.
pub fn count_text(n: f64) -> String {
    if n < 1e6 { format!("{n:.0}") } else { format!("{n:.1e}") }
}

/// Bytes as messages give them, in decimal units: `80 GB`, `1.5 MB`, `4.0e6 TB`.
pub fn bytes_text(bytes: f64) -> String {
    let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")];
    let Some(&(size, unit)) = units.iter().find(|(size, _)| bytes >= *size) else {
        return format!("{bytes:.0} bytes");
    };
    let n = bytes / size;
    if n >= 1e6 {
        format!("{n:.1e} {unit}")
    } else if n >= 10.0 {
        format!("{n:.0} {unit}")
    } else {
        format!("{n:.1} {unit}")
    }
}

/// Elements of a per-sample shape.
fn elements(shape: &[usize]) -> f64 {
    shape.iter().map(|&n| n as f64).product()
}

/// Trainable parameters of one layer, from its input shape.
fn layer_parameters(l: &ShapedLayer) -> f64 {
    let input = |i: usize| l.input.get(i).copied().unwrap_or(1) as f64;
    match l.layer {
        Layer::Dense { units } => units as f64 * (input(0) + 1.0),
        Layer::Conv2d { filters, kernel, .. } => filters as f64 * (input(0) * (kernel as f64).powi(2) + 1.0),
        Layer::Conv1d { filters, kernel, .. } => filters as f64 * (input(1) * kernel as f64 + 1.0),
        Layer::LstmLayer { hidden } => {
            let h = hidden as f64;
            4.0 * h * (input(1) + h + 2.0)
        }
        Layer::Resblock { filters, stride } => {
            let (c, f) = (input(0), filters as f64);
            let convs = f * (9.0 * c + 1.0) + f * (9.0 * f + 1.0) + 4.0 * f;
            let shortcut = if c != f || stride > 1 { f * (c + 1.0) + 2.0 * f } else { 0.0 };
            convs + shortcut
        }
        Layer::Embedding { vocabulary, dim } => vocabulary as f64 * dim as f64,
        Layer::Batchnorm => {
            let channels = if l.input.len() == 3 { input(0) } else { l.input.last().copied().unwrap_or(1) as f64 };
            2.0 * channels
        }
        Layer::Dropout { .. }
        | Layer::Flatten
        | Layer::Maxpool { .. }
        | Layer::Avgpool { .. }
        | Layer::Relu
        | Layer::Tanh
        | Layer::Sigmoid
        | Layer::Gelu => 0.0,
    }
}

/// A layer list's initialisation: He, unless every activation layer in it saturates.
fn list_init(layers: &[Layer]) -> WeightInit {
    let mut activations = layers.iter().filter_map(Layer::activation).peekable();
    if activations.peek().is_some() && activations.all(Activation::saturates) {
        WeightInit::Glorot
    } else {
        WeightInit::He
    }
}

/// Each layer's output shape from its input shape, in order; the first layer that does not fit
/// is the error.
pub fn infer_shapes(input: &[usize], layers: &[Layer]) -> Result<Vec<ShapedLayer>, ShapeError> {
    let mut shape = input.to_vec();
    let mut shaped = Vec::with_capacity(layers.len());
    for (index, layer) in layers.iter().enumerate() {
        let fail =
            |message: String, help: &'static str| ShapeError::Layer { index, input: shape.clone(), message, help };
        let next: Vec<usize> = match *layer {
            Layer::Conv2d { filters, kernel, stride, padding } => {
                let [_, h, w] = shape[..] else {
                    return Err(fail(
                        format!("`conv2d` needs a [channels, height, width] input, found {}", shape_text(&shape)),
                        "conv2d works on images; flatten only after the last convolution",
                    ));
                };
                // Sizes come from the spec: arithmetic saturates rather than overflows, and a
                // saturated network is refused by its size (E0410), never built.
                let padded = |n: usize| n.saturating_add(padding.saturating_mul(2));
                if padded(h) < kernel || padded(w) < kernel {
                    return Err(fail(
                        format!("a {kernel}×{kernel} kernel does not fit the {h}×{w} input"),
                        "use a smaller kernel, add padding, or pool less before this layer",
                    ));
                }
                let stride = stride.max(1);
                vec![filters, (padded(h) - kernel) / stride + 1, (padded(w) - kernel) / stride + 1]
            }
            Layer::Conv1d { filters, kernel, stride, padding } => {
                let [steps, _] = shape[..] else {
                    return Err(fail(
                        format!("`conv1d` needs a [steps, features] input, found {}", shape_text(&shape)),
                        "conv1d works on sequences",
                    ));
                };
                let padded = steps.saturating_add(padding.saturating_mul(2));
                if padded < kernel {
                    return Err(fail(
                        format!("a kernel of {kernel} steps does not fit a sequence of {steps}"),
                        "use a smaller kernel or add padding",
                    ));
                }
                vec![(padded - kernel) / stride.max(1) + 1, filters]
            }
            Layer::Maxpool { size, stride } | Layer::Avgpool { size, stride } => {
                let stride = if stride == 0 { size } else { stride }.max(1);
                match shape[..] {
                    [c, h, w] if h >= size && w >= size => vec![c, (h - size) / stride + 1, (w - size) / stride + 1],
                    [steps, f] if steps >= size => vec![(steps - size) / stride + 1, f],
                    [_, h, w] => {
                        return Err(fail(
                            format!("a {size}×{size} pool does not fit the {h}×{w} input"),
                            "pool over a smaller window, or remove this pooling layer",
                        ));
                    }
                    [steps, _] => {
                        return Err(fail(
                            format!("a pool of {size} steps does not fit a sequence of {steps}"),
                            "pool over a smaller window, or remove this pooling layer",
                        ));
                    }
                    _ => {
                        return Err(fail(
                            format!("`{}` needs an image or a sequence, found {}", layer.name(), shape_text(&shape)),
                            "pooling comes before `flatten()`",
                        ));
                    }
                }
            }
            Layer::Flatten => vec![shape.iter().fold(1usize, |a, &b| a.saturating_mul(b))],
            Layer::Dense { units } => {
                if shape.len() != 1 {
                    return Err(fail(
                        format!("`dense` needs a flat vector, found shape {}", shape_text(&shape)),
                        "add `flatten()` before the first dense layer",
                    ));
                }
                vec![units]
            }
            Layer::LstmLayer { hidden } => {
                if shape.len() != 2 {
                    return Err(fail(
                        format!("`lstm_layer` needs a [steps, features] sequence, found {}", shape_text(&shape)),
                        "an LSTM reads sequences; use dense layers on flat vectors",
                    ));
                }
                // The whole sequence when a later LSTM reads it, the last hidden state otherwise.
                if feeds_lstm(&layers[index + 1..]) { vec![shape[0], hidden] } else { vec![hidden] }
            }
            Layer::Resblock { filters, stride } => {
                let [_, h, w] = shape[..] else {
                    return Err(fail(
                        format!("`resblock` needs a [channels, height, width] input, found {}", shape_text(&shape)),
                        "residual blocks work on images; flatten only after the last block",
                    ));
                };
                let stride = stride.max(1);
                vec![filters, h.div_ceil(stride), w.div_ceil(stride)]
            }
            Layer::Embedding { dim, .. } => match shape[..] {
                [steps, 1] => vec![steps, dim],
                _ => {
                    return Err(fail(
                        format!("`embedding` needs a [steps, 1] sequence of token ids, found {}", shape_text(&shape)),
                        "embed a sequence of one token id per step, e.g. `sequence(40, 1)`, as the first layer",
                    ));
                }
            },
            Layer::Dropout { .. } | Layer::Batchnorm | Layer::Relu | Layer::Tanh | Layer::Sigmoid | Layer::Gelu => {
                shape.clone()
            }
        };
        if next.contains(&0) {
            return Err(fail(
                format!("`{}` would produce an empty output {}", layer.name(), shape_text(&next)),
                "check the layer's sizes",
            ));
        }
        shaped.push(ShapedLayer { layer: *layer, input: shape.clone(), output: next.clone() });
        shape = next;
    }
    Ok(shaped)
}

/// Whether the layers after an `lstm_layer` read its whole sequence: the next layer that changes
/// the shape is another `lstm_layer`.
fn feeds_lstm(rest: &[Layer]) -> bool {
    rest.iter().find(|l| !l.keeps_shape()).is_some_and(|l| matches!(l, Layer::LstmLayer { .. }))
}
