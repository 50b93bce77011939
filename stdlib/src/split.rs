//! The `split` built-ins of `stdlib/data.mlp`: which rows train, validate and test.
//!
//! Every function returns a [`Split`]: row indices, each list sorted ascending, together covering
//! every row exactly once.
//!
//! **Counts.** For `n` rows and fractions `train + val + test = 1`, the test split gets
//! `ceil(n · test)` rows, as scikit-learn's `train_test_split` does, the validation split
//! `ceil(n · val)` of what is left, and train the rest; so the three counts always add up to `n`.
//! Products are shrunk by a relative 1e-12 before the ceiling so that `100 · 0.15`, which is
//! 15.000000000000002 in binary floating point, gives 15 rows rather than 16. When `n ≥ 1` and
//! the train fraction is above 0 but the ceilings left train empty (tiny tables), one row moves
//! back to train from val, or from test when val is empty.
//!
//! **Order.** `random` and `stratified` shuffle with [`Rng`] seeded by the pipeline seed, then
//! deal the shuffled rows out train first, then val, then test. `by_time` deals rows out in time
//! order.

use crate::rng::Rng;

/// Row indices of the three splits, each sorted ascending.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub val: Vec<usize>,
    pub test: Vec<usize>,
}

/// The fractions of rows wanted in each split; they must lie in [0, 1] and sum to 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fractions {
    pub train: f64,
    pub val: f64,
    pub test: f64,
}

impl Default for Fractions {
    /// The defaults declared in `stdlib/data.mlp`: 0.7, 0.15, 0.15.
    fn default() -> Self {
        Fractions { train: 0.7, val: 0.15, test: 0.15 }
    }
}

/// Why rows could not be split.
#[derive(Clone, Debug, PartialEq)]
pub enum SplitError {
    /// A fraction outside [0, 1], not a number, or fractions not summing to 1.
    Fractions(Fractions),
    /// `by_column`: row `row` (0-based) names no split; `value` is `None` when it is missing.
    UnknownSplitName { row: usize, value: Option<String> },
    /// `by_time`: row `row` (0-based) has no time (missing or NaN).
    MissingTime { row: usize },
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::Fractions(Fractions { train, val, test }) => write!(
                f,
                "split fractions must lie between 0 and 1 and sum to 1, found train {train}, val {val}, test {test}"
            ),
            SplitError::UnknownSplitName { row, value: Some(value) } => write!(
                f,
                "row {} names split \"{value}\", expected `train`, `val` (or `validation`) or `test`",
                row + 1
            ),
            SplitError::UnknownSplitName { row, value: None } => {
                write!(f, "row {} names no split (the value is missing)", row + 1)
            }
            SplitError::MissingTime { row } => write!(f, "row {} has no time to sort by", row + 1),
        }
    }
}

impl std::error::Error for SplitError {}

/// Split counts for `n` rows: (train, val, test), adding up to `n` (see the module doc).
pub fn counts(n: usize, fractions: Fractions) -> Result<(usize, usize, usize), SplitError> {
    validate(fractions)?;
    let mut test = ceil_share(n, fractions.test).min(n);
    let mut val = ceil_share(n, fractions.val).min(n - test);
    if n > 0 && fractions.train > 0.0 && test + val == n {
        // Tiny tables: a model needs at least one training row; keep a test row if possible.
        if val > 0 {
            val -= 1;
        } else {
            test -= 1;
        }
    }
    Ok((n - test - val, val, test))
}

fn validate(fractions: Fractions) -> Result<(), SplitError> {
    let Fractions { train, val, test } = fractions;
    let in_range = [train, val, test].iter().all(|f| (0.0..=1.0).contains(f));
    if in_range && (train + val + test - 1.0).abs() <= 1e-6 { Ok(()) } else { Err(SplitError::Fractions(fractions)) }
}

/// `ceil(n · fraction)`, forgiving the last bits of binary rounding (see the module doc).
fn ceil_share(n: usize, fraction: f64) -> usize {
    let exact = n as f64 * fraction;
    (exact * (1.0 - 1e-12)).ceil().max(0.0) as usize
}

