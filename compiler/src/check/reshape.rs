//! Part of the datasets pass: dataset settings that change what the models see: `augment`
//! (training images only), `window` (numeric rows → one `window: sequence(length, inputs)`
//! column) and `tokenize` (each `text` input → a `sequence(length, 1)` column of token ids).

use super::context::Def;
use super::datasets::Known;
use super::pass::Pass;
use super::values::Settings;
use crate::ast::DefKind;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::program::{Config, Tokenizer, Value, Windowing};
use crate::span::Span;
use crate::types::{Column, ColumnType, Schema};
use crate::world::SAMPLE_ROWS;

/// The column a `window` setting puts in place of the numeric inputs.
pub const WINDOW_COLUMN: &str = "window";

/// Splits that keep windows apart: `by_time` (no look-ahead) and `random`.
const WINDOW_SPLITS: [&str; 2] = ["by_time", "random"];

/// What [`Reshape::apply`] works from: the dataset, the settings written on it (a parent
/// dataset's schema already shows the parent's windows and tokens), its label, and whether the
/// split is the declaration's default (which a window turns into `random`).
pub(super) struct Reshape<'r, 'a> {
    pub def: Def<'a>,
    pub own: &'r Settings<'a>,
    pub label: &'r str,
    pub split_defaulted: bool,
}

impl Reshape<'_, '_> {
    /// Checks `augment`, `window` and `tokenize` and rewrites `schema` (the dataset's columns,
    /// label included) into what the models see.
    pub fn apply(&self, p: &mut Pass<'_>, known: &Known<'_>, values: &mut Config, schema: &mut Schema) {
        // Augmentation transforms images: the dataset needs an image input.
        let augments = matches!(values.get("augment"), Some(Value::List(items)) if !items.is_empty());
        if augments
            && self.own.values.contains_key("augment")
            && !schema.columns.iter().any(|c| c.name != self.label && matches!(c.ty, ColumnType::Image { .. }))
        {
            p.report(
                Diagnostic::error(Code::E0315, self.def.file, self.span_of("augment"), format!("dataset `{}` has no image column to augment", self.def.def.name.name))
                    .with_primary("augmentation needs an image input")
                    .with_help("declare the pixels as an image column, e.g. `schema { pixels: image(1, 28, 28) }`, or remove `augment`"),
            );
        }
        // The settings were checked against their declarations, so they read as their types.
        if let Some(Ok(Tokenizer::Words { length, .. })) = self.own.values.get("tokenize").map(Value::to_typed) {
            self.tokenize(p, length, schema);
        }
        if let Some(Ok(Windowing::Sliding { length, horizon, .. })) = self.own.values.get("window").map(Value::to_typed)
        {
            self.window(p, known, (length, horizon), values, schema);
        }
    }

    /// Where a setting is written on this dataset, else the dataset's name.
    fn span_of(&self, key: &str) -> Span {
        self.own.spans.get(key).copied().unwrap_or(self.def.def.name.span)
    }

    /// Each `text` input becomes a sequence of token ids; E0318 when there is none.
    fn tokenize(&self, p: &mut Pass<'_>, length: usize, schema: &mut Schema) {
        let mut found = false;
        for column in schema.columns.iter_mut().filter(|c| c.name != self.label) {
            if column.ty == ColumnType::Text {
                column.ty = ColumnType::Sequence { length, features: 1 };
                column.nullable = false;
                found = true;
            }
        }
        if found {
            return;
        }
        let categories: Vec<String> = schema
            .columns
            .iter()
            .filter(|c| c.name != self.label && matches!(c.ty, ColumnType::Category { .. }))
            .map(|c| format!("`{}`", c.name))
            .collect();
        let help = match categories.first() {
            Some(first) => format!(
                "{first} was inferred as a category (its values repeat); declare it `text` in a `schema {{ ... }}` block to tokenize it"
            ),
            None => {
                "tokenize free-text columns: declare one as `text` in a `schema { ... }` block, or remove `tokenize`"
                    .to_string()
            }
        };
        p.report(
            Diagnostic::error(
                Code::E0318,
                self.def.file,
                self.span_of("tokenize"),
                format!("dataset `{}` has no text column to tokenize", self.def.def.name.name),
            )
            .with_primary("no input column of type `text`")
            .with_help(help),
        );
    }

