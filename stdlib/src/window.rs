//! Sliding windows over a time-ordered table: the `windowing` built-in `sliding(length, step,
//! horizon)` of `stdlib/data.mlp`.
//!
//! A window is `length` consecutive rows of the numeric input columns. Windows start at row 0 and
//! every `step` rows after it. Each window predicts the label of its *target row*, `horizon` rows
//! after its last row: a window over rows `start .. start + length` (end exclusive) targets row
//! `start + length + horizon - 1`, so `horizon = 1` forecasts the row right after the window.
//! Only windows whose target row exists are formed; a table needs `length + horizon` rows for one.
//!
//! Splits assign whole windows by their target row (see `docs/language.md`): with `by_time`,
//! every training window's target comes before the first validation row.

/// The number of windows `n_rows` rows give (0 when they are too few).
pub fn count(n_rows: usize, length: usize, step: usize, horizon: usize) -> usize {
    let needed = length + horizon;
    if length == 0 || step == 0 || horizon == 0 || n_rows < needed { 0 } else { (n_rows - needed) / step + 1 }
}

/// The windows over `columns` (numeric inputs in time order, all of one length): the values as
/// `n_windows × length × n_columns`, row-major (time step by time step, the columns of a step
/// together), and for each window the index of its target row. Panics if `length`, `step` or
/// `horizon` is 0 or the columns differ in length.
pub fn windows(columns: &[&[f64]], length: usize, step: usize, horizon: usize) -> (Vec<f32>, Vec<usize>) {
    assert!(length >= 1 && step >= 1 && horizon >= 1, "length, step and horizon are counts of at least 1");
    let n_rows = columns.first().map_or(0, |c| c.len());
    assert!(columns.iter().all(|c| c.len() == n_rows), "every column needs the same number of rows");
    let n_windows = count(n_rows, length, step, horizon);
    let width = columns.len();
    let mut values = Vec::with_capacity(n_windows * length * width);
    let mut targets = Vec::with_capacity(n_windows);
    for w in 0..n_windows {
        let start = w * step;
        for row in start..start + length {
            values.extend(columns.iter().map(|column| column[row] as f32));
        }
        targets.push(start + length + horizon - 1);
    }
    (values, targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_time_major_and_target_the_row_after_the_horizon() {
        let a: Vec<f64> = (0..6).map(f64::from).collect();
        let b: Vec<f64> = (0..6).map(|v| f64::from(v) * 10.0).collect();
        let (values, targets) = windows(&[&a, &b], 3, 1, 1);
        assert_eq!(targets, vec![3, 4, 5]);
        assert_eq!(&values[..6], &[0.0, 0.0, 1.0, 10.0, 2.0, 20.0]);
        assert_eq!(values.len(), 3 * 3 * 2);
        assert_eq!(&values[12..], &[2.0, 20.0, 3.0, 30.0, 4.0, 40.0]);
    }

    #[test]
    fn step_and_horizon() {
        let a: Vec<f64> = (0..10).map(f64::from).collect();
        let (values, targets) = windows(&[&a], 2, 3, 2);
        // Starts 0, 3, 6; targets start + 2 + 2 - 1; the window at 6 targets 9, the last row.
        assert_eq!(targets, vec![3, 6, 9]);
        assert_eq!(values, vec![0.0, 1.0, 3.0, 4.0, 6.0, 7.0]);
        assert_eq!(count(10, 2, 3, 2), 3);
        // Every target lies after its window's last row and inside the table.
        for (w, t) in targets.iter().enumerate() {
            assert!(*t >= w * 3 + 2 && *t < 10);
        }
    }

    #[test]
    fn too_few_rows_give_no_windows() {
        let a = [1.0, 2.0, 3.0];
        assert_eq!(windows(&[&a], 3, 1, 1), (vec![], vec![]));
        assert_eq!(count(3, 3, 1, 1), 0);
        assert_eq!(count(4, 3, 1, 1), 1);
        assert_eq!(windows(&[], 2, 1, 1), (vec![], vec![]));
    }

    #[test]
    fn counts_agree_with_the_windows_formed() {
        for n in 0..30 {
            for length in 1..6 {
                for step in 1..4 {
                    for horizon in 1..4 {
                        let a: Vec<f64> = (0..n).map(f64::from).collect();
                        let (values, targets) = windows(&[&a], length, step, horizon);
                        let expected = count(n as usize, length, step, horizon);
                        assert_eq!(targets.len(), expected);
                        assert_eq!(values.len(), expected * length);
                        assert!(targets.iter().all(|t| *t < n as usize));
                    }
                }
            }
        }
    }
}
