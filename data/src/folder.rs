//! `images(path, channels, height, width)` sources: a folder per class (`path/<class>/*.png`),
//! decoded in parallel with the `image` crate, converted to grey or RGB, resized to the declared
//! size and stored channel-first with values from 0 to 255. Each row's origin is its image file.

use crate::columns::{Cell, ColumnData, Kind};
use crate::diag;
use crate::error::{RunError, RunResult};
use crate::excerpt::Layout;
use crate::table::FileRows;
use crate::table::Table;
use image::imageops::FilterType;
use mlp_compiler::codes::Code;
use mlp_compiler::plan::LoadStep;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Whether a file name is an image this source reads: `.png`, `.jpg`, `.jpeg` in any case.
fn is_image(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.') && [".png", ".jpg", ".jpeg"].iter().any(|e| lower.ends_with(e))
}

/// The entries of a folder, sorted by name: `(name, path, is_dir)`.
fn entries(path: &Path) -> RunResult<Vec<(String, PathBuf, bool)>> {
    let read = std::fs::read_dir(path).map_err(|e| diag::unreadable(path, &e))?;
    let mut entries = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| diag::unreadable(path, &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = path.is_dir();
        entries.push((name, path, is_dir));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

fn folder_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

pub(crate) fn load(source: &LoadStep, channels: usize, height: usize, width: usize) -> RunResult<Table> {
    let root = source.path.as_path();
    let mut files: Vec<(PathBuf, usize)> = Vec::new();
    let mut classes: Vec<String> = Vec::new();
    for (name, path, is_dir) in entries(root)? {
        if !is_dir || name.starts_with('.') {
            continue;
        }
        let images: Vec<PathBuf> =
            entries(&path)?.into_iter().filter(|(n, _, d)| !d && is_image(n)).map(|(_, p, _)| p).collect();
        if images.is_empty() {
            return Err(RunError::new(Code::E0723, format!("class folder `{name}` holds no images"))
                .in_file(&path, None, None)
                .with_help(format!(
                    "put the `{name}` images (.png, .jpg, .jpeg) in `{}`, or remove the folder",
                    path.display()
                )));
        }
        files.extend(images.into_iter().map(|p| (p, classes.len())));
        classes.push(name);
    }
    if classes.len() < 2 {
        let found = match classes.first() {
            None => "none".to_string(),
            Some(only) => format!("only `{only}`"),
        };
        return Err(RunError::new(
            Code::E0724,
            format!("`{}` needs a folder of images per class, and has {found}", folder_name(root)),
        )
        .in_file(root, None, None)
        .with_help("put each class's images in its own folder: `images/cat/1.png`, `images/dog/1.png`"));
    }
    let pixels = channels * height * width;
    let decoded: Vec<Result<Vec<f32>, String>> =
        files.par_iter().map(|(path, _)| decode(path, channels, height, width)).collect();
    let mut values = Vec::with_capacity(files.len() * pixels);
    for ((path, _), image) in files.iter().zip(decoded) {
        match image {
            Ok(image) => values.extend(image),
            Err(why) => {
                return Err(RunError::new(
                    Code::E0722,
                    format!("image `{}` cannot be decoded: {why}", folder_name(path)),
                )
                .in_file(path, None, None)
                .with_help("replace or remove the file; PNG and JPEG images are read"));
            }
        }
    }
    let mut labels = ColumnData::new(Kind::Str);
    for (_, class) in &files {
        labels.push(Cell::Str(&classes[*class]));
    }
    let failed = |why: String| {
        RunError::new(Code::E0701, format!("the images of `{}` cannot be held: {why}", folder_name(root)))
            .with_help("read fewer or smaller images")
    };
    let image = ColumnData::tensor(pixels, values).finish().map_err(failed)?;
    let label = labels.finish().map_err(failed)?;
    let rows = files.len();
    let rows_from = files
        .into_iter()
        .enumerate()
        .map(|(row, (path, _))| FileRows { path, first_row: row, lines: vec![1] })
        .collect();
    let names = vec!["image".into(), "label".into()];
    Ok(Table { names, columns: vec![image, label], rows, files: rows_from, layout: Layout::Binary })
}

/// One image as `channels × height × width` values from 0 to 255, channel-first.
fn decode(path: &Path, channels: usize, height: usize, width: usize) -> Result<Vec<f32>, String> {
    let image = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .decode()
        .map_err(|e| e.to_string())?;
    let (w, h) = (width as u32, height as u32);
    let plane = height * width;
    let mut out = vec![0f32; channels * plane];
    if channels == 1 {
        let mut grey = image.to_luma8();
        if grey.dimensions() != (w, h) {
            grey = image::imageops::resize(&grey, w, h, FilterType::Triangle);
        }
        for (o, p) in out.iter_mut().zip(grey.as_raw()) {
            *o = f32::from(*p);
        }
    } else {
        let mut rgb = image.to_rgb8();
        if rgb.dimensions() != (w, h) {
            rgb = image::imageops::resize(&rgb, w, h, FilterType::Triangle);
        }
        for (i, p) in rgb.as_raw().chunks_exact(3).enumerate() {
            for (c, &v) in p.iter().enumerate() {
                out[c * plane + i] = f32::from(v);
            }
        }
    }
    Ok(out)
}
