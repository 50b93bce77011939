//! The typed data built-ins of stdlib/data.mlp and the settings of `source` and `dataset` blocks
//! (stdlib/settings.mlp). Each enum variant is one declaration; its fields are the declaration's
//! parameters, with the declared defaults already filled in by the checker.

use serde::{Deserialize, Serialize};

/// Where a source's rows come from (`extern format`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv { path: String, delimiter: Delimiter },
    Parquet { path: String },
    Jsonl { path: String },
    Idx { path: String, labels: String },
    Images { path: String, channels: usize, height: usize, width: usize },
}

impl Format {
    /// The path as written in the spec (relative to the spec's directory; may be a glob).
    pub fn path(&self) -> &str {
        match self {
            Format::Csv { path, .. }
            | Format::Parquet { path }
            | Format::Jsonl { path }
            | Format::Idx { path, .. }
            | Format::Images { path, .. } => path,
        }
    }

    /// The declaration's name: `csv`, `parquet`, ...
    pub fn name(&self) -> &'static str {
        match self {
            Format::Csv { .. } => "csv",
            Format::Parquet { .. } => "parquet",
            Format::Jsonl { .. } => "jsonl",
            Format::Idx { .. } => "idx",
            Format::Images { .. } => "images",
        }
    }
}

/// A CSV field delimiter: one byte, written as a one-character string in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Delimiter(pub u8);

impl Delimiter {
    pub fn byte(self) -> u8 {
        self.0
    }
}

impl Serialize for Delimiter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&char::from(self.0).to_string())
    }
}

impl<'de> Deserialize<'de> for Delimiter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Delimiter, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_bytes() {
            [byte] => Ok(Delimiter(*byte)),
            _ => Err(serde::de::Error::custom(format!("a delimiter is one character, found {text:?}"))),
        }
    }
}

/// How rows are cut into train, validation and test (`extern split`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Random { train: f64, val: f64, test: f64 },
    Stratified { train: f64, val: f64, test: f64 },
    ByColumn { column: String },
    ByTime { column: String, train: f64, val: f64, test: f64 },
}

impl Split {
    /// The column a `by_column` or `by_time` split reads.
    pub fn column(&self) -> Option<&str> {
        match self {
            Split::ByColumn { column } | Split::ByTime { column, .. } => Some(column),
            _ => None,
        }
    }

    /// Train, validation and test fractions, for the splits that have them.
    pub fn fractions(&self) -> Option<[f64; 3]> {
        match *self {
            Split::Random { train, val, test }
            | Split::Stratified { train, val, test }
            | Split::ByTime { train, val, test, .. } => Some([train, val, test]),
            Split::ByColumn { .. } => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalizer {
    Zscore,
    Minmax,
    None,
}

impl Normalizer {
    pub fn name(self) -> &'static str {
        match self {
            Normalizer::Zscore => "zscore",
            Normalizer::Minmax => "minmax",
            Normalizer::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Onehot,
    Ordinal,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Onehot => "onehot",
            Encoding::Ordinal => "ordinal",
        }
    }
}

/// What happens to a missing value (`extern missing`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    Drop,
    FillMean,
    FillMedian,
    FillMode,
    Fill { value: f64 },
}

impl Missing {
    /// The declaration's name, as the run record writes it.
    pub fn name(self) -> &'static str {
        match self {
            Missing::Drop => "drop",
            Missing::FillMean => "fill_mean",
            Missing::FillMedian => "fill_median",
            Missing::FillMode => "fill_mode",
            Missing::Fill { .. } => "fill",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    All,
    Fraction { of: f64 },
    Balance,
}

/// A random change to training images (`extern augmentation`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Augmentation {
    Flip,
    Crop { padding: usize },
    Rotate { degrees: f64 },
}

/// Sliding windows over a time series (`extern windowing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Windowing {
    Sliding { length: usize, step: usize, horizon: usize },
}

/// Text into token ids (`extern tokenizer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tokenizer {
    Words { length: usize, vocabulary: usize },
}

/// `extern settings source`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSettings {
    pub label: Option<String>,
    pub positive: Option<String>,
    pub exclude: Vec<String>,
}

/// `extern settings dataset`, after inheritance from the parent source or dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetSettings {
    pub label: Option<String>,
    pub positive: Option<String>,
    pub exclude: Vec<String>,
    pub split: Split,
    pub normalize: Normalizer,
    pub encode: Encoding,
    pub missing: Missing,
    pub sample: Sampling,
    pub augment: Vec<Augmentation>,
    pub window: Option<Windowing>,
    pub tokenize: Option<Tokenizer>,
}
