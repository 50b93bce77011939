//! The sources pass: each `source`'s format and path, its columns (declared in a `schema` block,
//! inferred from a sample of the file, or read from image and IDX files in `tensors.rs`) and its
//! settings.

use super::context::{Context, Def};
use super::load::normalize;
use super::names::{did_you_mean, list_names, plausible_column};
use super::pass::{Checked, Pass};
use super::tensors::{Located, check_element_columns, file_schema};
use crate::ast::{Arg, Block, BlockItem, DefKind, Expr, ExprKind, TypeExpr};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId};
use crate::program::{Format, Source, Value};
use crate::span::Span;
use crate::types::{Column, ColumnType, Note, Schema};
use crate::world::{Sample, SampleError};
use std::collections::{HashMap, HashSet};
use std::path::Path;

const COLUMN_TYPES: [&str; 7] = ["float", "int", "bool", "category", "text", "image", "sequence"];

/// Checks every source.
pub(super) fn check<'a>(cx: &'a Context<'a>) -> Checked<Vec<Source>> {
    let mut p = Pass::new(cx);
    let sources = cx.symbols.of_kind(DefKind::Source).iter().filter_map(|&def| source(&mut p, def)).collect();
    p.finish(sources)
}

/// One source; `None` when its format, columns or settings are wrong.
fn source<'a>(p: &mut Pass<'a>, def: Def<'a>) -> Option<Source> {
    let value = p.required_value(def, &format!("source {} = csv(\"data/file.csv\")", def.def.name.name))?;
    let (_, format) = p.builtin_call(def.file, "format", value)?;
    let settings = p.settings(def.file, "source", def.def.body.as_ref(), false, true);
    let mut declared: Option<(Schema, &Block, Span)> = None;
    for item in &settings.other {
        match item {
            BlockItem::Nested { name, block, span } if name.name == "schema" => {
                declared = Some((declared_schema(p, def.file, block), block, *span));
            }
            other => p.no_statements(def.file, &[other], "source"),
        }
    }
    let path_span = match &value.kind {
        ExprKind::Call { args, .. } => args.first().map_or(value.span, |a: &Arg| a.value.span),
        _ => value.span,
    };
    let format = source_format(p, def, &format, value)?;
    let path_text = format.path().to_string();
    let path = normalize(&p.cx.dir_of(def.file).join(&path_text));
    let labels = match &format {
        Format::Idx { labels, .. } => Some(normalize(&p.cx.dir_of(def.file).join(labels))),
        _ => None,
    };
    let at = Located { path: &path, text: &path_text, span: path_span };
    let schema = match (declared, &format) {
        // Images and IDX files define their columns.
        (declared, Format::Idx { .. } | Format::Images { .. }) => {
            file_schema(p, def, &format, labels.as_deref(), &at, declared.map(|(_, _, span)| span))?
        }
        (Some((schema, block, _)), _) => {
            check_element_columns(p, def, &format, &schema, block, &at);
            schema
        }
        (None, _) => {
            let excluded: Vec<&str> = match settings.values.get("exclude") {
                Some(Value::List(names)) => names.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            infer_schema(p, def, &format, &at, &excluded)?
        }
    };
    if let Some(excluded) = settings.values.get("exclude") {
        let span = settings.spans.get("exclude").copied().unwrap_or(value.span);
        p.check_columns_exist(def.file, &schema, excluded, span, "the data");
    }
    let settings = p.typed_settings(def.file, def.def.name.span, "source", &settings.values)?;
    Some(Source { name: def.def.name.name.clone(), format, path, labels, schema, settings })
}

/// A source's typed format. A CSV delimiter is one character (E0206 otherwise).
fn source_format<'a>(p: &mut Pass<'a>, def: Def<'a>, format: &Value, value: &Expr) -> Option<Format> {
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
            p.report(
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
    p.typed(def.file, value.span, "this format", format)
}

/// The columns of a `schema { ... }` block, each declared once with a valid type.
fn declared_schema(p: &mut Pass<'_>, file: FileId, block: &Block) -> Schema {
    let mut schema = Schema { columns: Vec::new(), inferred: false };
    let mut seen: HashMap<String, Span> = HashMap::new();
    for item in &block.items {
        let BlockItem::Column { name, ty, .. } = item else {
            p.report(
                Diagnostic::error(Code::E0207, file, item.span(), "a schema block holds column declarations")
                    .with_primary("not a column declaration")
                    .with_help("declare one column per line: `age: float`, `sex: category(male, female)`"),
            );
            continue;
        };
        if let Some(&first) = seen.get(&name.name) {
            p.report(
                Diagnostic::error(Code::E0101, file, name.span, format!("column `{}` is declared twice", name.name))
                    .with_primary("declared again here")
                    .with_label(first, "first declared here")
                    .with_help("column names must be unique: remove one declaration"),
            );
            continue;
        }
        seen.insert(name.name.clone(), name.span);
        match column_type(ty) {
            Ok(ty) => schema.columns.push(Column { name: name.name.clone(), ty, nullable: false }),
            Err(Invalid { span, message, help }) => p.report(
                Diagnostic::error(Code::E0309, file, span, message).with_primary("invalid column type").with_help(help),
            ),
        }
    }
    schema
}

