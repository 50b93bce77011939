//! [`Target`]: the truth of some rows, class indices or numbers, as the label column gives it.

/// The truth for some rows: class indices or numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Classes(Vec<usize>),
    Values(Vec<f64>),
}

impl Target {
    pub fn select(&self, rows: &[usize]) -> Target {
        match self {
            Target::Classes(c) => Target::Classes(rows.iter().map(|&r| c[r]).collect()),
            Target::Values(v) => Target::Values(rows.iter().map(|&r| v[r]).collect()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Target::Classes(c) => c.len(),
            Target::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