    /// Rows become windows of `length` rows: numeric inputs, a split that keeps windows apart,
    /// enough rows; the inputs become one sequence column.
    fn window(
        &self,
        p: &mut Pass<'_>,
        known: &Known<'_>,
        (length, horizon): (usize, usize),
        values: &mut Config,
        schema: &mut Schema,
    ) {
        let window_span = self.span_of("window");
        self.window_inputs(p, schema);
        self.window_split(p, values);
        // A window needs `length + horizon` rows; a sample shorter than SAMPLE_ROWS is the whole file.
        if let Some(rows) = sampled_rows(p, known, &self.def.def.name.name) {
            if rows < length + horizon {
                p.report(
                    Diagnostic::error(
                        Code::E0316,
                        self.def.file,
                        window_span,
                        format!(
                            "a window of {length} rows with horizon {horizon} needs {} rows, but the data has {rows}",
                            length + horizon
                        ),
                    )
                    .with_primary("longer than the data")
                    .with_help(format!(
                        "use a window of at most {} rows, or more data",
                        rows.saturating_sub(horizon).max(1)
                    )),
                );
            }
        }
        // The window column replaces the inputs even after an error above, so models on the
        // dataset are not reported again for lacking a sequence.
        let label = self.label;
        let features = schema.columns.iter().filter(|c| c.name != label).count();
        let at = schema.columns.iter().position(|c| c.name != label).unwrap_or(0);
        schema.columns.retain(|c| c.name == label);
        schema.columns.insert(
            at.min(schema.columns.len()),
            Column { name: WINDOW_COLUMN.to_string(), ty: ColumnType::Sequence { length, features }, nullable: false },
        );
    }

    /// Every input becomes a feature of each time step, so every input must be a number (E0317).
    fn window_inputs(&self, p: &mut Pass<'_>, schema: &Schema) {
        let name = &self.def.def.name.name;
        let unfit: Vec<&Column> = schema
            .columns
            .iter()
            .filter(|c| c.name != self.label && !matches!(c.ty, ColumnType::Float | ColumnType::Int | ColumnType::Bool))
            .collect();
        if !unfit.is_empty() {
            let listed: Vec<String> = unfit.iter().map(|c| format!("`{}` ({})", c.name, c.ty.keyword())).collect();
            let names: Vec<String> = unfit.iter().map(|c| c.name.clone()).collect();
            p.report(
                Diagnostic::error(
                    Code::E0317,
                    self.def.file,
                    self.span_of("window"),
                    format!("a window needs numeric inputs, but dataset `{name}` has {}", listed.join(", ")),
                )
                .with_primary("windows over non-numeric columns")
                .with_help(format!(
                    "leave them out with `exclude = [{}]` (a time column keys `by_time` even when excluded)",
                    names.join(", ")
                )),
            );
        } else if !schema.columns.iter().any(|c| c.name != self.label) {
            p.report(
                Diagnostic::error(
                    Code::E0317,
                    self.def.file,
                    self.span_of("window"),
                    format!("a window needs numeric inputs, but dataset `{name}` has none besides its label"),
                )
                .with_primary("a window over no columns")
                .with_help("keep at least one numeric column out of `exclude`"),
            );
        }
    }

    /// The split assigns whole windows by their target row: a defaulted split becomes `random`,
    /// a written one must keep windows apart (E0319).
    fn window_split(&self, p: &mut Pass<'_>, values: &mut Config) {
        if self.split_defaulted {
            if let Some(Value::Call { call, .. }) = values.get_mut("split") {
                *call = "random".to_string();
            }
            return;
        }
        let Some(kind) = values.get("split").and_then(Value::as_call).map(|(k, _)| k.to_string()) else { return };
        if !WINDOW_SPLITS.contains(&kind.as_str()) {
            let window_span = self.span_of("window");
            p.report(
                Diagnostic::error(
                    Code::E0319,
                    self.def.file,
                    self.own.spans.get("split").copied().unwrap_or(window_span),
                    format!("a `{kind}` split cannot keep windows apart"),
                )
                .with_primary("windows need a split in time order")
                .with_label(window_span, "rows are windowed here")
                .with_help("use `split = by_time(column: ...)` (no look-ahead), or `split = random(...)`"),
            );
        }
    }
}

/// The number of rows in the data of the dataset's source, when the checker's sample holds all
/// of them (fewer than SAMPLE_ROWS); `None` when unknown.
fn sampled_rows(p: &Pass<'_>, known: &Known<'_>, dataset: &str) -> Option<usize> {
    let source_name = source_of(p, dataset)?;
    let source = known.sources.get(source_name.as_str())?;
    let sample = p.cx.sample(&source.format, &source.path).ok()?;
    (sample.rows.len() < SAMPLE_ROWS).then_some(sample.rows.len())
}

/// The source at the root of a dataset's chain.
fn source_of(p: &Pass<'_>, dataset: &str) -> Option<String> {
    let mut name = dataset.to_string();
    for _ in 0..64 {
        let def = p.cx.symbols.get(&name)?;
        let parent = def.def.value.as_ref()?.as_name()?.to_string();
        match p.cx.symbols.get(&parent)?.def.kind {
            DefKind::Source => return Some(parent),
            _ => name = parent,
        }
    }
    None
}