/// Deals `rows` out in order: the first `train` to train, the next `val` to val, the rest to
/// test, appending to `split`.
fn deal(rows: &[usize], train: usize, val: usize, split: &mut Split) {
    let (train_rows, rest) = rows.split_at(train.min(rows.len()));
    let (val_rows, test_rows) = rest.split_at(val.min(rest.len()));
    split.train.extend_from_slice(train_rows);
    split.val.extend_from_slice(val_rows);
    split.test.extend_from_slice(test_rows);
}

fn sorted(mut split: Split) -> Split {
    split.train.sort_unstable();
    split.val.sort_unstable();
    split.test.sort_unstable();
    split
}

/// `random(train, val, test)`: `n` rows shuffled with `seed`, then dealt out.
pub fn random(n: usize, fractions: Fractions, seed: u64) -> Result<Split, SplitError> {
    let (train, val, _) = counts(n, fractions)?;
    let mut rows: Vec<usize> = (0..n).collect();
    Rng::new(seed).shuffle(&mut rows);
    let mut split = Split::default();
    deal(&rows, train, val, &mut split);
    Ok(sorted(split))
}

/// `stratified(train, val, test)`: `classes[i]` is row `i`'s class index. Each class's rows are
/// shuffled and dealt out separately so that every split keeps the class proportions.
///
/// The overall val and test counts are those of [`counts`] for all rows; they are shared among
/// the classes in proportion to class sizes by largest remainder (ties to the lower class index),
/// so the totals match `random`'s rather than inflating with one ceiling per class. Every class
/// with at least one row keeps at least one in train (when the train fraction is above 0); when
/// that reservation leaves too few rows for val or test, those splits come out smaller and train
/// larger.
pub fn stratified(classes: &[usize], fractions: Fractions, seed: u64) -> Result<Split, SplitError> {
    let (_, val_total, test_total) = counts(classes.len(), fractions)?;
    let by_class = rows_by_class(classes);
    let sizes: Vec<usize> = by_class.iter().map(Vec::len).collect();
    let reserve = usize::from(fractions.train > 0.0);
    let room: Vec<usize> = sizes.iter().map(|&s| s.saturating_sub(reserve)).collect();
    let test = apportion(test_total, &sizes, &room);
    let room: Vec<usize> = room.iter().zip(&test).map(|(r, t)| r - t).collect();
    let val = apportion(val_total, &sizes, &room);

    let mut rng = Rng::new(seed);
    let mut split = Split::default();
    for (k, mut rows) in by_class.into_iter().enumerate() {
        rng.shuffle(&mut rows);
        let train = rows.len() - val[k] - test[k];
        deal(&rows, train, val[k], &mut split);
    }
    Ok(sorted(split))
}

/// Row indices grouped by class, each group ascending; classes numbered `0..=max`.
fn rows_by_class(classes: &[usize]) -> Vec<Vec<usize>> {
    let count = classes.iter().max().map_or(0, |&m| m + 1);
    let mut groups = vec![Vec::new(); count];
    for (row, &class) in classes.iter().enumerate() {
        groups[class].push(row);
    }
    groups
}

/// Shares `total` among groups in proportion to `weights` (largest remainder), never giving a
/// group more than its `room`. Gives out less than `total` only when the rooms are exhausted.
fn apportion(total: usize, weights: &[usize], room: &[usize]) -> Vec<usize> {
    let weight_sum: usize = weights.iter().sum();
    if weight_sum == 0 {
        return vec![0; weights.len()];
    }
    // Exact integer quotas: total · w / sum, as quotient and remainder.
    let quota =
        |w: usize| (total as u128 * w as u128 / weight_sum as u128, total as u128 * w as u128 % weight_sum as u128);
    let mut shares: Vec<usize> = weights.iter().zip(room).map(|(&w, &r)| (quota(w).0 as usize).min(r)).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest remainder first; a stable sort keeps lower indices first on ties.
    order.sort_by(|&a, &b| quota(weights[b]).1.cmp(&quota(weights[a]).1));
    let mut left = total - shares.iter().sum::<usize>();
    while left > 0 {
        let before = left;
        for &k in &order {
            if left > 0 && shares[k] < room[k] {
                shares[k] += 1;
                left -= 1;
            }
        }
        if left == before {
            break; // every group is full
        }
    }
    shares
}

