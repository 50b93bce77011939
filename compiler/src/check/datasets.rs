//! The datasets pass: each `dataset` on its source or on another dataset (in dependency order,
//! cycles reported), with inherited and default settings, exclusions, the label and its task,
//! the positive class, what the models see (`reshape.rs`) and the split. Also [`Datasets`], the
//! checked datasets by name as later passes read them, and [`trained_on`], the dataset a model or
//! baseline trains on.

use super::context::{Context, Def};
use super::names::{did_you_mean, list_names};
use super::pass::{Checked, Pass};
use super::reshape::Reshape;
use super::values::{Settings, default_value};
use crate::ast::{BlockItem, DefKind, Expr};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Config, Dataset, DatasetSettings, Encoding, Format, Source, Value};
use crate::span::Span;
use crate::types::{Column, ColumnType, Note, Schema, Task};
use std::collections::{HashMap, HashSet};

/// Checks every dataset, given the checked sources.
pub(super) fn check<'a>(cx: &'a Context<'a>, sources: &[Source]) -> Checked<Vec<Dataset>> {
    let mut p = Pass::new(cx);
    let mut known =
        Known { sources: sources.iter().map(|s| (s.name.as_str(), s)).collect(), datasets: Datasets::default() };
    // Datasets may build on other datasets: check them in dependency order (those on a source,
    // then those on them, and so on; in source order within each level), reporting cycles.
    let datasets = cx.symbols.of_kind(DefKind::Dataset);
    let levels = levels(datasets);
    let mut order: Vec<(usize, Def<'a>)> =
        datasets.iter().zip(&levels).filter_map(|(def, level)| Some(((*level)?, *def))).collect();
    order.sort_by_key(|(level, _)| *level);
    for (_, def) in order {
        if let Some(dataset) = dataset(&mut p, &known, def) {
            known.datasets.push(dataset);
        }
    }
    let in_cycles: Vec<Def<'a>> =
        datasets.iter().zip(&levels).filter(|(_, level)| level.is_none()).map(|(def, _)| *def).collect();
    if !in_cycles.is_empty() {
        p.report(cycle(&in_cycles));
    }
    p.finish(known.datasets.list)
}

/// For each dataset, how many datasets lie between it and its source (0 for a dataset on a
/// source, or on a name that is not a dataset); `None` for a dataset in a cycle or built on one.
fn levels(datasets: &[Def<'_>]) -> Vec<Option<usize>> {
    let index: HashMap<&str, usize> = datasets.iter().enumerate().map(|(i, d)| (d.def.name.name.as_str(), i)).collect();
    let parent = |i: usize| {
        let name = datasets[i].def.value.as_ref().and_then(|v| v.as_name())?;
        index.get(name).copied()
    };
    // Unknown, then on the path being followed, then known; each dataset is followed once.
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Unknown,
        OnPath,
        Known(Option<usize>),
    }
    let mut states = vec![State::Unknown; datasets.len()];
    for start in 0..datasets.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        // Follow parents until a dataset whose level is known, a cycle, or a source.
        let base = loop {
            let Some(i) = at else { break Some(0) };
            match states[i] {
                State::Known(level) => break level.map(|l| l + 1),
                State::OnPath => break None,
                State::Unknown => {
                    states[i] = State::OnPath;
                    path.push(i);
                    at = parent(i);
                }
            }
        };
        // `base` is the level of the path's last dataset; each before it is one more.
        let mut level = base;
        for &i in path.iter().rev() {
            states[i] = State::Known(level);
            level = level.map(|l| l + 1);
        }
    }
    states.iter().map(|s| if let State::Known(level) = s { *level } else { None }).collect()
}