/// Why a declared column type is not one (E0309): where, what and how to fix it.
struct Invalid {
    span: Span,
    message: String,
    help: String,
}

fn invalid(span: Span, message: impl Into<String>, help: impl Into<String>) -> Invalid {
    Invalid { span, message: message.into(), help: help.into() }
}

/// The column type a declaration names.
fn column_type(ty: &TypeExpr) -> Result<ColumnType, Invalid> {
    let TypeExpr::Named { name, args, span } = ty else {
        return Err(invalid(
            ty.span(),
            "a column type cannot be a list",
            format!("use one of {}", list_names(COLUMN_TYPES)),
        ));
    };
    let args: &[Arg] = args.as_deref().unwrap_or(&[]);
    match name.name.as_str() {
        "float" | "int" | "bool" | "text" if !args.is_empty() => {
            Err(invalid(*span, format!("`{}` takes no arguments", name.name), format!("write `{}`", name.name)))
        }
        "float" => Ok(ColumnType::Float),
        "int" => Ok(ColumnType::Int),
        "bool" => Ok(ColumnType::Bool),
        "text" => Ok(ColumnType::Text),
        "category" => category(args, *span),
        kind @ ("image" | "sequence") => tensor(kind, args, *span),
        other => {
            let help = match did_you_mean(other, COLUMN_TYPES) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("column types are {}", list_names(COLUMN_TYPES)),
            };
            Err(invalid(name.span, format!("unknown column type `{other}`"), help))
        }
    }
}

/// `category(a, b, ...)`: at least two levels, each a name, a string or a number.
fn category(args: &[Arg], span: Span) -> Result<ColumnType, Invalid> {
    let mut levels: Vec<String> = Vec::new();
    for arg in args {
        match &arg.value.kind {
            ExprKind::Name(n) | ExprKind::String(n) => levels.push(n.clone()),
            ExprKind::Number { text, .. } => levels.push(text.clone()),
            _ => {
                return Err(invalid(
                    arg.value.span,
                    "a category level must be a name, a string or a number",
                    "list the levels: `category(male, female)`",
                ));
            }
        }
    }
    if levels.len() < 2 {
        return Err(invalid(span, "a category needs at least two levels", "list the levels: `category(male, female)`"));
    }
    levels.sort();
    levels.dedup();
    Ok(ColumnType::Category { levels })
}

/// `image(channels, height, width)` or `sequence(length, features)`: positive sizes, and not
/// more numbers in a row than a tensor column holds.
fn tensor(kind: &str, args: &[Arg], span: Span) -> Result<ColumnType, Invalid> {
    let dims: Vec<Option<usize>> = args
        .iter()
        .map(|a| a.value.as_number().filter(|v| *v >= 1.0 && v.fract() == 0.0).map(|v| v as usize))
        .collect();
    let shaped = match dims.as_slice() {
        [Some(c), Some(h), Some(w)] => Some(ColumnType::Image { channels: *c, height: *h, width: *w }),
        [Some(l), Some(f)] => Some(ColumnType::Sequence { length: *l, features: *f }),
        _ => None,
    };
    if shaped.as_ref().is_some_and(|t| t.tensor_width().is_none()) {
        return Err(invalid(
            span,
            format!("an `{kind}` row of these sizes holds more than {} numbers", crate::types::MAX_TENSOR_WIDTH),
            "downscale the images or shorten the sequences",
        ));
    }
    match (kind, shaped) {
        ("image", Some(ty @ ColumnType::Image { .. })) | ("sequence", Some(ty @ ColumnType::Sequence { .. })) => Ok(ty),
        ("image", _) => Err(invalid(
            span,
            "`image` needs three positive sizes: channels, height, width",
            "for example `pixels: image(1, 28, 28)`",
        )),
        _ => Err(invalid(
            span,
            "`sequence` needs two positive sizes: length and features per step",
            "for example `window: sequence(24, 3)`",
        )),
    }
}

