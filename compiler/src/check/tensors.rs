//! Part of the sources pass, for images and sequences: the columns of an `idx` or `images`
//! source, learnt from the files' headers and folders through the `World`; and, for a table
//! source whose schema declares an image or sequence column, the element columns (`pixels_0` …)
//! its header must hold.

use super::context::Def;
use super::pass::Pass;
use crate::ast::{Block, BlockItem};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::idx::{self, IdxHeader};
use crate::program::Format;
use crate::span::Span;
use crate::types::{Column, ColumnType, Schema};
use crate::world::SampleError;
use std::path::Path;

/// File extensions an `images` source reads (any case).
pub const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// Whether a file name is an image an `images` source reads.
pub fn is_image_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.') && IMAGE_EXTENSIONS.iter().any(|e| lower.ends_with(&format!(".{e}")))
}

/// Where a source's files are: the resolved path, the text as written and its span.
pub(super) struct Located<'p> {
    pub path: &'p Path,
    pub text: &'p str,
    pub span: Span,
}

/// The schema of an `idx` or `images` source, read from its files. A `schema { }` block is
/// refused (E0313): the files define the columns. The `labels` path of an `idx` source is
/// resolved against the spec's directory in `args`, as `path` is.
pub(super) fn file_schema<'a>(
    p: &mut Pass<'a>,
    def: Def<'a>,
    format: &Format,
    labels: Option<&Path>,
    at: &Located<'_>,
    schema_block: Option<Span>,
) -> Option<Schema> {
    let format_name = format.name();
    if let Some(span) = schema_block {
        p.report(
            Diagnostic::error(
                Code::E0313,
                def.file,
                span,
                format!("an `{format_name}` source takes no `schema` block"),
            )
            .with_primary("the files define the columns")
            .with_help(match format_name {
                "idx" => "remove the block: the source has `image` (or `x_0` …) and `label` columns",
                _ => "remove the block: the source has the columns `image` and `label`",
            }),
        );
    }
    let columns = match format {
        Format::Idx { labels: labels_text, .. } => idx_columns(p, def, labels_text, labels?, at)?,
        Format::Images { channels, height, width, .. } => folder_columns(p, def, (*channels, *height, *width), at)?,
        _ => return None,
    };
    Some(Schema { columns, inferred: true })
}

fn sample_error<'a>(p: &mut Pass<'a>, def: Def<'a>, span: Span, text: &str, path: &Path, error: SampleError) {
    let (code, message, help) = match error {
        SampleError::NotFound => (
            Code::E0302,
            format!("no data file matches `{text}`"),
            format!("paths are relative to the spec's directory; looked for `{}`", path.display()),
        ),
        SampleError::Empty | SampleError::Unsupported(_) => {
            // Without data access (tests, the language server) the columns stay unknown.
            return;
        }
        SampleError::NotRegular(kind) => super::sources::not_regular(text, &kind),
        SampleError::GlobTooBroad(bound) => super::sources::glob_too_broad(text, &bound),
        SampleError::NotUtf8 { line, byte } => super::sources::not_utf8(text, line, byte),
        SampleError::Unreadable(why) => {
            (Code::E0302, format!("cannot read `{text}`: {why}"), "check the file's permissions".to_string())
        }
    };
    p.report(Diagnostic::error(code, def.file, span, message).with_primary("in this source").with_help(help));
}

/// The header of an IDX file, or an E0311 / E0302 diagnostic.
fn idx_header<'a>(p: &mut Pass<'a>, def: Def<'a>, at: &Located<'_>, what: &str) -> Option<(IdxHeader, Vec<u8>)> {
    let world = p.cx.world?;
    let bytes = match world.read_bytes(at.path, idx::HEADER_BYTES) {
        Ok(bytes) => bytes,
        Err(error) => {
            sample_error(p, def, at.span, at.text, at.path, error);
            return None;
        }
    };
    match idx::parse_header(&bytes) {
        Ok(header) => Some((header, bytes)),
        Err(why) => {
            p.report(
                Diagnostic::error(Code::E0311, def.file, at.span, format!("`{}` is not an IDX {what} file", at.text))
                    .with_primary(format!("{why}"))
                    .with_help("IDX files start with two zero bytes, a type byte and the number of dimensions (MNIST's `train-images-idx3-ubyte`)"),
            );
            None
        }
    }
}