/// E0105 for datasets that build on each other in a circle.
fn cycle(pending: &[Def<'_>]) -> Diagnostic {
    let first = pending[0];
    let parent = first.def.value.as_ref().expect("pending datasets have a parent");
    let chain: Vec<String> = pending.iter().map(|d| format!("`{}`", d.def.name.name)).collect();
    let mut d = Diagnostic::error(
        Code::E0105,
        first.file,
        parent.span,
        format!("dataset `{}` is built from itself", first.def.name.name),
    )
    .with_primary(format!("cycle through {}", chain.join(" → ")))
    .with_label(first.def.name.span, "in this dataset")
    .with_help("a dataset must build on a source or on a dataset that does not lead back to it");
    for other in &pending[1..] {
        if other.file == first.file {
            d = d.with_label(other.def.name.span, "part of the cycle");
        }
    }
    d
}

/// The checked datasets, by name.
#[derive(Default)]
pub(super) struct Datasets {
    list: Vec<Dataset>,
    by_name: HashMap<String, usize>,
}

impl Datasets {
    pub fn new(list: Vec<Dataset>) -> Self {
        let mut datasets = Datasets::default();
        for dataset in list {
            datasets.push(dataset);
        }
        datasets
    }

    fn push(&mut self, dataset: Dataset) {
        self.by_name.insert(dataset.name.clone(), self.list.len());
        self.list.push(dataset);
    }

    pub fn get(&self, name: &str) -> Option<&Dataset> {
        self.by_name.get(name).map(|&i| &self.list[i])
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Dataset> {
        self.list.iter()
    }

    pub fn into_vec(self) -> Vec<Dataset> {
        self.list
    }
}

/// What a dataset can build on: the checked sources and the datasets checked before it.
pub(super) struct Known<'s> {
    pub sources: HashMap<&'s str, &'s Source>,
    datasets: Datasets,
}

/// One dataset; `None` once an error makes the rest meaningless.
fn dataset<'a>(p: &mut Pass<'a>, known: &Known<'_>, def: Def<'a>) -> Option<Dataset> {
    let name = def.def.name.name.clone();
    let (value, parent, settings) = parent_and_settings(p, def)?;

    // What the parent provides: a source's schema and label, or a dataset's settings.
    let (source_name, mut schema, inherited) = inherit(known, parent)?;
    if parent.def.kind == DefKind::Dataset {
        applied_twice(p, def, parent, &inherited, &settings);
    }
    let mut values = merge(p, inherited, &settings);

    if let Some(excluded) = settings.values.get("exclude") {
        let span = settings.spans.get("exclude").copied().unwrap_or(value.span);
        p.check_columns_exist(def.file, &schema, excluded, span, "the data");
    }
    // A split may be keyed by a column the models must not see (a date, a fold name): it is
    // resolved against the columns before exclusion.
    let split_columns = schema.clone();
    if let Some(Value::List(excluded)) = values.get("exclude") {
        let excluded: Vec<&str> = excluded.iter().filter_map(Value::as_str).collect();
        schema.columns.retain(|c| !excluded.contains(&c.name.as_str()));
    }

    let (label, label_column, task) = label(p, known, def, &settings, &values, &schema, &source_name)?;
    let positive = positive_class(p, def, &settings, &values, &source_name, (&label, &label_column.ty, task)).ok()?;

    // Augmentation, windows and tokens: what the models see of the columns.
    let split_defaulted = !settings.values.contains_key("split") && parent.def.kind == DefKind::Source;
    let reshape = Reshape { def, own: &settings, label: &label, split_defaulted };
    reshape.apply(p, known, &mut values, &mut schema);

    // The default split is stratified, which needs classes: a regression label defaults to a
    // random split with the same fractions instead.
    if split_defaulted && task == Task::Regression {
        if let Some(Value::Call { call, .. }) = values.get_mut("split") {
            *call = "random".to_string();
        }
    }
    let split_span = settings.spans.get("split").copied().unwrap_or(def.def.name.span);
    check_split(p, def.file, split_span, &values, &split_columns, &label, task);

    let settings = p.typed_settings::<DatasetSettings>(def.file, def.def.name.span, "dataset", &values)?;
    // Constant columns and categories with a level per row (W0005, W0006, reported by the
    // sources pass) are not inputs, unless the spec names them; a windowed dataset keeps its
    // columns as the windows read them.
    let unfit = if settings.window.is_some() { HashSet::new() } else { unfit_columns(p, known, &source_name) };
    let named = if unfit.is_empty() { HashSet::new() } else { named_columns(p.cx, &values) };
    let fed = |c: &&Column| c.name != label && (!unfit.contains(c.name.as_str()) || named.contains(c.name.as_str()));
    let inputs: Vec<String> = schema.columns.iter().filter(fed).map(|c| c.name.clone()).collect();
    let input_width = schema.columns.iter().filter(fed).map(|c| input_width(&c.ty, settings.encode)).sum();
    Some(Dataset {
        name,
        source: source_name,
        schema,
        label,
        label_type: label_column.ty,
        task,
        positive,
        inputs,
        input_width,
        settings,
    })
}

