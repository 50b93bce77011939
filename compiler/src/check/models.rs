//! Checks of what is trained and measured: metrics and the objective, baselines, models (with
//! shape inference through explicit layer lists and loss/head versus task) and search spaces.

use super::expr::{ExprType, Scope};
use super::names::{did_you_mean, list_names};
use super::{Checker, Def};
use crate::ast::{BlockItem, DefKind, Direction, Expr, ExprKind};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{
    Architecture, Baseline, BaselineKind, Dataset, Distribution, Expression, InputKind, Layer, Loss, Metric, Model,
    ModelSettings, NetworkSpec, Objective, Search, SearchSettings, ShapeError, Value, shape_text,
};
use crate::span::Span;
use crate::stdlib::{Builtin, ParamType};
use crate::types::{ColumnType, Task};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// A metric a name refers to: a user's `metric` definition or a built-in used directly.
pub struct MetricRef {
    pub name: String,
    pub builtin: &'static Builtin,
    pub direction: Direction,
}

impl<'a> Checker<'a> {
    /// Resolves a metric name: a `metric` definition, else a built-in metric.
    pub fn metric_ref(&mut self, file: FileId, name: &str, span: Span) -> Option<MetricRef> {
        if let Some(def) = self.defs.get(name).copied() {
            if def.def.kind == DefKind::Metric {
                self.referenced.insert(name.to_string());
                let call = def.def.value.as_ref().and_then(|v| v.as_call().map(|c| c.0).or(v.as_name()))?;
                let builtin = self.stdlib.lookup("metric", call)?;
                return Some(MetricRef { name: name.to_string(), builtin, direction: direction_of(builtin) });
            }
        }
        if let Some(builtin) = self.stdlib.lookup("metric", name) {
            if !builtin.params.iter().any(|p| p.default.is_none()) {
                let task_ok = self.check_metric_task(file, builtin, span);
                if task_ok && !self.program.metrics.iter().any(|m| m.name == name) {
                    let call = Value::Call { call: name.to_string(), args: BTreeMap::new() };
                    if let Some(kind) = self.typed(file, span, &format!("metric `{name}`"), &call) {
                        self.program.metrics.push(Metric {
                            name: name.to_string(),
                            kind,
                            direction: direction_of(builtin),
                        });
                    }
                }
                return Some(MetricRef { name: name.to_string(), builtin, direction: direction_of(builtin) });
            }
            self.error(
                Diagnostic::error(Code::E0203, file, span, format!("metric `{name}` needs arguments"))
                    .with_primary("used without its arguments")
                    .with_help(format!(
                        "define it first, e.g. `metric my_{name} = {name}({} >= 0.6)`, and use `my_{name}`",
                        if name == "recall_at" { "precision" } else { "recall" }
                    )),
            );
            return None;
        }
        if self.broken.contains(name) {
            return None;
        }
        let mut candidates: Vec<&str> =
            self.defs.values().filter(|d| d.def.kind == DefKind::Metric).map(|d| d.def.name.name.as_str()).collect();
        candidates.extend(self.stdlib.of_kind("metric").map(|b| b.name.as_str()));
        let help = match did_you_mean(name, candidates.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "define it with `metric {name} = ...`, or use a built-in metric such as {}",
                list_names(candidates.iter().copied().take(6))
            ),
        };
        self.error(
            Diagnostic::error(Code::E0102, file, span, format!("unknown metric `{name}`"))
                .with_primary("no metric with this name")
                .with_help(help),
        );
        None
    }

    /// E0403 when the metric does not apply to the task of some dataset. Returns whether it fits.
    fn check_metric_task(&mut self, file: FileId, builtin: &Builtin, span: Span) -> bool {
        let tasks = builtin.list_attribute("tasks");
        let misfit = self
            .program
            .datasets
            .iter()
            .find(|d| !builtin.applies_to(d.task))
            .map(|d| (d.name.clone(), d.label.clone(), d.task));
        let Some((dataset, label, task)) = misfit else { return true };
        let fitting = self.stdlib.applying_to("metric", task);
        self.error(
            Diagnostic::error(
                Code::E0403,
                file,
                span,
                format!("`{}` does not apply to {}", builtin.name, task.describe()),
            )
            .with_primary(format!("`{}` is a metric for {}", builtin.name, tasks.join(" and ")))
            .with_help(format!(
                "label `{label}` of dataset `{dataset}` makes this {}; use {}",
                task.describe(),
                list_names(fitting)
            )),
        );
        false
    }

    pub(super) fn check_metrics(&mut self) {
        for def in self.defs_of(DefKind::Metric) {
            let name = def.def.name.name.clone();
            let Some(value) = self.required_value(def, &format!("metric {name} = precision_at(recall >= 0.6)")) else {
                continue;
            };
            let Some((builtin, call)) = self.builtin_call(def.file, "metric", value) else { continue };
            if def.def.body.is_some() {
                self.no_block(def);
            }
            let span = value.as_call().map_or(value.span, |c| c.1);
            if self.check_metric_task(def.file, builtin, span) {
                if let Some(kind) = self.typed(def.file, span, &format!("metric `{name}`"), &call) {
                    self.program.metrics.push(Metric { name, kind, direction: direction_of(builtin) });
                }
            }
        }
    }

    fn no_block(&mut self, def: Def<'a>) {
        let span = def.def.body.as_ref().map_or(def.def.span, |b| b.span);
        self.error(
            Diagnostic::error(Code::E0207, def.file, span, format!("a {} takes no block", def.def.kind.keyword()))
                .with_primary("unexpected block")
                .with_help(format!("write the whole {} on one line", def.def.kind.keyword())),
        );
    }

    pub(super) fn check_objective(&mut self) {
        let objectives = self.objectives.clone();
        if objectives.is_empty() {
            let first = self.defs_of(DefKind::Model).into_iter().chain(self.defs_of(DefKind::Baseline)).next();
            if let (Some(def), false) = (first, self.broken_kinds.contains("objective")) {
                self.error(
                    Diagnostic::error(Code::E0408, def.file, def.def.name.span, "the spec has no objective")
                        .with_primary(format!(
                            "which number should {} `{}` be judged by?",
                            def.def.kind.keyword(),
                            def.def.name.name
                        ))
                        .with_help("add one line such as `objective maximize accuracy`"),
                );
            }
            return;
        }
        let (file, first) = objectives[0];
        for (other_file, other) in &objectives[1..] {
            self.error(
                Diagnostic::error(Code::E0408, *other_file, other.span, "a spec has exactly one objective")
                    .with_primary("second objective")
                    .with_label_in(file, first.span, "first objective")
                    .with_help("keep one objective; track other numbers as metrics and gates"),
            );
        }
        let Some(name) = first.metric.as_name() else {
            self.error(
                Diagnostic::error(Code::E0202, file, first.metric.span, "the objective names one metric")
                    .with_primary("expected a metric name")
                    .with_help("define the metric first, e.g. `metric p_at_r = precision_at(recall >= 0.6)`, then `objective maximize p_at_r`"),
            );
            return;
        };
        let Some(metric) = self.metric_ref(file, name, first.metric.span) else { return };
        if metric.direction != first.direction {
            self.error(
                Diagnostic::error(
                    Code::E0407,
                    file,
                    first.direction_span,
                    format!(
                        "`{name}` is better when {}, but the objective would {} it",
                        if metric.direction == Direction::Maximize { "higher" } else { "lower" },
                        first.direction.as_str()
                    ),
                )
                .with_primary(format!(
                    "{} a {}-is-better metric",
                    first.direction.as_str(),
                    if metric.direction == Direction::Maximize { "higher" } else { "lower" }
                ))
                .with_label(first.metric.span, format!("`{}` is to {}", metric.builtin.name, metric.direction.as_str()))
                .with_help(format!("write `objective {} {name}`", metric.direction.as_str())),
            );
            return;
        }
        self.program.objective = Some(Objective { metric: name.to_string(), direction: first.direction });
    }

    /// The dataset a model or baseline trains on: its `data` setting, else the only dataset.
    fn dataset_for(&mut self, def: Def<'a>, data: Option<&Value>, data_span: Option<Span>) -> Option<Rc<Dataset>> {
        if let (Some(name), Some(span)) = (data.and_then(Value::as_str), data_span) {
            self.resolve(def.file, name, span, &[DefKind::Dataset])?;
            return self.datasets.get(name).cloned();
        }
        let all = self.dataset_defs.clone();
        match all.as_slice() {
            [only] => {
                self.referenced.insert(only.def.name.name.clone());
                self.datasets.get(&only.def.name.name).cloned()
            }
            [] if self.broken_kinds.contains("dataset") => None,
            [] => {
                self.error(
                    Diagnostic::error(
                        Code::E0203,
                        def.file,
                        def.def.name.span,
                        format!("{} `{}` has no dataset to train on", def.def.kind.keyword(), def.def.name.name),
                    )
                    .with_primary("no dataset in this spec")
                    .with_help("define one: `dataset name = source_name { split = stratified(...) }`"),
                );
                None
            }
            many => {
                let names: Vec<&str> = many.iter().map(|d| d.def.name.name.as_str()).collect();
                self.error(
                    Diagnostic::error(
                        Code::E0203,
                        def.file,
                        def.def.name.span,
                        format!(
                            "{} `{}` does not say which dataset it trains on",
                            def.def.kind.keyword(),
                            def.def.name.name
                        ),
                    )
                    .with_primary(format!("the spec has {} datasets", many.len()))
                    .with_help(format!("add `data = ...` naming one of {}", list_names(names))),
                );
                None
            }
        }
    }

    pub(super) fn check_baselines(&mut self) {
        for def in self.defs_of(DefKind::Baseline) {
            let name = def.def.name.name.clone();
            let Some(value) = self.required_value(def, &format!("baseline {name} = majority_class()")) else {
                continue;
            };
            let settings = self.settings(def.file, "baseline", def.def.body.as_ref(), false, true);
            self.no_statements(def.file, &settings.other, "baseline");
            let Some(dataset) = self.dataset_for(def, settings.values.get("data"), settings.spans.get("data").copied())
            else {
                continue;
            };
            let Some((builtin, kind)) = self.builtin_call(def.file, "baseline", value) else { continue };
            let span = value.as_call().map_or(value.span, |c| c.1);
            let tasks = builtin.list_attribute("tasks");
            if !builtin.applies_to(dataset.task) {
                let fitting = self.stdlib.applying_to("baseline", dataset.task);
                self.error(
                    Diagnostic::error(
                        Code::E0409,
                        def.file,
                        span,
                        format!("baseline `{}` does not apply to {}", builtin.name, dataset.task.describe()),
                    )
                    .with_primary(format!("a baseline for {}", tasks.join(" and ")))
                    .with_help(format!(
                        "label `{}` makes this {}; use {}",
                        dataset.label,
                        dataset.task.describe(),
                        list_names(fitting)
                    )),
                );
                continue;
            }
            if builtin.name == "rule" {
                let Some((_, _, args)) = value.as_call() else { continue };
                let Some(arg) = args.first() else { continue };
                let features: HashMap<String, ColumnType> = HashMap::new();
                let scope = Scope {
                    schema: &dataset.schema,
                    features: &features,
                    described: format!("dataset `{}`", dataset.name),
                };
                match self.type_expr(def.file, &arg.value, &scope) {
                    ExprType::Column(ColumnType::Bool) if dataset.task == Task::Binary => {}
                    ExprType::Column(ColumnType::Bool) => {
                        self.error(
                            Diagnostic::error(
                                Code::E0409,
                                def.file,
                                arg.value.span,
                                format!(
                                    "a boolean rule predicts one of two classes, but `{}` is {}",
                                    dataset.label,
                                    dataset.task.describe()
                                ),
                            )
                            .with_primary("a yes/no rule")
                            .with_help("for regression, write a rule that computes a number"),
                        );
                        continue;
                    }
                    ExprType::Column(ty) if ty.is_numeric() => {}
                    ExprType::Error => continue,
                    other => {
                        self.error(
                            Diagnostic::error(
                                Code::E0401,
                                def.file,
                                arg.value.span,
                                format!("a rule must be a condition or a score, found {}", other.describe()),
                            )
                            .with_primary("not a condition or a number")
                            .with_help("write a condition such as `mean_radius > 15`"),
                        );
                        continue;
                    }
                }
            }
            // A rule keeps the expression as checked (spans included) rather than its text.
            let kind = match (builtin.name.as_str(), value.as_call()) {
                ("rule", Some((_, _, args))) => match args.first() {
                    Some(arg) => BaselineKind::Rule { when: Expression::new(arg.value.clone()) },
                    None => continue,
                },
                _ => match self.typed(def.file, span, &format!("baseline `{name}`"), &kind) {
                    Some(kind) => kind,
                    None => continue,
                },
            };
            let Some(settings) = self.typed_settings(def.file, def.def.name.span, "baseline", &settings.values) else {
                continue;
            };
            self.program.baselines.push(Baseline { name, dataset: dataset.name.clone(), kind, settings });
        }
    }

    pub(super) fn check_models(&mut self) {
        for def in self.defs_of(DefKind::Model) {
            self.check_model(def);
        }
    }

    fn check_model(&mut self, def: Def<'a>) {
        let name = def.def.name.name.clone();
        let Some(value) = self.required_value(def, &format!("model {name} = mlp(hidden: [64])")) else { return };
        let settings = self.settings(def.file, "model", def.def.body.as_ref(), false, true);
        let mut layers_block = None;
        for item in &settings.other {
            match item {
                BlockItem::Nested { name: n, block, .. } if n.name == "layers" => layers_block = Some((n.span, block)),
                other => self.no_statements(def.file, &[other], "model"),
            }
        }
        let dataset = self.dataset_for(def, settings.values.get("data"), settings.spans.get("data").copied());
        let Some((builtin, architecture)) = self.builtin_call(def.file, "model", value) else { return };
        let Some(dataset) = dataset else { return };
        let arch_span = value.as_call().map_or(value.span, |c| c.1);
        let Some(typed_settings) =
            self.typed_settings::<ModelSettings>(def.file, def.def.name.span, "model", &settings.values)
        else {
            return;
        };
        let Some(architecture) = self.typed::<Architecture>(def.file, arch_span, "this architecture", &architecture)
        else {
            return;
        };

        // Loss and head follow from the label; an explicit loss must fit the task.
        let loss = match typed_settings.loss {
            Loss::Auto => match dataset.task {
                Task::Binary => Loss::Bce,
                Task::Multiclass => Loss::CrossEntropy,
                Task::Regression => Loss::Mse,
            },
            loss => {
                let loss_value = loss.name();
                let fits = self.stdlib.lookup("loss", loss_value).is_some_and(|l| l.applies_to(dataset.task));
                if !fits {
                    let span = settings.spans.get("loss").copied().unwrap_or(def.def.name.span);
                    let fitting = self.stdlib.applying_to("loss", dataset.task);
                    self.error(
                        Diagnostic::error(
                            Code::E0404,
                            def.file,
                            span,
                            format!("loss `{loss_value}` does not fit {}", dataset.task.describe()),
                        )
                        .with_primary(format!("label `{}` is {}", dataset.label, dataset.task.describe()))
                        .with_help(format!(
                            "use {} (or leave `loss` out: `auto` picks the right one)",
                            list_names(fitting)
                        )),
                    );
                    return;
                }
                loss
            }
        };
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
        let input_shape = match input {
            InputKind::Image | InputKind::Sequence => {
                let column = dataset.schema.columns.iter().find(|c| {
                    c.name != dataset.label
                        && matches!(
                            (&c.ty, input),
                            (ColumnType::Image { .. }, InputKind::Image)
                                | (ColumnType::Sequence { .. }, InputKind::Sequence)
                        )
                });
                match column.map(|c| &c.ty) {
                    Some(ColumnType::Image { channels, height, width }) => vec![*channels, *height, *width],
                    Some(ColumnType::Sequence { length, features }) => vec![*length, *features],
                    _ => {
                        let (article, kind) =
                            if input == InputKind::Image { ("an", "image") } else { ("a", "sequence") };
                        self.error(
                            Diagnostic::error(Code::E0406, def.file, arch_span, format!("`{}` needs {article} {kind} column, but dataset `{}` has none", builtin.name, dataset.name))
                                .with_primary(format!("{article} {kind} model on tabular data"))
                                .with_help(if input == InputKind::Image {
                                    "declare the pixels as an image column, e.g. `schema { pixels: image(1, 8, 8) }`, or use `mlp` for tabular data"
                                } else {
                                    "declare a sequence column, e.g. `schema { window: sequence(24, 3) }`, or use `mlp` for tabular data"
                                }),
                        );
                        return;
                    }
                }
            }
            InputKind::Tabular => vec![dataset.input_width],
        };

        let mut layers = None;
        match (&architecture, layers_block) {
            (Architecture::Cnn, None) => {
                self.error(
                    Diagnostic::error(Code::E0203, def.file, arch_span, "a `cnn` needs its layers")
                        .with_primary("no `layers { ... }` block")
                        .with_help("list the layers, one per line: `layers { conv2d(filters: 6, kernel: 5) ... }`"),
                );
                return;
            }
            (Architecture::Mlp { .. }, Some((span, _))) => {
                self.error(
                    Diagnostic::error(Code::E0207, def.file, span, "an `mlp` takes its layers from `hidden`")
                        .with_primary("explicit layers are for `cnn` and `lstm`")
                        .with_help("set the hidden layers as `mlp(hidden: [64, 32])`, or use `cnn` with a layer list"),
                );
                return;
            }
            (_, Some((_, block))) => match self.layer_list(def.file, block) {
                Some(listed) => layers = Some(listed),
                None => return,
            },
            _ => {}
        }
        let listed: Option<Vec<Layer>> =
            layers.as_ref().map(|l: &Vec<(Layer, Span)>| l.iter().map(|(layer, _)| *layer).collect());
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
                self.shape_error(def.file, &error, &spans, block_span, &dataset);
                return;
            }
        };
        self.program.models.push(Model {
            name,
            dataset: dataset.name.clone(),
            architecture,
            settings: typed_settings,
            input,
            layers: listed,
            network,
            loss,
        });
    }

    /// The layers of a `layers { ... }` block, each with its span.
    fn layer_list(&mut self, file: FileId, block: &'a crate::ast::Block) -> Option<Vec<(Layer, Span)>> {
        let mut layers = Vec::new();
        for item in &block.items {
            let BlockItem::Rule(rule) = item else {
                self.error(
                    Diagnostic::error(Code::E0207, file, item.span(), "a layers block lists layers, one per line")
                        .with_primary("not a layer")
                        .with_help("write layer calls such as `conv2d(filters: 6, kernel: 5)` or `flatten()`"),
                );
                return None;
            };
            let expr = &rule.subject;
            let (_, layer) = self.builtin_call(file, "layer", expr)?;
            layers.push((self.typed(file, expr.span, "this layer", &layer)?, expr.span));
        }
        Some(layers)
    }

    /// E0405 for a network whose shapes do not fit: at the layer that breaks (with the layer
    /// that made its input), or at the end of the list.
    fn shape_error(&mut self, file: FileId, error: &ShapeError, spans: &[Span], block_span: Span, dataset: &Dataset) {
        let last_span = spans.last().copied().unwrap_or(block_span);
        let diagnostic = match error {
            ShapeError::Layer { index, input, message, help } => {
                let mut d = Diagnostic::error(
                    Code::E0405,
                    file,
                    spans.get(*index).copied().unwrap_or(block_span),
                    message.clone(),
                )
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
        };
        self.error(diagnostic);
    }

    pub(super) fn check_searches(&mut self) {
        for def in self.searches.clone() {
            self.expect_no_value(
                def,
                "a search block names the model and lists distributions: `search mlp { lr = loguniform(1e-4, 1e-2) }`",
            );
            let target = def.def.name.name.clone();
            let Some(_) = self.resolve(def.file, &target, def.def.name.span, &[DefKind::Model]) else { continue };
            let settings = self.settings(def.file, "search", def.def.body.as_ref(), true, true);
            self.no_statements(def.file, &settings.other, "search");
            let Some(model) = self.program.models.iter().find(|m| m.name == target).cloned() else { continue };
            // What the model has that can be searched: architecture arguments, training settings
            // and the optimizer's parameters.
            let mut params: Vec<(String, ParamType)> = Vec::new();
            if let Some(b) = self.stdlib.lookup("model", model.architecture.name()) {
                params.extend(b.params.iter().map(|p| (p.name.clone(), p.ty.clone())));
            }
            if let Some(b) = self.stdlib.settings("model") {
                params.extend(b.params.iter().filter(|p| p.name != "data").map(|p| (p.name.clone(), p.ty.clone())));
            }
            if let Some(b) = self.stdlib.lookup("optimizer", model.settings.optimizer.name()) {
                params.extend(b.params.iter().map(|p| (p.name.clone(), p.ty.clone())));
            }
            let Some(search_settings) =
                self.typed_settings::<SearchSettings>(def.file, def.def.name.span, "search", &settings.values)
            else {
                continue;
            };
            let strategy = search_settings.strategy.name();
            let mut space = BTreeMap::new();
            for (key, value) in &settings.unknown {
                let Some((_, ty)) = params.iter().find(|(n, _)| *n == key.name).cloned() else {
                    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
                    let help = match did_you_mean(&key.name, names.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("model `{target}` can search {}", list_names(names)),
                    };
                    self.error(
                        Diagnostic::error(
                            Code::E0501,
                            def.file,
                            key.span,
                            format!("model `{target}` has no parameter `{}` to search", key.name),
                        )
                        .with_primary("not a parameter of the model")
                        .with_label_in(
                            self.defs[&target].file,
                            self.defs[&target].def.name.span,
                            format!("model `{target}` is defined here"),
                        )
                        .with_help(help),
                    );
                    continue;
                };
                if let Some(dist) = self.check_distribution(def.file, &key.name, &ty, value, strategy) {
                    space.insert(key.name.clone(), dist);
                }
            }
            if space.is_empty() && settings.unknown.is_empty() {
                self.error(
                    Diagnostic::error(
                        Code::E0203,
                        def.file,
                        def.def.name.span,
                        format!("search over `{target}` lists no parameters"),
                    )
                    .with_primary("nothing to search")
                    .with_help("add a distribution per parameter, e.g. `lr = loguniform(1e-4, 1e-2)`"),
                );
            }
            self.program.searches.push(Search { model: target, settings: search_settings, space });
        }
    }

    fn check_distribution(
        &mut self,
        file: FileId,
        param: &str,
        ty: &ParamType,
        value: &Expr,
        strategy: &str,
    ) -> Option<Distribution> {
        let (builtin, mut dist) = self.builtin_call(file, "distribution", value)?;
        let args = dist.as_call()?.1.clone();
        let num = |k: &str| args.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        let span = value.span;
        let bad_range = |this: &mut Self, message: String, help: &str| {
            this.error(
                Diagnostic::error(Code::E0502, file, span, message)
                    .with_primary("empty or invalid range")
                    .with_help(help.to_string()),
            );
            None
        };
        match builtin.name.as_str() {
            "uniform" | "loguniform" if num("low") >= num("high") => {
                return bad_range(
                    self,
                    format!("`{param}` is searched from {} to {}, an empty range", num("low"), num("high")),
                    "write the lower bound first: `low < high`",
                );
            }
            "int_range" if num("low") > num("high") => {
                return bad_range(
                    self,
                    format!("`{param}` is searched from {} to {}, an empty range", num("low"), num("high")),
                    "write the lower bound first: `low <= high`",
                );
            }
            "choice" => {
                // Each candidate must be a valid value of the parameter, and is kept as checked
                // (with the parameter's type and defaults) for the trials to apply.
                if let ExprKind::Call { args, .. } = &value.kind {
                    let mut candidates = Vec::with_capacity(args.len());
                    for arg in args {
                        candidates.push(self.value(file, ty, &arg.value, param)?);
                    }
                    dist = Value::Call {
                        call: "choice".into(),
                        args: BTreeMap::from([("values".to_string(), Value::List(candidates))]),
                    };
                }
            }
            _ => {}
        }
        let numeric = matches!(
            ty,
            ParamType::Int
                | ParamType::Count
                | ParamType::Natural
                | ParamType::Float
                | ParamType::Fraction
                | ParamType::Rate
        );
        if builtin.name != "choice" && !numeric {
            self.error(
                Diagnostic::error(
                    Code::E0202,
                    file,
                    span,
                    format!("`{param}` takes {}, so it cannot be drawn from `{}`", ty.describe(), builtin.name),
                )
                .with_primary("numeric range for a non-numeric parameter")
                .with_help(format!("list the candidates instead: `{param} = choice(...)`")),
            );
            return None;
        }
        if strategy == "grid" && matches!(builtin.name.as_str(), "uniform" | "loguniform") {
            self.error(
                Diagnostic::error(
                    Code::E0502,
                    file,
                    span,
                    format!("a grid search cannot enumerate the continuous range of `{param}`"),
                )
                .with_primary("continuous range in a grid")
                .with_help("use `choice(...)` or `int_range(...)` with `grid`, or switch to `random` or `bayesian`"),
            );
            return None;
        }
        // The range must lie within what the parameter accepts, and an integer parameter needs
        // integer candidates.
        let fits = |v: f64| match ty {
            ParamType::Fraction => (0.0..=1.0).contains(&v),
            ParamType::Rate => v > 0.0,
            ParamType::Count => v >= 1.0,
            ParamType::Natural => v >= 0.0,
            _ => true,
        };
        if matches!(builtin.name.as_str(), "uniform" | "loguniform")
            && matches!(ty, ParamType::Int | ParamType::Count | ParamType::Natural)
        {
            self.error(
                Diagnostic::error(
                    Code::E0202,
                    file,
                    span,
                    format!("`{param}` is a whole number, but `{}` draws fractions", builtin.name),
                )
                .with_primary("continuous range for an integer parameter")
                .with_help(format!("use `{param} = int_range(low, high)` or `choice(...)`")),
            );
            return None;
        }
        if builtin.name != "choice" && !(fits(num("low")) && fits(num("high"))) {
            self.error(
                Diagnostic::error(
                    Code::E0502,
                    file,
                    span,
                    format!("the range of `{param}` goes outside the values it accepts, {}", ty.describe()),
                )
                .with_primary("range out of bounds")
                .with_help(format!("keep both ends within {}", ty.describe())),
            );
            return None;
        }
        self.typed(file, span, &format!("the distribution of `{param}`"), &dist)
    }
}

pub fn direction_of(builtin: &Builtin) -> Direction {
    if builtin.name_attribute("direction") == Some("minimize") { Direction::Minimize } else { Direction::Maximize }
}
