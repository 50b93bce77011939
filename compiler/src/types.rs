//! Value and column types, dataset schemas, and the learning task a label implies.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The type of a column or of an expression over columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ColumnType {
    Float,
    Int,
    Bool,
    /// Categories with their levels, sorted.
    Category {
        levels: Vec<String>,
    },
    Text,
    /// Channels, height, width.
    Image {
        channels: usize,
        height: usize,
        width: usize,
    },
    /// Time steps and features per step.
    Sequence {
        length: usize,
        features: usize,
    },
}

/// The most numbers one row of an image or sequence column may hold (a 4096 × 4096 RGB image is
/// about 50 million): sizes come from specs and file headers, and a crafted one must not make a
/// check or a run allocate without bound or overflow.
pub const MAX_TENSOR_WIDTH: usize = 1 << 26;

impl ColumnType {
    /// The numbers in one row of an image or sequence column; `None` for other types, and for
    /// sizes whose product overflows or exceeds [`MAX_TENSOR_WIDTH`].
    pub fn tensor_width(&self) -> Option<usize> {
        let dims: &[usize] = match self {
            ColumnType::Image { channels, height, width } => &[*channels, *height, *width],
            ColumnType::Sequence { length, features } => &[*length, *features],
            _ => return None,
        };
        dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).filter(|&w| w <= MAX_TENSOR_WIDTH)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, ColumnType::Float | ColumnType::Int)
    }

    /// The type's name as written in a schema block.
    pub fn keyword(&self) -> &'static str {
        match self {
            ColumnType::Float => "float",
            ColumnType::Int => "int",
            ColumnType::Bool => "bool",
            ColumnType::Category { .. } => "category",
            ColumnType::Text => "text",
            ColumnType::Image { .. } => "image",
            ColumnType::Sequence { .. } => "sequence",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Category { levels } if levels.len() <= 6 => write!(f, "category({})", levels.join(", ")),
            ColumnType::Category { levels } => write!(f, "category({} levels)", levels.len()),
            ColumnType::Image { channels, height, width } => write!(f, "image({channels}, {height}, {width})"),
            ColumnType::Sequence { length, features } => write!(f, "sequence({length}, {features})"),
            other => f.write_str(other.keyword()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    /// Whether any sampled value was missing.
    pub nullable: bool,
}

/// The columns of a source or dataset, in file order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub columns: Vec<Column>,
    /// True when read from the data, false when declared in a `schema { ... }` block.
    pub inferred: bool,
}

impl Schema {
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }
}

/// What a label asks the model to learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Binary,
    Multiclass,
    Regression,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Binary => "binary",
            Task::Multiclass => "multiclass",
            Task::Regression => "regression",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Task::Binary => "binary classification",
            Task::Multiclass => "multi-class classification",
            Task::Regression => "regression",
        }
    }

    /// The task a label column implies, or `None` for types that cannot be a label.
    pub fn of_label(ty: &ColumnType) -> Option<Task> {
        match ty {
            ColumnType::Bool => Some(Task::Binary),
            ColumnType::Category { levels } if levels.len() == 2 => Some(Task::Binary),
            ColumnType::Category { levels } if levels.len() > 2 => Some(Task::Multiclass),
            ColumnType::Float | ColumnType::Int => Some(Task::Regression),
            _ => None,
        }
    }
}

/// Infers a column's type from sampled cells: bool, int, float, then category (few distinct
/// values) or text. A missing cell is `None`: the [`World`](crate::world::World) that read the
/// sample decides what is missing (the data layer's markers), so the checker keeps no list of its
/// own; a blank cell counts as missing too.
pub fn infer_column(values: &[Option<&str>]) -> (ColumnType, bool) {
    let present: Vec<&str> = values.iter().flatten().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
    let nullable = present.len() < values.len();
    if present.is_empty() {
        return (ColumnType::Float, nullable);
    }
    let numeric = present.clone();
    let nullable_numeric = nullable;
    if numeric.iter().all(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "false")) && !numeric.is_empty() {
        return (ColumnType::Bool, nullable_numeric);
    }
    if !numeric.is_empty() && numeric.iter().all(|v| v.parse::<i64>().is_ok()) {
        return (ColumnType::Int, nullable_numeric);
    }
    if !numeric.is_empty() && numeric.iter().all(|v| v.parse::<f64>().is_ok()) {
        return (ColumnType::Float, nullable_numeric);
    }
    let mut levels: Vec<String> = present.iter().map(|v| v.to_string()).collect();
    levels.sort();
    levels.dedup();
    // A column is categorical when its values repeat: at most 50 distinct values, or few
    // compared with the rows seen.
    if levels.len() <= 50 || levels.len() * 5 <= present.len() {
        (ColumnType::Category { levels }, nullable)
    } else {
        (ColumnType::Text, nullable)
    }
}