/// For a CSV source whose header splits into more columns on another delimiter, the help that
/// says which.
fn delimiter_hint(p: &Pass<'_>, known: &Known<'_>, source_name: &str) -> Option<String> {
    let source = known.sources.get(source_name)?;
    let Format::Csv { delimiter, .. } = &source.format else { return None };
    if !source.schema.inferred {
        return None;
    }
    let sample = p.cx.sample(&source.format, &source.path).ok()?;
    super::sources::delimiter_help(&sample.columns, delimiter.byte())
}

/// The columns of a source's sample that are constant (W0005) or a category with a level per
/// row (W0006): the sources pass warned about them, and they are not given to the models.
fn unfit_columns(p: &Pass<'_>, known: &Known<'_>, source_name: &str) -> HashSet<String> {
    let Some(source) = known.sources.get(source_name) else { return HashSet::new() };
    if !source.schema.inferred || !matches!(source.format, Format::Csv { .. } | Format::Jsonl { .. }) {
        return HashSet::new();
    }
    let Ok(sample) = p.cx.sample(&source.format, &source.path) else { return HashSet::new() };
    sample
        .columns
        .iter()
        .zip(sample.inferred())
        .filter(|(_, inferred)| matches!(inferred.note, Some(Note::Constant { .. } | Note::LevelPerRow { .. })))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Names the spec uses where a column may be meant, so a column named there stays an input:
/// every column a feature's expression reads, and the split's column.
fn named_columns<'a>(cx: &Context<'a>, values: &Config) -> HashSet<String> {
    let mut named = HashSet::new();
    if let Some(Value::Call { args, .. }) = values.get("split") {
        if let Some(column) = args.get("column").and_then(Value::as_str) {
            named.insert(column.to_string());
        }
    }
    let mut read = std::collections::BTreeSet::new();
    for def in cx.symbols.of_kind(DefKind::Feature) {
        if let Some(expr) = &def.def.value {
            super::expr::reads(expr, &mut read);
        }
    }
    named.extend(read);
    named
}

/// The dataset's value (the parent's name), the parent it names, and the dataset's own settings.
fn parent_and_settings<'a>(p: &mut Pass<'a>, def: Def<'a>) -> Option<(&'a Expr, Def<'a>, Settings<'a>)> {
    let name = &def.def.name.name;
    let value = p.required_value(def, &format!("dataset {name} = source_name"))?;
    let Some(parent_name) = value.as_name() else {
        p.report(
            Diagnostic::error(Code::E0202, def.file, value.span, "a dataset is built from a source or another dataset")
                .with_primary("expected a source name")
                .with_help(format!("write `dataset {name} = source_name`")),
        );
        return None;
    };
    let parent = p.resolve(def.file, parent_name, value.span, &[DefKind::Source, DefKind::Dataset])?;
    let settings = p.settings(def.file, "dataset", def.def.body.as_ref(), false, false);
    p.no_statements(def.file, &settings.other, "dataset");
    Some((value, parent, settings))
}

