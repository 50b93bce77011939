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
    let inferred = infer(values);
    (inferred.ty, inferred.nullable)
}

/// A column's inferred type, and what about its cells deserves a word.
#[derive(Clone, Debug, PartialEq)]
pub struct Inferred {
    pub ty: ColumnType,
    pub nullable: bool,
    pub note: Option<Note>,
}

/// Something about a column's sampled cells that its type alone does not say.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// Most cells are numbers (at least 90%, or all but one of five or more), but the cell at
    /// `row` (an index into the sampled cells) is not: the column would silently become a
    /// category (E0322).
    NotANumber { row: usize, value: String, numbers: usize, others: usize },
    /// Every present cell holds `value` (W0005).
    Constant { value: String, rows: usize },
    /// A category with about one level per row (W0006).
    LevelPerRow { levels: usize, rows: usize },
}

/// A category level longer than this makes the column text: a 5 MB cell is not a level.
pub const MAX_LEVEL_CHARS: usize = 200;

/// The fewest sampled rows for a [`Note::LevelPerRow`], and the share of distinct levels (in
/// percent) that makes one.
pub const LEVEL_PER_ROW_MIN_ROWS: usize = 50;
pub const LEVEL_PER_ROW_PERCENT: usize = 90;

/// [`infer_column`] with the [`Note`] its cells deserve.
pub fn infer(values: &[Option<&str>]) -> Inferred {
    let present: Vec<(usize, &str)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let nullable = present.len() < values.len();
    let done = |ty: ColumnType, note: Option<Note>| Inferred { ty, nullable, note };
    if present.is_empty() {
        return done(ColumnType::Float, None);
    }
    let constant = || {
        let first = present[0].1;
        (present.len() >= 2 && present.iter().all(|(_, v)| *v == first))
            .then(|| Note::Constant { value: first.to_string(), rows: present.len() })
    };
    if present.iter().all(|(_, v)| matches!(v.to_ascii_lowercase().as_str(), "true" | "false")) {
        return done(ColumnType::Bool, constant());
    }
    if present.iter().all(|(_, v)| v.parse::<i64>().is_ok()) {
        return done(ColumnType::Int, constant());
    }
    let numbers = present.iter().filter(|(_, v)| v.parse::<f64>().is_ok()).count();
    if numbers == present.len() {
        return done(ColumnType::Float, constant());
    }
    let others = present.len() - numbers;
    let mostly_numbers = others * 10 <= present.len() || (others == 1 && numbers >= 4);
    let stray = mostly_numbers
        .then(|| present.iter().find(|(_, v)| v.parse::<f64>().is_err()))
        .flatten()
        .map(|&(row, value)| Note::NotANumber { row, value: value.to_string(), numbers, others });
    let mut levels: Vec<String> = present.iter().map(|(_, v)| v.to_string()).collect();
    levels.sort();
    levels.dedup();
    let long = levels.iter().any(|l| l.chars().count() > MAX_LEVEL_CHARS);
    // A column is categorical when its values repeat: at most 50 distinct values, or few
    // compared with the rows seen; and no level is a long text.
    if !long && (levels.len() <= 50 || levels.len() * 5 <= present.len()) {
        let note = stray.or_else(constant).or_else(|| {
            let (rows, distinct) = (present.len(), levels.len());
            (rows >= LEVEL_PER_ROW_MIN_ROWS && distinct * 100 >= rows * LEVEL_PER_ROW_PERCENT)
                .then_some(Note::LevelPerRow { levels: distinct, rows })
        });
        done(ColumnType::Category { levels }, note)
    } else {
        done(ColumnType::Text, stray)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells<'a>(values: &[&'a str]) -> Vec<Option<&'a str>> {
        values.iter().map(|v| if v.is_empty() { None } else { Some(*v) }).collect()
    }

    #[test]
    fn a_stray_word_in_numbers_is_noted_not_made_a_category_silently() {
        let inferred = infer(&cells(&["1", "2.5", "3", "", "abc", "4", "5"]));
        assert_eq!(inferred.note, Some(Note::NotANumber { row: 4, value: "abc".into(), numbers: 5, others: 1 }));
        // A real category with a few numbers in it is no stray.
        assert_eq!(infer(&cells(&["a", "b", "1", "c", "d"])).note, None);
        // Numbers alone are numbers.
        assert_eq!(infer(&cells(&["1", "2.5"])).ty, ColumnType::Float);
    }

    #[test]
    fn constant_and_one_level_per_row_columns_are_noted() {
        assert_eq!(infer(&cells(&["7", "7", "", "7"])).note, Some(Note::Constant { value: "7".into(), rows: 3 }));
        assert_eq!(infer(&cells(&["x"])).note, None, "one row says nothing");
        let names: Vec<String> = (0..50).map(|i| format!("name{i}")).collect();
        let refs: Vec<Option<&str>> = names.iter().map(|n| Some(n.as_str())).collect();
        let inferred = infer(&refs);
        assert!(matches!(inferred.ty, ColumnType::Category { .. }));
        assert_eq!(inferred.note, Some(Note::LevelPerRow { levels: 50, rows: 50 }));
        assert_eq!(infer(&cells(&["a", "b", "a", "b"])).note, None);
    }

    #[test]
    fn a_long_cell_makes_text_not_a_level() {
        let long = "w".repeat(MAX_LEVEL_CHARS + 1);
        assert_eq!(infer(&[Some("a"), Some(long.as_str()), Some("a")]).ty, ColumnType::Text);
    }
}
