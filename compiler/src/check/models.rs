//! The models pass: each `model` (an architecture and its settings), its loss and output head
//! from the label, its input (tabular columns, or the image or sequence column the
//! architecture needs) and the shapes through its layers (E0405).

use super::context::{Context, Def};
use super::datasets::{Datasets, trained_on};
use super::names::list_names;
use super::pass::{Checked, Pass};
use crate::ast::{Block, BlockItem, DefKind};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{
    Architecture, Dataset, InputKind, Layer, Loss, MAX_LAYERS, Model, ModelSettings, NetworkSpec, PipelineSettings,
    ShapeError, bytes_text, count_text, shape_text,
};
use crate::span::Span;
use crate::stdlib::Builtin;
use crate::types::{ColumnType, Task};

/// Checks every model against the checked datasets, and its size against the pipeline's limits
/// (none when the pipeline's settings are wrong).
pub(super) fn check<'a>(
    cx: &'a Context<'a>,
    datasets: &Datasets,
    limits: Option<&PipelineSettings>,
) -> Checked<Vec<Model>> {
    let mut p = Pass::new(cx);
    let models =
        cx.symbols.of_kind(DefKind::Model).iter().filter_map(|&def| model(&mut p, datasets, def, limits)).collect();
    p.finish(models)
}

/// One model; `None` once an error makes the rest meaningless.
fn model<'a>(p: &mut Pass<'a>, datasets: &Datasets, def: Def<'a>, limits: Option<&PipelineSettings>) -> Option<Model> {
    let name = def.def.name.name.clone();
    let value = p.required_value(def, &format!("model {name} = mlp(hidden: [64])"))?;
    let settings = p.settings(def.file, "model", def.def.body.as_ref(), false, true);
    let mut layers_block = None;
    for item in &settings.other {
        match item {
            BlockItem::Nested { name: n, block, .. } if n.name == "layers" => layers_block = Some((n.span, block)),
            other => p.no_statements(def.file, &[other], "model"),
        }
    }
    let dataset = trained_on(p, datasets, def, settings.values.get("data"), settings.spans.get("data").copied());
    let (builtin, architecture) = p.builtin_call(def.file, "model", value)?;
    let dataset = dataset?;
    let arch_span = value.as_call().map_or(value.span, |c| c.1);
    let typed_settings = p.typed_settings::<ModelSettings>(def.file, def.def.name.span, "model", &settings.values)?;
    let architecture = p.typed::<Architecture>(def.file, arch_span, "this architecture", &architecture)?;

    // Loss and head follow from the label; an explicit loss must fit the task.
    let loss_span = settings.spans.get("loss").copied().unwrap_or(def.def.name.span);
    let loss = loss(p, def.file, typed_settings.loss, dataset, loss_span)?;
    let outputs = match (&dataset.task, &dataset.label_type) {
        (Task::Multiclass, ColumnType::Category { levels }) => levels.len(),
        // Softmax cross-entropy on a binary label needs one logit per class.
        (Task::Binary, _) if loss == Loss::CrossEntropy => 2,
        _ => 1,
    };

    // The input: tabular features, or the image / sequence column the architecture needs.
    let input = match builtin.name_attribute("input") {
        Some("image") => InputKind::Image,
        Some("sequence") => InputKind::Sequence,
        _ => InputKind::Tabular,
    };
    let input_shape = input_shape(p, def.file, builtin, input, dataset, arch_span)?;

    let layers = layers(p, def.file, &architecture, layers_block, arch_span)?;
    let listed: Option<Vec<Layer>> = layers.as_ref().map(|l| l.iter().map(|(layer, _)| *layer).collect());
    let network = NetworkSpec::of(
        &architecture,
        listed.as_deref(),
        typed_settings.dropout,
        typed_settings.batch_norm,
        &input_shape,
        outputs,
    );
    let network = match network {
        Ok(network) => network,
        Err(error) => {
            let spans: Vec<Span> = layers.iter().flatten().map(|(_, span)| *span).collect();
            let block_span = layers_block.map_or(arch_span, |(_, block)| block.span);
            p.report(shape_error(def.file, &error, &spans, block_span, dataset));
            return None;
        }
    };
    let size_span = layers_block.map_or(arch_span, |(_, block)| block.span);
    if let Some(too_big) = size_error(def.file, size_span, &network, &typed_settings, limits) {
        p.report(too_big);
        return None;
    }
    Some(Model {
        name,
        dataset: dataset.name.clone(),
        architecture,
        settings: typed_settings,
        input,
        layers: listed,
        network,
        loss,
    })
}