/// The parent's source name, columns and settings (as values); `None` when the parent failed.
fn inherit(known: &Known<'_>, parent: Def<'_>) -> Option<(String, Schema, Config)> {
    let parent_name = parent.def.name.name.as_str();
    let (source_name, schema, inherited) = if parent.def.kind == DefKind::Source {
        let source = known.sources.get(parent_name)?;
        (source.name.clone(), source.schema.clone(), Value::config_of(&source.settings))
    } else {
        let ds = known.datasets.get(parent_name)?;
        (ds.source.clone(), ds.schema.clone(), Value::config_of(&ds.settings))
    };
    Some((source_name, schema, inherited.ok()?))
}

/// Preprocessing is applied once: a dataset on a dataset that already normalizes or encodes
/// must not do it again (E0306).
fn applied_twice(p: &mut Pass<'_>, def: Def<'_>, parent: Def<'_>, inherited: &Config, settings: &Settings<'_>) {
    let (name, parent_name) = (&def.def.name.name, &parent.def.name.name);
    for key in ["normalize", "encode", "window", "tokenize"] {
        let parent_does = inherited.get(key).and_then(Value::as_str).is_some_and(|v| v != "none");
        let child_does = settings.values.get(key).and_then(Value::as_str).is_some_and(|v| v != "none");
        let (true, true, Some(&span)) = (parent_does, child_does, settings.spans.get(key)) else { continue };
        let parent_span = parent.def.body.iter().flat_map(|b| &b.items).find_map(|i| match i {
            BlockItem::Setting { key: k, span, .. } if k.name == key => Some(*span),
            _ => None,
        });
        let d = Diagnostic::error(
            Code::E0306,
            def.file,
            span,
            format!("`{key}` is applied twice: `{parent_name}` already does it"),
        )
        .with_primary("applied again here")
        .with_help(format!("remove `{key}` here, or build `{name}` on the source instead of `{parent_name}`"));
        p.report(match parent_span {
            Some(ps) => d.with_label_in(parent.file, ps, "first applied here"),
            None => d.with_label_in(
                parent.file,
                parent.def.name.span,
                format!("`{parent_name}` applies `{key}` by default"),
            ),
        });
    }
}

/// The dataset's own settings over the inherited ones (exclusions add up along the chain
/// source → dataset → dataset), then the declared defaults.
fn merge(p: &Pass<'_>, mut values: Config, settings: &Settings<'_>) -> Config {
    for (k, v) in &settings.values {
        match (k.as_str(), values.get_mut(k), v) {
            ("exclude", Some(Value::List(earlier)), Value::List(more)) => earlier.extend(more.iter().cloned()),
            _ => {
                values.insert(k.clone(), v.clone());
            }
        }
    }
    let declaration = p.cx.stdlib.settings("dataset").expect("dataset settings are declared");
    for param in &declaration.params {
        if values.contains_key(&param.name) {
            continue;
        }
        if let Some(v) = param.default.as_ref().and_then(|d| default_value(param, d)) {
            values.insert(param.name.clone(), v);
        }
    }
    values
}