fn idx_columns<'a>(
    p: &mut Pass<'a>,
    def: Def<'a>,
    labels_text: &str,
    labels_path: &Path,
    at: &Located<'_>,
) -> Option<Vec<Column>> {
    let (items, _) = idx_header(p, def, at, "items")?;
    let mut columns = match idx::item_columns(&items) {
        Ok(columns) => columns,
        Err(why) => {
            p.report(
                Diagnostic::error(
                    Code::E0311,
                    def.file,
                    at.span,
                    format!("`{}` holds no images or table rows", at.text),
                )
                .with_primary(why)
                .with_help("write images as [N, h, w] (grey) or [N, h, w, c], a table as [N, features]"),
            );
            return None;
        }
    };
    let labels_at = Located { path: labels_path, text: labels_text, span: at.span };
    let (labels, _) = idx_header(p, def, &labels_at, "labels")?;
    let needed = labels.file_len().unwrap_or(usize::MAX).min(1 << 30);
    let world = p.cx.world?;
    let bytes = match world.read_bytes(labels_path, needed) {
        Ok(bytes) => bytes,
        Err(error) => {
            sample_error(p, def, at.span, labels_text, labels_path, error);
            return None;
        }
    };
    let problem = match idx::label_column(&labels, &bytes) {
        Ok(label) if labels.rows() == items.rows() => {
            columns.push(label);
            None
        }
        Ok(_) => {
            Some(format!("`{}` holds {} items but `{labels_text}` {} labels", at.text, items.rows(), labels.rows()))
        }
        Err(why) => Some(format!("`{labels_text}` is not a labels file: {why}")),
    };
    if let Some(problem) = problem {
        p.report(
            Diagnostic::error(Code::E0311, def.file, at.span, problem)
                .with_primary("in this source")
                .with_help("`labels` names a one-dimensional IDX file with one integer label per item of `path`"),
        );
        return None;
    }
    if let Some(ColumnType::Category { levels }) = columns.last().map(|c| &c.ty) {
        if levels.len() < 2 {
            p.report(
                Diagnostic::error(Code::E0311, def.file, at.span, format!("`{labels_text}` holds a single class"))
                    .with_primary("every label is the same")
                    .with_help("a classifier needs items of at least two classes"),
            );
            return None;
        }
    }
    Some(columns)
}

fn folder_columns<'a>(
    p: &mut Pass<'a>,
    def: Def<'a>,
    (channels, height, width): (usize, usize, usize),
    at: &Located<'_>,
) -> Option<Vec<Column>> {
    if (ColumnType::Image { channels, height, width }).tensor_width().is_none() {
        p.report(
            Diagnostic::error(
                Code::E0314,
                def.file,
                at.span,
                format!("images of {height} × {width} pixels are too large to read"),
            )
            .with_primary("in this source")
            .with_help(format!(
                "an image row holds at most {} numbers: choose a smaller `height` and `width`",
                crate::types::MAX_TENSOR_WIDTH
            )),
        );
        return None;
    }
    if channels != 1 && channels != 3 {
        p.report(
            Diagnostic::error(
                Code::E0314,
                def.file,
                at.span,
                format!("images are read with 1 or 3 channels, not {channels}"),
            )
            .with_primary("in this source")
            .with_help("use `channels: 1` for grey images or `channels: 3` for RGB"),
        );
        return None;
    }
    let mut classes = class_folders(p, def, at)?;
    if classes.len() < 2 {
        p.report(
            Diagnostic::error(
                Code::E0312,
                def.file,
                at.span,
                format!(
                    "`{}` needs a folder per class, and has {}",
                    at.text,
                    match classes.len() {
                        0 => "none".to_string(),
                        _ => format!("only `{}`", classes[0]),
                    }
                ),
            )
            .with_primary("in this source")
            .with_help(format!(
                "put each class's images in its own folder: `{0}/cat/1.png`, `{0}/dog/1.png`",
                at.text.trim_end_matches('/')
            )),
        );
        return None;
    }
    classes.sort();
    Some(vec![
        Column { name: "image".into(), ty: ColumnType::Image { channels, height, width }, nullable: false },
        Column { name: "label".into(), ty: ColumnType::Category { levels: classes }, nullable: false },
    ])
}