/// Listed layers, each with the span of its call.
type Layers = Vec<(Layer, Span)>;

/// The loss: `auto` follows the task; a written one must fit it (E0404).
fn loss(p: &mut Pass<'_>, file: FileId, loss: Loss, dataset: &Dataset, span: Span) -> Option<Loss> {
    if loss == Loss::Auto {
        return Some(match dataset.task {
            Task::Binary => Loss::Bce,
            Task::Multiclass => Loss::CrossEntropy,
            Task::Regression => Loss::Mse,
        });
    }
    let loss_value = loss.name();
    let stdlib = p.cx.stdlib;
    if stdlib.lookup("loss", loss_value).is_some_and(|l| l.applies_to(dataset.task)) {
        return Some(loss);
    }
    let fitting = stdlib.applying_to("loss", dataset.task);
    p.report(
        Diagnostic::error(
            Code::E0404,
            file,
            span,
            format!("loss `{loss_value}` does not fit {}", dataset.task.describe()),
        )
        .with_primary(format!("label `{}` is {}", dataset.label, dataset.task.describe()))
        .with_help(format!("use {} (or leave `loss` out: `auto` picks the right one)", list_names(fitting))),
    );
    None
}

/// The shape of one input row: the tabular width, or the image or sequence column's shape
/// (E0406 when the dataset has no such column).
fn input_shape(
    p: &mut Pass<'_>,
    file: FileId,
    builtin: &Builtin,
    input: InputKind,
    dataset: &Dataset,
    arch_span: Span,
) -> Option<Vec<usize>> {
    if input == InputKind::Tabular {
        return Some(vec![dataset.input_width]);
    }
    let column = dataset.schema.columns.iter().find(|c| {
        c.name != dataset.label
            && matches!(
                (&c.ty, input),
                (ColumnType::Image { .. }, InputKind::Image) | (ColumnType::Sequence { .. }, InputKind::Sequence)
            )
    });
    match column.map(|c| &c.ty) {
        Some(ColumnType::Image { channels, height, width }) => Some(vec![*channels, *height, *width]),
        Some(ColumnType::Sequence { length, features }) => Some(vec![*length, *features]),
        _ => {
            let (article, kind) = if input == InputKind::Image { ("an", "image") } else { ("a", "sequence") };
            p.report(
                Diagnostic::error(Code::E0406, file, arch_span, format!("`{}` needs {article} {kind} column, but dataset `{}` has none", builtin.name, dataset.name))
                    .with_primary(format!("{article} {kind} model on tabular data"))
                    .with_help(if input == InputKind::Image {
                        "declare the pixels as an image column, e.g. `schema { pixels: image(1, 8, 8) }`, or use `mlp` for tabular data"
                    } else {
                        "declare a sequence column, e.g. `schema { window: sequence(24, 3) }`, or use `mlp` for tabular data"
                    }),
            );
            None
        }
    }
}

/// The explicit layer list, each layer with its span: required by `cnn`, refused by `mlp`
/// (which takes `hidden`), optional otherwise. `None` after an error.
fn layers<'a>(
    p: &mut Pass<'a>,
    file: FileId,
    architecture: &Architecture,
    layers_block: Option<(Span, &'a Block)>,
    arch_span: Span,
) -> Option<Option<Layers>> {
    match (architecture, layers_block) {
        (Architecture::Cnn, None) => {
            p.report(
                Diagnostic::error(Code::E0203, file, arch_span, "a `cnn` needs its layers")
                    .with_primary("no `layers { ... }` block")
                    .with_help("list the layers, one per line: `layers { conv2d(filters: 6, kernel: 5) ... }`"),
            );
            None
        }
        (Architecture::Mlp { .. }, Some((span, _))) => {
            p.report(
                Diagnostic::error(Code::E0207, file, span, "an `mlp` takes its layers from `hidden`")
                    .with_primary("explicit layers are for `cnn` and `lstm`")
                    .with_help("set the hidden layers as `mlp(hidden: [64, 32])`, or use `cnn` with a layer list"),
            );
            None
        }
        (_, Some((_, block))) => layer_list(p, file, block).map(Some),
        _ => Some(None),
    }
}