/// The label (set here or on the source), its column and the task it makes.
fn label<'a>(
    p: &mut Pass<'a>,
    known: &Known<'_>,
    def: Def<'a>,
    settings: &Settings<'a>,
    values: &Config,
    schema: &Schema,
    source_name: &str,
) -> Option<(String, Column, Task)> {
    let name = &def.def.name.name;
    let Some(label) = values.get("label").and_then(Value::as_str).map(str::to_string) else {
        p.report(
            Diagnostic::error(Code::E0303, def.file, def.def.name.span, format!("dataset `{name}` has no label"))
                .with_primary("which column should the models predict?")
                .with_help(format!("add `label = column_name` to `{name}` or to source `{source_name}`")),
        );
        return None;
    };
    let (file, span) = settings
        .spans
        .get("label")
        .copied()
        .map(|s| (def.file, s))
        .or_else(|| setting_span(p.cx, source_name, "label"))
        .unwrap_or((def.file, def.def.name.span));
    let Some(column) = schema.get(&label).cloned() else {
        match delimiter_hint(p, known, source_name) {
            Some(help) => p.report(
                Diagnostic::error(Code::E0301, file, span, format!("unknown column `{label}`"))
                    .with_primary(format!("no column `{label}` in the data"))
                    .with_help(help),
            ),
            None => p.unknown_column(file, span, &label, schema.names(), "the data"),
        }
        return None;
    };
    if let ColumnType::Category { levels } = &column.ty {
        if levels.len() < 2 {
            p.report(
                Diagnostic::error(Code::E0307, file, span, format!("label `{label}` has a single class"))
                    .with_primary(format!("every sampled row is `{}`", levels.first().map_or("", String::as_str)))
                    .with_help("a classification label needs at least two classes; check the file or the label column"),
            );
            return None;
        }
    }
    let Some(task) = Task::of_label(&column.ty) else {
        p.report(
            Diagnostic::error(Code::E0307, file, span, format!("column `{label}` of type {} cannot be a label", column.ty))
                .with_primary("not a class or a number")
                .with_help("a label must be a category, a bool or a number; declare its type in a `schema { ... }` block if it was inferred wrongly"),
        );
        return None;
    };
    Some((label, column, task))
}

/// The positive class of a binary label: the one set, or the last class (W0003). `Err` after an
/// E0304 (not a class, or not a binary label).
fn positive_class<'a>(
    p: &mut Pass<'a>,
    def: Def<'a>,
    settings: &Settings<'a>,
    values: &Config,
    source_name: &str,
    (label, label_type, task): (&str, &ColumnType, Task),
) -> Result<Option<String>, ()> {
    let positive = values.get("positive").and_then(Value::as_str).map(str::to_string);
    let positive_span = settings
        .spans
        .get("positive")
        .copied()
        .map(|s| (def.file, s))
        .or_else(|| setting_span(p.cx, source_name, "positive"));
    let levels: Vec<String> = match label_type {
        ColumnType::Category { levels } => levels.clone(),
        ColumnType::Bool => vec!["false".into(), "true".into()],
        _ => Vec::new(),
    };
    match (task, positive, positive_span) {
        (Task::Binary, Some(positive), Some((file, span))) if !levels.contains(&positive) => {
            let help = match did_you_mean(&positive, levels.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the classes of `{label}` are {}", list_names(levels.iter().map(String::as_str))),
            };
            p.report(
                Diagnostic::error(Code::E0304, file, span, format!("`{positive}` is not a class of `{label}`"))
                    .with_primary("not a class of the label")
                    .with_help(help),
            );
            Err(())
        }
        (Task::Binary, Some(positive), _) => Ok(Some(positive)),
        (Task::Binary, None, _) => {
            let chosen = levels.last().cloned().unwrap_or_default();
            p.report(
                Diagnostic::warning(
                    Code::W0003,
                    def.file,
                    def.def.name.span,
                    format!("dataset `{}` does not say which class of `{label}` is positive", def.def.name.name),
                )
                .with_primary(format!("`{chosen}` is taken as positive"))
                .with_help(format!(
                    "add `positive = {chosen}` (or the other class) so precision and recall mean what you expect"
                )),
            );
            Ok(Some(chosen))
        }
        (_, Some(positive), Some((file, span))) => {
            p.report(
                Diagnostic::error(
                    Code::E0304,
                    file,
                    span,
                    format!("a positive class needs a binary label, but `{label}` is {}", task.describe()),
                )
                .with_primary(format!("`{positive}` cannot be the positive class here"))
                .with_help("remove `positive`; it only applies to labels with two classes"),
            );
            Err(())
        }
        (_, _, _) => Ok(None),
    }
}