/// The columns of a table file, inferred from the checker's sample.
fn infer_schema<'a>(
    p: &mut Pass<'a>,
    def: Def<'a>,
    format: &Format,
    at: &Located<'_>,
    excluded: &[&str],
) -> Option<Schema> {
    let sample = match p.cx.sample(format, at.path) {
        Ok(sample) => sample,
        Err(error) => {
            let (code, message, help) = sample_failure(error, at.text, at.path);
            p.report(
                Diagnostic::error(code, def.file, at.span, message).with_primary("in this source").with_help(help),
            );
            return None;
        }
    };
    if sample.rows.is_empty() {
        p.report(
            Diagnostic::error(Code::E0308, def.file, at.span, format!("`{}` has a header but no rows", at.text))
                .with_primary("no data to infer column types from")
                .with_help("add data rows, or declare the columns in a `schema { ... }` block"),
        );
        return None;
    }
    let mut seen = HashSet::new();
    for name in &sample.columns {
        if !seen.insert(name) {
            p.report(
                Diagnostic::error(
                    Code::E0308,
                    def.file,
                    at.span,
                    format!("column `{name}` appears twice in the header of `{}`", at.text),
                )
                .with_primary("duplicate column name")
                .with_help("rename one of the columns in the file"),
            );
            return None;
        }
    }
    if let (Format::Csv { delimiter, .. }, [_]) = (format, sample.columns.as_slice()) {
        if let Some(help) = delimiter_help(&sample.columns, delimiter.byte()) {
            p.report(
                Diagnostic::error(
                    Code::E0308,
                    def.file,
                    at.span,
                    format!("`{}` reads as a single column with the delimiter `{}`", at.text, delimiter.byte() as char),
                )
                .with_primary("one column: is this the file's delimiter?")
                .with_help(help),
            );
            return None;
        }
    }
    if !column_notes(p, def, &sample, at, excluded) {
        return None;
    }
    Some(sample.inferred_schema())
}

/// Reports what the sampled cells say about each column: a stray word in a column of numbers
/// (E0322, which fails the source: the column would silently become a category), a constant
/// column (W0005) and a category with about a level per row (W0006); the datasets pass keeps
/// the last two from the models. A label is left to the label checks, and a column the source
/// excludes says nothing. `false` after an error.
fn column_notes<'a>(p: &mut Pass<'a>, def: Def<'a>, sample: &Sample, at: &Located<'_>, excluded: &[&str]) -> bool {
    let labels = label_names(p.cx);
    let mut fine = true;
    for (i, (name, inferred)) in sample.columns.iter().zip(sample.inferred()).enumerate() {
        let Some(note) = inferred.note else { continue };
        if excluded.contains(&name.as_str()) {
            continue;
        }
        // A header that does not look like column names is not quoted (see `plausible_column`).
        let name = if plausible_column(name) { name.clone() } else { format!("#{}", i + 1) };
        let diagnostic = match note {
            Note::NotANumber { row, value, numbers, others } => {
                fine = false;
                let value = shown_cell(&value);
                Diagnostic::error(
                    Code::E0322,
                    def.file,
                    at.span,
                    format!("column `{name}` holds numbers, but {} holds `{value}`", sample.where_is(row)),
                )
                .with_primary(format!(
                    "{numbers} of {} sampled values of `{name}` are numbers: it would silently become a category",
                    numbers + others
                ))
                .with_help(format!(
                    "fix the cell or mark it missing (empty, `NA` or `?`), or declare the columns in a `schema {{ ... }}` block (`{name}: float`, or `{name}: category(...)` if it holds categories)"
                ))
            }
            _ if labels.contains(name.as_str()) => continue,
            Note::Constant { value, rows } => Diagnostic::warning(
                Code::W0005,
                def.file,
                at.span,
                format!("column `{name}` holds the single value `{}` in {rows} sampled rows", shown_cell(&value)),
            )
            .with_primary(format!("`{name}` is not given to the models"))
            .with_help(format!("a constant tells the models nothing; exclude it on the source (`exclude = [{name}]`) to silence this")),
            Note::LevelPerRow { levels, rows } => Diagnostic::warning(
                Code::W0006,
                def.file,
                at.span,
                format!("category column `{name}` has {levels} levels in {rows} sampled rows"),
            )
            .with_primary(format!("`{name}` is not given to the models"))
            .with_help(format!(
                "an identifier or free text has nothing to learn from as a category; exclude it on the source (`exclude = [{name}]`) to silence this, or declare it `text` and tokenize it"
            )),
        };
        p.report(diagnostic);
    }
    fine
}

