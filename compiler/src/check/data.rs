//! Checks of the data definitions: the pipeline block, sources (declared or inferred schemas)
//! and datasets (label, task, positive class, split, preprocessing).

use super::names::{did_you_mean, list_names};
use super::{Checker, Def};
use crate::ast::{Arg, BlockItem, DefKind, ExprKind, TypeExpr};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Dataset, DatasetSettings, Encoding, Format, Pipeline, Source, Value};
use crate::span::Span;
use crate::types::{Column, ColumnType, Schema, Task, infer_column};
use crate::world::{SAMPLE_ROWS, SampleError};
use std::collections::HashSet;

const COLUMN_TYPES: [&str; 7] = ["float", "int", "bool", "category", "text", "image", "sequence"];

impl<'a> Checker<'a> {
    pub(super) fn check_pipeline(&mut self) {
        let pipelines = self.defs_of(DefKind::Pipeline);
        let Some(first) = pipelines.first().copied() else {
            let settings = self.settings(FileId(0), "pipeline", None, false, true);
            let name = self
                .files
                .first()
                .and_then(|f| f.path.file_stem())
                .map_or("pipeline".into(), |s| s.to_string_lossy().into_owned());
            let settings = self.typed_settings(FileId(0), Span::new(0, 0), "pipeline", &settings.values);
            self.program.pipeline = settings.map(|settings| Pipeline { name, settings });
            return;
        };
        self.referenced.insert(first.def.name.name.clone());
        for extra in &pipelines[1..] {
            self.error(
                Diagnostic::error(
                    Code::E0101,
                    extra.file,
                    extra.def.name.span,
                    "a spec has exactly one `pipeline` block",
                )
                .with_primary(format!("second pipeline `{}`", extra.def.name.name))
                .with_label_in(first.file, first.def.name.span, "the pipeline is defined here")
                .with_help("merge the settings into one `pipeline` block"),
            );
        }
        self.expect_no_value(first, "`pipeline` takes settings in a block: `pipeline name { seed = 42 }`");
        let settings = self.settings(first.file, "pipeline", first.def.body.as_ref(), false, true);
        self.no_statements(first.file, &settings.other, "pipeline");
        let typed = self.typed_settings(first.file, first.def.name.span, "pipeline", &settings.values);
        self.program.pipeline = typed.map(|settings| Pipeline { name: first.def.name.name.clone(), settings });
    }

    /// Reports `kind name = value` where the kind takes no value.
    pub(super) fn expect_no_value(&mut self, def: Def<'a>, help: &str) {
        if let Some(value) = &def.def.value {
            self.error(
                Diagnostic::error(
                    Code::E0207,
                    def.file,
                    value.span,
                    format!("a `{}` definition takes no `= value`", def.def.kind.keyword()),
                )
                .with_primary("unexpected value")
                .with_help(help.to_string()),
            );
        }
    }

    /// Reports nested blocks and statements in a block that only takes settings.
    pub(super) fn no_statements(&mut self, file: FileId, items: &[&BlockItem], kind: &str) {
        for item in items {
            let what = match item {
                BlockItem::Nested { name, .. } => format!("a `{}` block", name.name),
                BlockItem::Column { .. } => "a column declaration".to_string(),
                _ => "a statement".to_string(),
            };
            self.error(
                Diagnostic::error(Code::E0207, file, item.span(), format!("{what} is not allowed in a {kind}"))
                    .with_primary("not allowed here")
                    .with_help(format!("a {kind} block holds `key = value` settings, one per line")),
            );
        }
    }