/// `by_column(column)`: `values[i]` is row `i`'s value of the column: `train`, `val`,
/// `validation` or `test`, in any letter case and ignoring surrounding spaces. A missing value
/// or any other value is an error naming the first such row.
pub fn by_column(values: &[Option<&str>]) -> Result<Split, SplitError> {
    let mut split = Split::default();
    for (row, value) in values.iter().enumerate() {
        let unknown = || SplitError::UnknownSplitName { row, value: value.map(str::to_string) };
        let name = value.ok_or_else(unknown)?.trim().to_ascii_lowercase();
        match name.as_str() {
            "train" => split.train.push(row),
            "val" | "validation" => split.val.push(row),
            "test" => split.test.push(row),
            _ => return Err(unknown()),
        }
    }
    Ok(split)
}

/// `by_time(column, train, val, test)`: `keys[i]` is row `i`'s time as a number (the caller
/// converts dates and timestamps). Rows are sorted by time, ties kept in row order; the earliest
/// go to train, then val, the latest to test, with [`counts`]. A NaN key is an error
/// ([`SplitError::MissingTime`]).
pub fn by_time(keys: &[f64], fractions: Fractions) -> Result<Split, SplitError> {
    if let Some(row) = keys.iter().position(|k| k.is_nan()) {
        return Err(SplitError::MissingTime { row });
    }
    let (train, val, _) = counts(keys.len(), fractions)?;
    let mut rows: Vec<usize> = (0..keys.len()).collect();
    // Stable: equal times keep their row order.
    rows.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    let mut split = Split::default();
    deal(&rows, train, val, &mut split);
    Ok(sorted(split))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fractions(train: f64, val: f64, test: f64) -> Fractions {
        Fractions { train, val, test }
    }

    fn covers_all_rows(split: &Split, n: usize) {
        let mut all: Vec<usize> = split.train.iter().chain(&split.val).chain(&split.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
        for list in [&split.train, &split.val, &split.test] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "not sorted: {list:?}");
        }
    }

    #[test]
    fn counts_follow_scikit_learn_ceiling_for_test() {
        let d = Fractions::default();
        assert_eq!(counts(100, d).unwrap(), (70, 15, 15));
        assert_eq!(counts(10, d).unwrap(), (6, 2, 2));
        assert_eq!(counts(569, fractions(0.8, 0.0, 0.2)).unwrap(), (455, 0, 114));
        assert_eq!(counts(0, d).unwrap(), (0, 0, 0));
        // Tiny tables keep a training row.
        assert_eq!(counts(1, d).unwrap(), (1, 0, 0));
        assert_eq!(counts(2, d).unwrap(), (1, 0, 1));
        assert_eq!(counts(3, d).unwrap(), (1, 1, 1));
        assert_eq!(counts(5, fractions(0.0, 0.0, 1.0)).unwrap(), (0, 0, 5));
        for n in 0..300 {
            let (a, b, c) = counts(n, d).unwrap();
            assert_eq!(a + b + c, n);
        }
    }

    #[test]
    fn bad_fractions_are_errors() {
        for f in [fractions(0.5, 0.2, 0.2), fractions(1.2, -0.1, -0.1), fractions(f64::NAN, 0.5, 0.5)] {
            assert!(matches!(random(10, f, 0), Err(SplitError::Fractions(_))), "{f:?}");
        }
        assert!(SplitError::Fractions(fractions(0.5, 0.2, 0.2)).to_string().contains("sum to 1"));
    }

    #[test]
    fn random_is_deterministic_and_pinned_for_seed_zero() {
        let split = random(10, Fractions::default(), 0).unwrap();
        assert_eq!(split, random(10, Fractions::default(), 0).unwrap());
        covers_all_rows(&split, 10);
        // Cross-checked against an independent Python implementation of Rng and the dealing.
        assert_eq!(split, Split { train: vec![1, 3, 4, 5, 7, 8], val: vec![0, 2], test: vec![6, 9] });
        assert_ne!(random(100, Fractions::default(), 1).unwrap(), random(100, Fractions::default(), 2).unwrap());
    }

    #[test]
    fn random_has_the_counted_proportions() {
        let split = random(1000, Fractions::default(), 5).unwrap();
        covers_all_rows(&split, 1000);
        assert_eq!((split.train.len(), split.val.len(), split.test.len()), (700, 150, 150));
    }

    #[test]
    fn stratified_keeps_class_proportions() {
        // 900 rows of class 0, 100 of class 1.
        let classes: Vec<usize> = (0..1000).map(|i| usize::from(i % 10 == 0)).collect();
        let split = stratified(&classes, Fractions::default(), 0).unwrap();
        covers_all_rows(&split, 1000);
        assert_eq!((split.train.len(), split.val.len(), split.test.len()), (700, 150, 150));
        let positives = |rows: &[usize]| rows.iter().filter(|&&r| classes[r] == 1).count();
        assert_eq!(positives(&split.train), 70);
        assert_eq!(positives(&split.val), 15);
        assert_eq!(positives(&split.test), 15);
        assert_eq!(split, stratified(&classes, Fractions::default(), 0).unwrap());
    }

    #[test]
    fn stratified_keeps_every_class_in_train() {
        // Classes of 1, 2 and 3 rows, and an unused class index 3 in between is fine.
        let classes = [0, 1, 1, 2, 2, 2, 4];
        let split = stratified(&classes, fractions(0.4, 0.3, 0.3), 9).unwrap();
        covers_all_rows(&split, classes.len());
        for class in [0, 1, 2, 4] {
            assert!(split.train.iter().any(|&r| classes[r] == class), "class {class} missing from train");
        }
        assert_eq!(stratified(&[], Fractions::default(), 0).unwrap(), Split::default());
    }

    #[test]
    fn stratified_is_pinned_for_seed_zero() {
        let classes = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        let want = Split { train: vec![0, 1, 4, 5, 6, 7], val: vec![2, 9], test: vec![3, 8] };
        assert_eq!(stratified(&classes, Fractions::default(), 0).unwrap(), want);
    }

    #[test]
    fn apportion_uses_largest_remainders_and_respects_room() {
        assert_eq!(apportion(3, &[1, 1, 1], &[5, 5, 5]), vec![1, 1, 1]);
        assert_eq!(apportion(2, &[1, 1, 1], &[5, 5, 5]), vec![1, 1, 0]);
        assert_eq!(apportion(5, &[6, 3, 1], &[5, 5, 5]), vec![3, 2, 0]);
        assert_eq!(apportion(4, &[2, 2], &[1, 1]), vec![1, 1]);
        assert_eq!(apportion(4, &[0, 0], &[1, 1]), vec![0, 0]);
    }

    #[test]
    fn by_column_reads_names_in_any_case() {
        let values = [Some("train"), Some("TEST"), Some(" Validation "), Some("val"), Some("Train")];
        let split = by_column(&values).unwrap();
        assert_eq!(split, Split { train: vec![0, 4], val: vec![2, 3], test: vec![1] });
    }

    #[test]
    fn by_column_rejects_other_values() {
        let err = by_column(&[Some("train"), Some("holdout")]).unwrap_err();
        assert_eq!(err, SplitError::UnknownSplitName { row: 1, value: Some("holdout".into()) });
        assert!(err.to_string().contains("\"holdout\""));
        let err = by_column(&[None]).unwrap_err();
        assert_eq!(err, SplitError::UnknownSplitName { row: 0, value: None });
    }

    #[test]
    fn by_time_puts_the_latest_rows_in_test_and_is_stable_on_ties() {
        let keys = [5.0, 1.0, 3.0, 3.0, 9.0, 0.0, 3.0, 7.0, 2.0, 8.0];
        let split = by_time(&keys, Fractions::default()).unwrap();
        covers_all_rows(&split, keys.len());
        // Time order: 5(0.0) 1(1.0) 8(2.0) 2 3 6 (3.0, row order) 0(5.0) 7(7.0) 9(8.0) 4(9.0).
        assert_eq!(split, Split { train: vec![1, 2, 3, 5, 6, 8], val: vec![0, 7], test: vec![4, 9] });
        let ties = by_time(&[1.0; 10], Fractions::default()).unwrap();
        assert_eq!(ties, Split { train: (0..6).collect(), val: vec![6, 7], test: vec![8, 9] });
        assert_eq!(by_time(&[1.0, f64::NAN], Fractions::default()), Err(SplitError::MissingTime { row: 1 }));
    }
}