/// When another delimiter (`,`, `;`, tab or `|`) splits a CSV header into more columns than
/// `declared` did, the help that suggests the best of them.
pub(super) fn delimiter_help(columns: &[String], declared: u8) -> Option<String> {
    let line = columns.join(&(declared as char).to_string());
    let mut best: Option<(usize, char)> = None;
    for candidate in [',', ';', '\t', '|'] {
        if candidate as u32 == u32::from(declared) {
            continue;
        }
        let count = line.split(candidate).count();
        if count > columns.len() && best.is_none_or(|(n, _)| count > n) {
            best = Some((count, candidate));
        }
    }
    let (count, delimiter) = best?;
    let quoted = format!("{:?}", delimiter.to_string());
    Some(format!("the header splits into {count} columns on {quoted}: add `delimiter: {quoted}`"))
}

/// Every column named as a label, on a source or a dataset: the label checks speak for those.
fn label_names<'a>(cx: &Context<'a>) -> HashSet<&'a str> {
    let mut labels = HashSet::new();
    for kind in [DefKind::Source, DefKind::Dataset] {
        for def in cx.symbols.of_kind(kind) {
            for item in def.def.body.iter().flat_map(|b| &b.items) {
                if let BlockItem::Setting { key, value, .. } = item {
                    if key.name == "label" {
                        if let Some(name) = value.as_name() {
                            labels.insert(name);
                        }
                    }
                }
            }
        }
    }
    labels
}

/// A cell's text for a message: at most 40 characters, control characters escaped (`\t`).
pub(super) fn shown_cell(text: &str) -> String {
    let mut shown = String::new();
    for c in text.chars().take(40) {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    if text.chars().count() > 40 {
        shown.push('…');
    }
    shown
}

/// Code, message and help for a table file that cannot be sampled.
fn sample_failure(error: SampleError, path_text: &str, path: &Path) -> (Code, String, String) {
    match error {
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
        SampleError::NotRegular(kind) => not_regular(path_text, &kind),
        SampleError::GlobTooBroad(bound) => glob_too_broad(path_text, &bound),
        SampleError::NotUtf8 { line, byte } => not_utf8(path_text, line, byte),
        SampleError::Unreadable(why) => (
            Code::E0302,
            format!("cannot read `{path_text}`: {why}"),
            "check the file's permissions and encoding (UTF-8)".to_string(),
        ),
    }
}

/// E0323: data that is not UTF-8, with where.
pub(super) fn not_utf8(path_text: &str, line: u64, byte: u64) -> (Code, String, String) {
    (
        Code::E0323,
        format!("`{path_text}` is not valid UTF-8: line {line}, byte {byte}"),
        "save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 in.csv > out.csv`)".to_string(),
    )
}

/// E0320: a data path that names a directory, a FIFO or a device (never opened).
pub(super) fn not_regular(path_text: &str, kind: &str) -> (Code, String, String) {
    let help = if kind == "a directory" {
        format!(
            "point the source at a data file; to read every file of a folder use a glob, e.g. `{}/*.csv`",
            path_text.trim_end_matches('/')
        )
    } else {
        "point the source at a regular data file: pipes, devices and sockets are not read".to_string()
    };
    (Code::E0320, format!("`{path_text}` is {kind}, not a regular file"), help)
}

/// E0321: a glob whose walk went over its budget.
pub(super) fn glob_too_broad(path_text: &str, bound: &crate::world::GlobBound) -> (Code, String, String) {
    let message = if bound.timed_out {
        format!("the glob `{path_text}` ran out of time after visiting {} entries", bound.visited)
    } else {
        format!("the glob `{path_text}` visited more than {} entries without finishing", bound.visited - 1)
    };
    (
        Code::E0321,
        message,
        "narrow the pattern: start it at the folder that holds the data (e.g. `data/*.csv`) and keep `**` away from large folders".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::delimiter_help;

    #[test]
    fn the_delimiter_that_splits_the_header_most_is_suggested() {
        let one = |h: &str| vec![h.to_string()];
        assert_eq!(
            delimiter_help(&one("a;b;c"), b',').as_deref(),
            Some("the header splits into 3 columns on \";\": add `delimiter: \";\"`")
        );
        assert_eq!(
            delimiter_help(&one("a\tb|c\td"), b',').as_deref(),
            Some("the header splits into 3 columns on \"\\t\": add `delimiter: \"\\t\"`")
        );
        // Two columns on `,` that hold `;`-separated names: four on `;`.
        let two = vec!["a;b".to_string(), "c;d".to_string()];
        assert!(delimiter_help(&two, b',').is_some_and(|h| h.contains("3 columns on \";\"")));
        assert_eq!(delimiter_help(&one("text"), b','), None);
        assert_eq!(delimiter_help(&["x".to_string(), "y".to_string()], b','), None);
    }
}