/// The split: stratified only by classes, its column among the data's columns (before
/// exclusion), fractions that add up to 1 with some rows to train on.
fn check_split(
    p: &mut Pass<'_>,
    file: FileId,
    split_span: Span,
    values: &Config,
    split_columns: &Schema,
    label: &str,
    task: Task,
) {
    let Some((kind, args)) = values.get("split").and_then(Value::as_call) else { return };
    if kind == "stratified" && task == Task::Regression {
        p.report(
            Diagnostic::error(
                Code::E0307,
                file,
                split_span,
                format!("a stratified split needs classes, but `{label}` is a number"),
            )
            .with_primary("stratification by a numeric label")
            .with_help("use `split = random(...)` for regression"),
        );
    }
    if let Some(column) = args.get("column").and_then(Value::as_str) {
        if split_columns.get(column).is_none() {
            p.unknown_column(file, split_span, column, split_columns.names(), "the data");
        }
    }
    let fractions: Vec<f64> =
        ["train", "val", "test"].iter().filter_map(|k| args.get(*k).and_then(Value::as_f64)).collect();
    if fractions.len() != 3 {
        return;
    }
    let sum: f64 = fractions.iter().sum();
    if (sum - 1.0).abs() > 1e-6 {
        p.report(
            Diagnostic::error(
                Code::E0305,
                file,
                split_span,
                format!("split fractions add up to {}, not 1", trim_float(sum)),
            )
            .with_primary(format!(
                "train {} + val {} + test {} = {}",
                trim_float(fractions[0]),
                trim_float(fractions[1]),
                trim_float(fractions[2]),
                trim_float(sum)
            ))
            .with_help("make train, val and test add up to exactly 1, e.g. 0.7, 0.15 and 0.15"),
        );
    }
    if fractions[0] == 0.0 {
        p.report(
            Diagnostic::error(Code::E0206, file, split_span, "the train split is empty")
                .with_primary("train fraction is 0")
                .with_help("give the train split most of the rows, e.g. `train: 0.7`"),
        );
    }
}

/// Where a source set a setting, for labels pointing at the source.
fn setting_span(cx: &Context<'_>, def_name: &str, key: &str) -> Option<(FileId, Span)> {
    let def = cx.symbols.get(def_name)?;
    def.def.body.as_ref()?.items.iter().find_map(|item| match item {
        BlockItem::Setting { key: k, value, .. } if k.name == key => Some((def.file, value.span)),
        _ => None,
    })
}

/// The dataset a model or baseline trains on: its `data` setting, else the only dataset.
pub(super) fn trained_on<'d>(
    p: &mut Pass<'_>,
    datasets: &'d Datasets,
    def: Def<'_>,
    data: Option<&Value>,
    data_span: Option<Span>,
) -> Option<&'d Dataset> {
    if let (Some(name), Some(span)) = (data.and_then(Value::as_str), data_span) {
        p.resolve(def.file, name, span, &[DefKind::Dataset])?;
        return datasets.get(name);
    }
    let kind = def.def.kind.keyword();
    match p.cx.symbols.of_kind(DefKind::Dataset) {
        [only] => {
            p.refer(&only.def.name.name);
            datasets.get(&only.def.name.name)
        }
        [] if p.cx.symbols.broken_kinds.contains("dataset") => None,
        [] => {
            p.report(
                Diagnostic::error(
                    Code::E0203,
                    def.file,
                    def.def.name.span,
                    format!("{kind} `{}` has no dataset to train on", def.def.name.name),
                )
                .with_primary("no dataset in this spec")
                .with_help("define one: `dataset name = source_name { split = stratified(...) }`"),
            );
            None
        }
        many => {
            let names: Vec<&str> = many.iter().map(|d| d.def.name.name.as_str()).collect();
            p.report(
                Diagnostic::error(
                    Code::E0203,
                    def.file,
                    def.def.name.span,
                    format!("{kind} `{}` does not say which dataset it trains on", def.def.name.name),
                )
                .with_primary(format!("the spec has {} datasets", many.len()))
                .with_help(format!("add `data = ...` naming one of {}", list_names(names))),
            );
            None
        }
    }
}