/// The class folders of an `images` source, each holding at least one image (E0312).
fn class_folders<'a>(p: &mut Pass<'a>, def: Def<'a>, at: &Located<'_>) -> Option<Vec<String>> {
    let world = p.cx.world?;
    let entries = match world.list_dir(at.path) {
        Ok(entries) => entries,
        Err(error) => {
            sample_error(p, def, at.span, at.text, at.path, error);
            return None;
        }
    };
    let mut classes = Vec::new();
    for entry in entries.iter().filter(|e| e.is_dir && !e.name.starts_with('.')) {
        let folder = at.path.join(&entry.name);
        let files = match world.list_dir(&folder) {
            Ok(files) => files,
            Err(error) => {
                sample_error(p, def, at.span, at.text, &folder, error);
                return None;
            }
        };
        if !files.iter().any(|f| !f.is_dir && is_image_file(&f.name)) {
            p.report(
                Diagnostic::error(
                    Code::E0312,
                    def.file,
                    at.span,
                    format!("class folder `{}` holds no images", entry.name),
                )
                .with_primary("in this source")
                .with_help(format!(
                    "put the `{}` images (.png, .jpg, .jpeg) in `{}/{}/`, or remove the folder",
                    entry.name,
                    at.text.trim_end_matches('/'),
                    entry.name
                )),
            );
            return None;
        }
        classes.push(entry.name.clone());
    }
    Some(classes)
}

/// A table source whose declared schema has image or sequence columns: its header must hold
/// every element column (`pixels_0` … `pixels_63`); E0310 names the first one missing. The
/// file is not read when the schema has no such column, and a file that cannot be sampled is
/// left to the runtime's diagnostics.
pub(super) fn check_element_columns<'a>(
    p: &mut Pass<'a>,
    def: Def<'a>,
    format: &Format,
    schema: &Schema,
    block: &Block,
    at: &Located<'_>,
) {
    if !matches!(format, Format::Csv { .. }) || !schema.columns.iter().any(|c| c.ty.tensor_width().is_some()) {
        return;
    }
    let Ok(sample) = p.cx.sample(format, at.path) else { return };
    for column in &schema.columns {
        let Some(width) = column.ty.tensor_width() else { continue };
        let name = &column.name;
        let Some(missing) = (0..width).map(|i| format!("{name}_{i}")).find(|element| !sample.columns.contains(element))
        else {
            continue;
        };
        let span = block
            .items
            .iter()
            .find_map(|item| match item {
                BlockItem::Column { name: n, span, .. } if n.name == *name => Some(*span),
                _ => None,
            })
            .unwrap_or(at.span);
        p.report(
            Diagnostic::error(
                Code::E0310,
                def.file,
                span,
                format!("column `{missing}` of `{name}: {}` is missing from `{}`", column.ty, at.text),
            )
            .with_primary(format!("`{name}` is read from {width} columns"))
            .with_help(format!(
                "a CSV holds `{name}` as the columns `{name}_0` … `{name}_{}` (channel-first, row by row): add `{missing}` to the file, or fix the declared size",
                width - 1
            )),
        );
    }
}