    /// The value of a definition, or an E0203 saying what it needs.
    pub(super) fn required_value(&mut self, def: Def<'a>, example: &str) -> Option<&'a crate::ast::Expr> {
        if def.def.value.is_none() {
            self.error(
                Diagnostic::error(
                    Code::E0203,
                    def.file,
                    def.def.name.span,
                    format!("{} `{}` has no value", def.def.kind.keyword(), def.def.name.name),
                )
                .with_primary("expected `= ...` after the name")
                .with_help(format!("write it as `{example}`")),
            );
        }
        def.def.value.as_ref()
    }

    pub(super) fn check_sources(&mut self) {
        for def in self.defs_of(DefKind::Source) {
            let Some(value) =
                self.required_value(def, &format!("source {} = csv(\"data/file.csv\")", def.def.name.name))
            else {
                continue;
            };
            let Some((_, format)) = self.builtin_call(def.file, "format", value) else { continue };
            let settings = self.settings(def.file, "source", def.def.body.as_ref(), false, true);
            let mut declared: Option<Schema> = None;
            let mut declared_block = None;
            for item in &settings.other {
                match item {
                    BlockItem::Nested { name, block, span } if name.name == "schema" => {
                        declared = Some(self.declared_schema(def.file, block));
                        declared_block = Some((block, *span));
                    }
                    other => self.no_statements(def.file, &[other], "source"),
                }
            }
            let path_span = match &value.kind {
                ExprKind::Call { args, .. } => args.first().map_or(value.span, |a: &Arg| a.value.span),
                _ => value.span,
            };
            let Some(format) = self.source_format(def, &format, value) else { continue };
            let path_text = format.path().to_string();
            let path = super::normalize(&self.dir_of(def.file).join(&path_text));
            let labels = match &format {
                Format::Idx { labels, .. } => Some(super::normalize(&self.dir_of(def.file).join(labels))),
                _ => None,
            };
            let at = super::tensors::Located { path: &path, text: &path_text, span: path_span };
            let schema = match (declared, &format) {
                // Images and IDX files define their columns.
                (_, Format::Idx { .. } | Format::Images { .. }) => {
                    match self.file_schema(def, &format, labels.as_deref(), &at, declared_block.map(|(_, s)| s)) {
                        Some(schema) => schema,
                        None => continue,
                    }
                }
                (Some(schema), _) => {
                    if let Some((block, _)) = declared_block {
                        self.check_element_columns(def, &format, &schema, block, &at);
                    }
                    schema
                }
                (None, _) => match self.infer_schema(def, &format, &path, &path_text, path_span) {
                    Some(schema) => schema,
                    None => continue,
                },
            };
            if let Some(excluded) = settings.values.get("exclude") {
                self.check_columns_exist(
                    def.file,
                    &schema,
                    excluded,
                    settings.spans.get("exclude").copied().unwrap_or(value.span),
                    "the data",
                );
            }
            let Some(settings) = self.typed_settings(def.file, def.def.name.span, "source", &settings.values) else {
                continue;
            };
            self.program.sources.push(Source {
                name: def.def.name.name.clone(),
                format,
                path,
                labels,
                schema,
                settings,
            });
        }
    }

    /// A source's typed format. A CSV delimiter is one character (E0206 otherwise).
    fn source_format(&mut self, def: Def<'a>, format: &Value, value: &crate::ast::Expr) -> Option<Format> {
        if let Some(("csv", args)) = format.as_call() {
            let delimiter = args.get("delimiter").and_then(Value::as_str).unwrap_or_default();
            if delimiter.len() != 1 {
                let span = match &value.kind {
                    ExprKind::Call { args, .. } => args
                        .iter()
                        .find(|a| a.name.as_ref().is_some_and(|n| n.name == "delimiter"))
                        .map_or(value.span, |a| a.value.span),
                    _ => value.span,
                };
                self.error(
                    Diagnostic::error(
                        Code::E0206,
                        def.file,
                        span,
                        format!("a delimiter is one character, found {delimiter:?}"),
                    )
                    .with_primary("not a single character")
                    .with_help("write one character, e.g. `delimiter: \";\"`"),
                );
                return None;
            }
        }
        self.typed(def.file, value.span, "this format", format)
    }

    fn declared_schema(&mut self, file: FileId, block: &'a crate::ast::Block) -> Schema {
        let mut schema = Schema { columns: Vec::new(), inferred: false };
        let mut seen: std::collections::HashMap<String, Span> = std::collections::HashMap::new();
        for item in &block.items {
            let BlockItem::Column { name, ty, .. } = item else {
                self.error(
                    Diagnostic::error(Code::E0207, file, item.span(), "a schema block holds column declarations")
                        .with_primary("not a column declaration")
                        .with_help("declare one column per line: `age: float`, `sex: category(male, female)`"),
                );
                continue;
            };
            if let Some(&first) = seen.get(&name.name) {
                self.error(
                    Diagnostic::error(
                        Code::E0101,
                        file,
                        name.span,
                        format!("column `{}` is declared twice", name.name),
                    )
                    .with_primary("declared again here")
                    .with_label(first, "first declared here")
                    .with_help("column names must be unique: remove one declaration"),
                );
                continue;
            }
            seen.insert(name.name.clone(), name.span);
            if let Some(ty) = self.column_type(file, ty) {
                schema.columns.push(Column { name: name.name.clone(), ty, nullable: false });
            }
        }
        schema
    }

    fn column_type(&mut self, file: FileId, ty: &TypeExpr) -> Option<ColumnType> {
        let bad = |this: &mut Self, span: Span, message: String, help: String| {
            this.error(
                Diagnostic::error(Code::E0309, file, span, message).with_primary("invalid column type").with_help(help),
            );
            None
        };
        let TypeExpr::Named { name, args, span } = ty else {
            return bad(
                self,
                ty.span(),
                "a column type cannot be a list".into(),
                format!("use one of {}", list_names(COLUMN_TYPES)),
            );
        };
        let args: &[Arg] = args.as_deref().unwrap_or(&[]);
        let dims: Vec<Option<usize>> = args
            .iter()
            .map(|a| a.value.as_number().filter(|v| *v >= 1.0 && v.fract() == 0.0).map(|v| v as usize))
            .collect();
        match name.name.as_str() {
            "float" | "int" | "bool" | "text" if !args.is_empty() => {
                bad(self, *span, format!("`{}` takes no arguments", name.name), format!("write `{}`", name.name))
            }
            "float" => Some(ColumnType::Float),
            "int" => Some(ColumnType::Int),
            "bool" => Some(ColumnType::Bool),
            "text" => Some(ColumnType::Text),
            "category" => {
                let mut levels: Vec<String> = Vec::new();
                for arg in args {
                    match &arg.value.kind {
                        ExprKind::Name(n) | ExprKind::String(n) => levels.push(n.clone()),
                        ExprKind::Number { text, .. } => levels.push(text.clone()),
                        _ => {
                            return bad(
                                self,
                                arg.value.span,
                                "a category level must be a name, a string or a number".into(),
                                "list the levels: `category(male, female)`".into(),
                            );
                        }
                    }
                }
                if levels.len() < 2 {
                    return bad(
                        self,
                        *span,
                        "a category needs at least two levels".into(),
                        "list the levels: `category(male, female)`".into(),
                    );
                }
                levels.sort();
                levels.dedup();
                Some(ColumnType::Category { levels })
            }
            "image" | "sequence"
                if dims.iter().all(Option::is_some) && !dims.is_empty() && {
                    let ty = match dims.as_slice() {
                        [Some(c), Some(h), Some(w)] => Some(ColumnType::Image { channels: *c, height: *h, width: *w }),
                        [Some(l), Some(f)] => Some(ColumnType::Sequence { length: *l, features: *f }),
                        _ => None,
                    };
                    ty.is_some_and(|t| t.tensor_width().is_none())
                } =>
            {
                bad(
                    self,
                    *span,
                    format!(
                        "an `{}` row of these sizes holds more than {} numbers",
                        name.name,
                        crate::types::MAX_TENSOR_WIDTH
                    ),
                    "downscale the images or shorten the sequences".into(),
                )
            }
            "image" => match dims.as_slice() {
                [Some(c), Some(h), Some(w)] => Some(ColumnType::Image { channels: *c, height: *h, width: *w }),
                _ => bad(
                    self,
                    *span,
                    "`image` needs three positive sizes: channels, height, width".into(),
                    "for example `pixels: image(1, 28, 28)`".into(),
                ),
            },
            "sequence" => match dims.as_slice() {
                [Some(l), Some(f)] => Some(ColumnType::Sequence { length: *l, features: *f }),
                _ => bad(
                    self,
                    *span,
                    "`sequence` needs two positive sizes: length and features per step".into(),
                    "for example `window: sequence(24, 3)`".into(),
                ),
            },
            other => {
                let help = match did_you_mean(other, COLUMN_TYPES) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("column types are {}", list_names(COLUMN_TYPES)),
                };
                bad(self, name.span, format!("unknown column type `{other}`"), help)
            }
        }
    }