/// Columns a tabular model sees for one input column.
pub fn input_width(ty: &ColumnType, encode: Encoding) -> usize {
    match ty {
        ColumnType::Float | ColumnType::Int | ColumnType::Bool => 1,
        ColumnType::Category { levels } if encode == Encoding::Onehot => levels.len(),
        ColumnType::Category { .. } => 1,
        ColumnType::Text => 0,
        ColumnType::Image { .. } | ColumnType::Sequence { .. } => ty.tensor_width().unwrap_or(0),
    }
}

/// `0.7` rather than `0.7000000000000001`.
pub fn trim_float(v: f64) -> String {
    let rounded = (v * 1e9).round() / 1e9;
    format!("{rounded}")
}

#[cfg(test)]
mod tests {
    use crate::codes::Code;
    use crate::program::Format;
    use crate::world::{Sample, SampleError, World};
    use std::path::{Path, PathBuf};

    /// Every data file samples to a column `x` and a label `y` of two classes.
    struct Table;

    impl World for Table {
        fn read_source(&self, path: &Path) -> Result<String, String> {
            Err(format!("no file `{}`", path.display()))
        }

        fn sample(&self, _: &Format, _: &Path, _: usize) -> Result<Sample, SampleError> {
            let rows = (0..10).map(|i| vec![Some(i.to_string()), Some(["a", "b"][i % 2].to_string())]).collect();
            Ok(Sample { path: PathBuf::from("t.csv"), columns: vec!["x".into(), "y".into()], rows, lines: Vec::new() })
        }
    }

    const SOURCE: &str = "source s = csv(\"t.csv\") {\n  label = y\n  positive = b\n}\n";

    fn check(datasets: &str) -> crate::Compilation {
        crate::compile_text(&Table, Path::new("/spec.mlp"), &format!("{SOURCE}{datasets}"))
    }

    #[test]
    fn datasets_are_checked_after_those_they_build_on_in_source_order_within_a_level() {
        let compilation = check("dataset d = c\ndataset c = a\ndataset b = s\ndataset a = s\n");
        assert!(!compilation.has_errors(), "{:?}", compilation.diagnostics);
        let program = compilation.program.expect("a program");
        let names: Vec<&str> = program.datasets.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "c", "d"]);
    }

    #[test]
    fn a_long_chain_written_backwards_checks_in_order() {
        let chain: String = (1..500).rev().map(|i| format!("dataset d{i} = d{}\n", i - 1)).collect();
        let compilation = check(&format!("{chain}dataset d0 = s\n"));
        assert!(!compilation.has_errors(), "{:?}", compilation.diagnostics);
        let program = compilation.program.expect("a program");
        let names: Vec<String> = program.datasets.iter().map(|d| d.name.clone()).collect();
        assert_eq!(names, (0..500).map(|i| format!("d{i}")).collect::<Vec<_>>());
    }

    #[test]
    fn a_cycle_is_reported_once_and_what_builds_on_it_is_left_unchecked() {
        let compilation = check("dataset a = b\ndataset b = a\ndataset c = a\ndataset d = s\n");
        let cycles: Vec<_> = compilation.diagnostics.iter().filter(|d| d.code == Code::E0105).collect();
        assert_eq!(cycles.len(), 1, "{:?}", compilation.diagnostics);
        assert_eq!(cycles[0].message, "dataset `a` is built from itself");
        assert_eq!(cycles[0].primary_label, "cycle through `a` → `b` → `c`");
        assert_eq!(compilation.diagnostics.iter().filter(|d| d.is_error()).count(), 1);
    }
}