/// The layers of a `layers { ... }` block, each with its span.
fn layer_list<'a>(p: &mut Pass<'a>, file: FileId, block: &'a Block) -> Option<Layers> {
    let mut layers = Vec::new();
    for item in &block.items {
        let BlockItem::Rule(rule) = item else {
            p.report(
                Diagnostic::error(Code::E0207, file, item.span(), "a layers block lists layers, one per line")
                    .with_primary("not a layer")
                    .with_help("write layer calls such as `conv2d(filters: 6, kernel: 5)` or `flatten()`"),
            );
            return None;
        };
        let expr = &rule.subject;
        let (_, layer) = p.builtin_call(file, "layer", expr)?;
        layers.push((p.typed(file, expr.span, "this layer", &layer)?, expr.span));
    }
    Some(layers)
}

/// E0405 for a network whose shapes do not fit: at the layer that breaks (with the layer that
/// made its input), or at the end of the list.
fn shape_error(file: FileId, error: &ShapeError, spans: &[Span], block_span: Span, dataset: &Dataset) -> Diagnostic {
    let last_span = spans.last().copied().unwrap_or(block_span);
    match error {
        ShapeError::Layer { index, input, message, help } => {
            let mut d =
                Diagnostic::error(Code::E0405, file, spans.get(*index).copied().unwrap_or(block_span), message.clone())
                    .with_primary(format!("input shape {}", shape_text(input)))
                    .with_help(help.to_string());
            if let Some(previous) = index.checked_sub(1).and_then(|i| spans.get(i)) {
                d = d.with_label(*previous, format!("output shape {} comes from here", shape_text(input)));
            }
            d
        }
        ShapeError::NotFlat { output } => Diagnostic::error(
            Code::E0405,
            file,
            last_span,
            format!("the network ends with shape {}, but the output head needs a flat vector", shape_text(output)),
        )
        .with_primary(format!("output shape {}", shape_text(output)))
        .with_help("add `flatten()` (and dense layers) at the end of the list"),
        ShapeError::Outputs { got, expected } => {
            let what = match dataset.task {
                Task::Multiclass => format!("`{}` has {expected} classes", dataset.label),
                Task::Binary => format!("`{}` is binary: one logit", dataset.label),
                Task::Regression => format!("`{}` is one number", dataset.label),
            };
            Diagnostic::error(Code::E0405, file, last_span, format!("the output layer gives {got} values, but {what}"))
                .with_primary(format!("output shape [{got}], expected [{expected}]"))
                .with_help(format!("make the last layer `dense({expected})`, or end with a hidden layer and let the compiler add the head"))
        }
    }
}

/// E0411 for a network deeper than the runtime can train, E0410 for one over the pipeline's
/// `max_parameters` or `max_memory`, with the estimate (`NetworkSpec::footprint`).
fn size_error(
    file: FileId,
    span: Span,
    network: &NetworkSpec,
    settings: &ModelSettings,
    limits: Option<&PipelineSettings>,
) -> Option<Diagnostic> {
    if network.layers.len() > MAX_LAYERS {
        return Some(
            Diagnostic::error(
                Code::E0411,
                file,
                span,
                format!("this network has {} layers, more than the {MAX_LAYERS} mlpc can train", network.layers.len()),
            )
            .with_primary(format!("{} layers (activations, normalization and dropout count)", network.layers.len()))
            .with_help("use fewer, wider layers: depth beyond a few dozen layers rarely helps a model train"),
        );
    }
    let limits = limits?;
    let optimizer = settings.optimizer;
    let footprint = network.footprint(optimizer.state_copies(), settings.batch);
    let over_parameters = footprint.parameters > limits.max_parameters as f64;
    let over_memory = footprint.bytes > limits.max_memory_bytes();
    if !over_parameters && !over_memory {
        return None;
    }
    let primary = if over_parameters {
        format!("more than `max_parameters` = {}", limits.max_parameters)
    } else {
        format!("more than `max_memory` = {} GB", limits.max_memory)
    };
    Some(
        Diagnostic::error(
            Code::E0410,
            file,
            span,
            format!(
                "this network has {} parameters, about {} to train with `{}` on batches of {}",
                count_text(footprint.parameters),
                bytes_text(footprint.bytes),
                optimizer.name(),
                settings.batch
            ),
        )
        .with_primary(primary)
        .with_help(
            "make the layers smaller or the batch smaller; if this machine can train it, raise `max_parameters` or \
             `max_memory` in the `pipeline` block",
        ),
    )
}