    fn infer_schema(
        &mut self,
        def: Def<'a>,
        format: &Format,
        path: &std::path::Path,
        path_text: &str,
        path_span: Span,
    ) -> Option<Schema> {
        let sample = match self.sample(format, path) {
            Ok(sample) => sample,
            Err(error) => {
                let (code, message, help) = match error {
                    SampleError::NotFound => (
                        Code::E0302,
                        format!("no data file matches `{path_text}`"),
                        format!("paths are relative to the spec's directory; looked for `{}`", path.display()),
                    ),
                    SampleError::Empty => (
                        Code::E0308,
                        format!("`{path_text}` is empty"),
                        "a data file needs a header row and at least one data row".to_string(),
                    ),
                    SampleError::Unsupported(why) => (
                        Code::E0308,
                        format!("cannot infer the schema of `{path_text}`: {why}"),
                        "declare the columns in a `schema { ... }` block".to_string(),
                    ),
                    SampleError::Unreadable(why) => (
                        Code::E0302,
                        format!("cannot read `{path_text}`: {why}"),
                        "check the file's permissions and encoding (UTF-8)".to_string(),
                    ),
                };
                self.error(
                    Diagnostic::error(code, def.file, path_span, message)
                        .with_primary("in this source")
                        .with_help(help),
                );
                return None;
            }
        };
        if sample.rows.is_empty() {
            self.error(
                Diagnostic::error(Code::E0308, def.file, path_span, format!("`{path_text}` has a header but no rows"))
                    .with_primary("no data to infer column types from")
                    .with_help("add data rows, or declare the columns in a `schema { ... }` block"),
            );
            return None;
        }
        let mut seen = HashSet::new();
        for name in &sample.columns {
            if !seen.insert(name) {
                self.error(
                    Diagnostic::error(
                        Code::E0308,
                        def.file,
                        path_span,
                        format!("column `{name}` appears twice in the header of `{path_text}`"),
                    )
                    .with_primary("duplicate column name")
                    .with_help("rename one of the columns in the file"),
                );
                return None;
            }
        }
        let columns = sample
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let cells: Vec<Option<&str>> =
                    sample.rows.iter().map(|r| r.get(i).and_then(|c| c.as_deref())).collect();
                let (ty, nullable) = infer_column(&cells);
                Column { name: name.clone(), ty, nullable }
            })
            .collect();
        Some(Schema { columns, inferred: true })
    }

    /// The sample of a table source's file(s): read once per path, whatever asks for it
    /// (schema inference, element columns, window counts).
    pub(super) fn sample(
        &self,
        format: &Format,
        path: &std::path::Path,
    ) -> Result<std::rc::Rc<crate::world::Sample>, SampleError> {
        if let Some(cached) = self.samples.borrow().get(path) {
            return cached.clone();
        }
        let sample = match self.world {
            Some(world) => world.sample(format, path, SAMPLE_ROWS).map(std::rc::Rc::new),
            None => Err(SampleError::Unsupported("no data access in this context".into())),
        };
        self.samples.borrow_mut().insert(path.to_path_buf(), sample.clone());
        sample
    }

    /// Reports names in a list value that are not columns of the schema.
    fn check_columns_exist(&mut self, file: FileId, schema: &Schema, names: &Value, span: Span, what: &str) {
        let Value::List(items) = names else { return };
        for item in items {
            let Some(name) = item.as_str() else { continue };
            if schema.get(name).is_none() {
                self.unknown_column(file, span, name, schema.names(), what);
            }
        }
    }

    pub(super) fn unknown_column<'n>(
        &mut self,
        file: FileId,
        span: Span,
        name: &str,
        columns: impl Iterator<Item = &'n str>,
        context: &str,
    ) {
        let columns: Vec<&str> = columns.collect();
        let help = match did_you_mean(name, columns.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("the columns are {}", list_names(columns)),
        };
        self.error(
            Diagnostic::error(Code::E0301, file, span, format!("unknown column `{name}`"))
                .with_primary(format!("no column `{name}` in {context}"))
                .with_help(help),
        );
    }

    pub(super) fn check_datasets(&mut self) {
        // Datasets may build on other datasets: check them in dependency order, reporting cycles.
        let datasets = self.defs_of(DefKind::Dataset);
        let mut done: HashSet<String> = HashSet::new();
        let mut pending: Vec<Def<'a>> = datasets.clone();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|def| {
                let parent = def.def.value.as_ref().and_then(|v| v.as_name()).map(str::to_string);
                matches!(parent, Some(p) if self.defs.get(&p).is_some_and(|d| d.def.kind == DefKind::Dataset) && !done.contains(&p))
            });
            let ready: Vec<Def<'a>> = datasets
                .iter()
                .filter(|d| !done.contains(&d.def.name.name) && !pending.iter().any(|p| p.def.name == d.def.name))
                .copied()
                .collect();
            for def in &ready {
                self.check_dataset(*def);
                done.insert(def.def.name.name.clone());
            }
            if pending.len() == before {
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
                self.error(d);
                break;
            }
        }
    }

    fn check_dataset(&mut self, def: Def<'a>) {
        let name = def.def.name.name.clone();
        let Some(value) = self.required_value(def, &format!("dataset {name} = source_name")) else { return };
        let Some(parent_name) = value.as_name() else {
            self.error(
                Diagnostic::error(
                    Code::E0202,
                    def.file,
                    value.span,
                    "a dataset is built from a source or another dataset",
                )
                .with_primary("expected a source name")
                .with_help(format!("write `dataset {name} = source_name`")),
            );
            return;
        };
        let Some(parent) = self.resolve(def.file, parent_name, value.span, &[DefKind::Source, DefKind::Dataset]) else {
            return;
        };
        let settings = self.settings(def.file, "dataset", def.def.body.as_ref(), false, false);
        self.no_statements(def.file, &settings.other, "dataset");

        // What the parent provides: a source's schema and label, or a dataset's settings.
        let (source_name, mut schema, inherited) = if parent.def.kind == DefKind::Source {
            let Some(source) = self.program.sources.iter().find(|s| s.name == parent_name) else { return };
            (source.name.clone(), source.schema.clone(), Value::config_of(&source.settings))
        } else {
            let Some(ds) = self.program.datasets.iter().find(|d| d.name == parent_name) else { return };
            let mut schema = ds.schema.clone();
            schema.columns.retain(|c| !self.program.features.iter().any(|f| f.name == c.name));
            (ds.source.clone(), schema, Value::config_of(&ds.settings))
        };
        let Ok(mut inherited) = inherited else { return };
        // Preprocessing is applied once: a dataset on a dataset that already normalizes or encodes
        // must not do it again.
        if parent.def.kind == DefKind::Dataset {
            for key in ["normalize", "encode", "window", "tokenize"] {
                let parent_does = inherited.get(key).and_then(Value::as_str).is_some_and(|v| v != "none");
                let child_does = settings.values.get(key).and_then(Value::as_str).is_some_and(|v| v != "none");
                if let (true, true, Some(&span)) = (parent_does, child_does, settings.spans.get(key)) {
                    let parent_span = parent.def.body.iter().flat_map(|b| &b.items).find_map(|i| match i {
                        BlockItem::Setting { key: k, span, .. } if k.name == key => Some(*span),
                        _ => None,
                    });
                    let mut d = Diagnostic::error(
                        Code::E0306,
                        def.file,
                        span,
                        format!("`{key}` is applied twice: `{parent_name}` already does it"),
                    )
                    .with_primary("applied again here")
                    .with_help(format!(
                        "remove `{key}` here, or build `{name}` on the source instead of `{parent_name}`"
                    ));
                    d = match parent_span {
                        Some(ps) => d.with_label_in(parent.file, ps, "first applied here"),
                        None => d.with_label_in(
                            parent.file,
                            parent.def.name.span,
                            format!("`{parent_name}` applies `{key}` by default"),
                        ),
                    };
                    self.error(d);
                }
            }
        }
        for (k, v) in &settings.values {
            match (k.as_str(), inherited.get_mut(k), v) {
                // Exclusions add up along the chain source → dataset → dataset.
                ("exclude", Some(Value::List(earlier)), Value::List(more)) => earlier.extend(more.iter().cloned()),
                _ => {
                    inherited.insert(k.clone(), v.clone());
                }
            }
        }
        let mut values = inherited;
        let declaration = self.stdlib.settings("dataset").expect("dataset settings are declared");
        for param in &declaration.params {
            if values.contains_key(&param.name) {
                continue;
            }
            if let Some(default) = &param.default {
                if let Some(v) = self.default_value(param, default) {
                    values.insert(param.name.clone(), v);
                }
            }
        }

        if let Some(excluded) = settings.values.get("exclude") {
            let span = settings.spans.get("exclude").copied().unwrap_or(value.span);
            self.check_columns_exist(def.file, &schema, excluded, span, "the data");
        }
        // A split may be keyed by a column the models must not see (a date, a fold name): it is
        // resolved against the columns before exclusion.
        let split_columns = schema.clone();
        if let Some(Value::List(excluded)) = values.get("exclude") {
            let excluded: Vec<&str> = excluded.iter().filter_map(Value::as_str).collect();
            schema.columns.retain(|c| !excluded.contains(&c.name.as_str()));
        }

        // The label: set here or on the source.
        let Some(label) = values.get("label").and_then(Value::as_str).map(str::to_string) else {
            self.error(
                Diagnostic::error(Code::E0303, def.file, def.def.name.span, format!("dataset `{name}` has no label"))
                    .with_primary("which column should the models predict?")
                    .with_help(format!("add `label = column_name` to `{name}` or to source `{source_name}`")),
            );
            return;
        };
        let label_span = settings
            .spans
            .get("label")
            .copied()
            .map(|s| (def.file, s))
            .or_else(|| self.setting_span(&source_name, "label"))
            .unwrap_or((def.file, def.def.name.span));
        let Some(label_column) = schema.get(&label).cloned() else {
            self.unknown_column(
                label_span.0,
                label_span.1,
                &label,
                schema.names().map(str::to_string).collect::<Vec<_>>().iter().map(String::as_str),
                "the data",
            );
            return;
        };
        if let ColumnType::Category { levels } = &label_column.ty {
            if levels.len() < 2 {
                self.error(
                    Diagnostic::error(
                        Code::E0307,
                        label_span.0,
                        label_span.1,
                        format!("label `{label}` has a single class"),
                    )
                    .with_primary(format!("every sampled row is `{}`", levels.first().map_or("", String::as_str)))
                    .with_help("a classification label needs at least two classes; check the file or the label column"),
                );
                return;
            }
        }
        let Some(task) = Task::of_label(&label_column.ty) else {
            self.error(
                Diagnostic::error(Code::E0307, label_span.0, label_span.1, format!("column `{label}` of type {} cannot be a label", label_column.ty))
                    .with_primary("not a class or a number")
                    .with_help("a label must be a category, a bool or a number; declare its type in a `schema { ... }` block if it was inferred wrongly"),
            );
            return;
        };

        // The positive class of a binary label.
        let positive = values.get("positive").and_then(Value::as_str).map(str::to_string);
        let positive_span = settings
            .spans
            .get("positive")
            .copied()
            .map(|s| (def.file, s))
            .or_else(|| self.setting_span(&source_name, "positive"));
        let levels: Vec<String> = match &label_column.ty {
            ColumnType::Category { levels } => levels.clone(),
            ColumnType::Bool => vec!["false".into(), "true".into()],
            _ => Vec::new(),
        };
        let positive = match (task, positive, positive_span) {
            (Task::Binary, Some(p), Some((file, span))) if !levels.contains(&p) => {
                let help = match did_you_mean(&p, levels.iter().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("the classes of `{label}` are {}", list_names(levels.iter().map(String::as_str))),
                };
                self.error(
                    Diagnostic::error(Code::E0304, file, span, format!("`{p}` is not a class of `{label}`"))
                        .with_primary("not a class of the label")
                        .with_help(help),
                );
                return;
            }
            (Task::Binary, Some(p), _) => Some(p),
            (Task::Binary, None, _) => {
                let chosen = levels.last().cloned().unwrap_or_default();
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::W0003,
                        def.file,
                        def.def.name.span,
                        format!("dataset `{name}` does not say which class of `{label}` is positive"),
                    )
                    .with_primary(format!("`{chosen}` is taken as positive"))
                    .with_help(format!(
                        "add `positive = {chosen}` (or the other class) so precision and recall mean what you expect"
                    )),
                );
                Some(chosen)
            }
            (_, Some(p), Some((file, span))) => {
                self.error(
                    Diagnostic::error(
                        Code::E0304,
                        file,
                        span,
                        format!("a positive class needs a binary label, but `{label}` is {}", task.describe()),
                    )
                    .with_primary(format!("`{p}` cannot be the positive class here"))
                    .with_help("remove `positive`; it only applies to labels with two classes"),
                );
                return;
            }
            (_, _, _) => None,
        };

        // Augmentation, windows and tokens: what the models see of the columns.
        let split_defaulted = !settings.values.contains_key("split") && parent.def.kind == DefKind::Source;
        self.reshape_dataset(def, &settings, &mut values, &mut schema, &label, split_defaulted);

        // The split.
        // The default split is stratified, which needs classes: a regression label defaults to a
        // random split with the same fractions instead.
        if split_defaulted && task == Task::Regression {
            if let Some(Value::Call { call, .. }) = values.get_mut("split") {
                *call = "random".to_string();
            }
        }
        let split_span = settings.spans.get("split").copied().unwrap_or(def.def.name.span);
        if let Some((kind, args)) = values.get("split").and_then(Value::as_call) {
            if kind == "stratified" && task == Task::Regression {
                self.error(
                    Diagnostic::error(
                        Code::E0307,
                        def.file,
                        split_span,
                        format!("a stratified split needs classes, but `{label}` is a number"),
                    )
                    .with_primary("stratification by a numeric label")
                    .with_help("use `split = random(...)` for regression"),
                );
            }
            if let Some(column) = args.get("column").and_then(Value::as_str) {
                if split_columns.get(column).is_none() {
                    self.unknown_column(
                        def.file,
                        split_span,
                        column,
                        split_columns.names().map(str::to_string).collect::<Vec<_>>().iter().map(String::as_str),
                        "the data",
                    );
                }
            }
            let fractions: Vec<f64> =
                ["train", "val", "test"].iter().filter_map(|k| args.get(*k).and_then(Value::as_f64)).collect();
            if fractions.len() == 3 {
                let sum: f64 = fractions.iter().sum();
                if (sum - 1.0).abs() > 1e-6 {
                    self.error(
                        Diagnostic::error(
                            Code::E0305,
                            def.file,
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
                    self.error(
                        Diagnostic::error(Code::E0206, def.file, split_span, "the train split is empty")
                            .with_primary("train fraction is 0")
                            .with_help("give the train split most of the rows, e.g. `train: 0.7`"),
                    );
                }
            }
        }

        let Some(settings) = self.typed_settings::<DatasetSettings>(def.file, def.def.name.span, "dataset", &values)
        else {
            return;
        };
        let inputs: Vec<String> = schema.columns.iter().filter(|c| c.name != label).map(|c| c.name.clone()).collect();
        let input_width =
            schema.columns.iter().filter(|c| c.name != label).map(|c| input_width(&c.ty, settings.encode)).sum();
        let label_type = label_column.ty.clone();
        self.program.datasets.push(Dataset {
            name,
            source: source_name,
            schema,
            label,
            label_type,
            task,
            positive,
            inputs,
            input_width,
            settings,
        });
    }

    /// Where a source set a setting, for labels pointing at the source.
    fn setting_span(&self, def_name: &str, key: &str) -> Option<(FileId, Span)> {
        let def = self.defs.get(def_name)?;
        def.def.body.as_ref()?.items.iter().find_map(|item| match item {
            BlockItem::Setting { key: k, value, .. } if k.name == key => Some((def.file, value.span)),
            _ => None,
        })
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
