//! The `linear(l2)` baseline: logistic regression for two classes, multinomial (softmax)
//! regression for more, and ridge / least squares for regression, each with an unpenalized
//! intercept, fitted on a dense [`Matrix`].
//!
//! **Classification** minimizes the mean cross-entropy plus `(λ/2)·‖W‖²` over the weights `W`
//! (not the intercepts), with `λ = max(l2, 1e-4)`: the floor keeps `linear()` (default `l2 = 0`)
//! well-posed on separable data, where the unpenalized optimum lies at infinity. This is
//! scikit-learn's `LogisticRegression(C = 1 / (λ · n))` on the same `n` training rows (its
//! default `C = 1` is `λ = 1/n`). Two classes use one weight vector (class 1 is the positive
//! class); more classes use one weight vector per class, the symmetric parametrization that
//! scikit-learn's multinomial loss uses. It is solved by Newton's method with a backtracking
//! (Armijo) line search: at most 100 iterations, stopping when the gradient's Euclidean norm is
//! below 1e-8 or no step decreases the objective any more. Each step solves the Newton system
//! by Cholesky; the Hessian of the intercepts is singular for softmax (adding a constant to every
//! intercept changes nothing), so a tiny jitter goes on the diagonal, and the fitted intercepts
//! are centred to sum to zero.
//!
//! **Regression** minimizes `(1/(2n))·‖y − Xw − b‖² + (l2/2)·‖w‖²`, i.e. scikit-learn's
//! `Ridge(alpha = l2 · n)`; `l2 = 0` is ordinary least squares. The columns are centred (which
//! takes care of the intercept exactly) and scaled to unit norm before the normal equations are
//! solved by Cholesky with a 1e-12 jitter: constant columns get weight 0, and collinear columns
//! get (close to) the minimum-norm solution instead of a failure.
//!
//! Newton's method stores a Hessian with `(k·(d + 1))²` entries (`k` = 1 for two classes), so
//! fits with more than [`MAX_PARAMETERS`] parameters are refused rather than run out of memory.

use crate::matrix::Matrix;

/// The penalty floor for classification (see the module doc).
pub const MIN_CLASSIFICATION_L2: f64 = 1e-4;
/// Largest number of parameters (weights and intercepts) a fit accepts.
pub const MAX_PARAMETERS: usize = 2048;
const MAX_ITERATIONS: usize = 100;
const GRADIENT_TOLERANCE: f64 = 1e-8;
/// Sufficient decrease of the Armijo condition.
const ARMIJO: f64 = 1e-4;
/// Added to the Newton system's diagonal, relative to its largest entry.
const JITTER: f64 = 1e-12;

/// What a fitted model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinearKind {
    /// Logistic regression: one weight row, the log-odds of class 1.
    Binary,
    /// Softmax regression: one weight row per class.
    Multinomial,
    /// Least squares / ridge: one weight row, the predicted value.
    Regression,
}

/// Why a linear model could not be fitted or applied.
#[derive(Clone, Debug, PartialEq)]
pub enum LinearError {
    NoRows,
    /// The matrix has `rows` rows but there are `targets` labels or targets.
    LengthMismatch {
        rows: usize,
        targets: usize,
    },
    /// An input value is NaN or infinite (0-based row and column).
    NonFinite {
        row: usize,
        column: usize,
    },
    /// A regression target is NaN or infinite (0-based row).
    NonFiniteTarget {
        row: usize,
    },
    /// A class label is not below the number of classes.
    LabelOutOfRange {
        row: usize,
        label: usize,
        classes: usize,
    },
    /// Classification needs at least two classes.
    TooFewClasses {
        classes: usize,
    },
    /// `l2` is negative or not a number.
    BadPenalty(f64),
    TooManyParameters {
        parameters: usize,
        limit: usize,
    },
    /// Predicting on a matrix with another number of columns than the model was fitted on.
    WidthMismatch {
        expected: usize,
        found: usize,
    },
    /// `predict_proba` on a regression model.
    NotAClassifier,
}

impl std::fmt::Display for LinearError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinearError::NoRows => write!(f, "no training rows"),
            LinearError::LengthMismatch { rows, targets } => {
                write!(f, "{rows} rows of inputs but {targets} targets")
            }
            LinearError::NonFinite { row, column } => {
                write!(f, "input value at row {}, column {} is not a finite number", row + 1, column + 1)
            }
            LinearError::NonFiniteTarget { row } => write!(f, "target at row {} is not a finite number", row + 1),
            LinearError::LabelOutOfRange { row, label, classes } => {
                write!(f, "label {label} at row {} is not one of {classes} classes", row + 1)
            }
            LinearError::TooFewClasses { classes } => {
                write!(f, "classification needs at least 2 classes, found {classes}")
            }
            LinearError::BadPenalty(l2) => write!(f, "`l2` must be a number of at least 0, found {l2}"),
            LinearError::TooManyParameters { parameters, limit } => {
                write!(f, "a linear model with {parameters} parameters is over the limit of {limit}")
            }
            LinearError::WidthMismatch { expected, found } => {
                write!(f, "the model was fitted on {expected} columns, found {found}")
            }
            LinearError::NotAClassifier => write!(f, "a regression model gives no class probabilities"),
        }
    }
}

impl std::error::Error for LinearError {}

/// A fitted linear model.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
    kind: LinearKind,
    /// `m × d`, one row per output (scikit-learn's `coef_` layout): m = 1 except for softmax.
    coefficients: Matrix,
    /// One per output row.
    intercepts: Vec<f64>,
    iterations: usize,
    converged: bool,
}

impl LinearModel {
    /// A model from saved weights: `coefficients` is `m × d` with `m` = 1 for
    /// [`LinearKind::Binary`] and [`LinearKind::Regression`], the number of classes (≥ 2) for
    /// [`LinearKind::Multinomial`]; one intercept per row. `None` when the shapes disagree.
    pub fn from_parts(kind: LinearKind, coefficients: Matrix, intercepts: Vec<f64>) -> Option<Self> {
        let rows_ok = match kind {
            LinearKind::Multinomial => coefficients.rows >= 2,
            LinearKind::Binary | LinearKind::Regression => coefficients.rows == 1,
        };
        let shape_ok = coefficients.data.len() == coefficients.rows * coefficients.cols;
        (rows_ok && shape_ok && intercepts.len() == coefficients.rows).then_some(LinearModel {
            kind,
            coefficients,
            intercepts,
            iterations: 0,
            converged: true,
        })
    }

    pub fn kind(&self) -> LinearKind {
        self.kind
    }

    /// The weights, `m × d` (see [`LinearModel::from_parts`]).
    pub fn weights(&self) -> &Matrix {
        &self.coefficients
    }

    pub fn intercepts(&self) -> &[f64] {
        &self.intercepts
    }

    /// Newton iterations used (0 for regression and for models from saved weights).
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// False when Newton's method stopped before the gradient norm fell below 1e-8 (iteration
    /// limit, or no further decrease possible in floating point).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The number of input columns.
    pub fn width(&self) -> usize {
        self.coefficients.cols
    }

    /// Class probabilities, `n × k` (k = 2 for a binary model: column 1 is the positive class).
    pub fn predict_proba(&self, x: &Matrix) -> Result<Matrix, LinearError> {
        let scores = self.scores(x)?;
        match self.kind {
            LinearKind::Regression => Err(LinearError::NotAClassifier),
            LinearKind::Binary => {
                let data = scores.data.iter().flat_map(|&z| [sigmoid(-z), sigmoid(z)]).collect();
                Ok(Matrix { rows: x.rows, cols: 2, data })
            }
            LinearKind::Multinomial => {
                let mut probabilities = scores;
                for i in 0..probabilities.rows {
                    softmax_in_place(probabilities.row_mut(i));
                }
                Ok(probabilities)
            }
        }
    }

    /// One value per row: the predicted value for regression, the most probable class index
    /// for classification (the lowest index on ties).
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LinearError> {
        let scores = self.scores(x)?;
        Ok(match self.kind {
            LinearKind::Regression => scores.data,
            LinearKind::Binary => scores.data.iter().map(|&z| if z > 0.0 { 1.0 } else { 0.0 }).collect(),
            LinearKind::Multinomial => (0..scores.rows).map(|i| argmax(scores.row(i)) as f64).collect(),
        })
    }

    /// Linear scores `x · Wᵀ + b`, `n × m`.
    fn scores(&self, x: &Matrix) -> Result<Matrix, LinearError> {
        if x.cols != self.width() {
            return Err(LinearError::WidthMismatch { expected: self.width(), found: x.cols });
        }
        let m = self.coefficients.rows;
        let mut out = Matrix::zeros(x.rows, m);
        for i in 0..x.rows {
            let row = x.row(i);
            for c in 0..m {
                out.data[i * m + c] = dot(row, self.coefficients.row(c)) + self.intercepts[c];
            }
        }
        Ok(out)
    }
}

/// Fits logistic (2 classes) or softmax (more) regression: `y[i]` is row `i`'s class index,
/// below `classes`. See the module doc for the objective and the solver.
pub fn fit_classifier(x: &Matrix, y: &[usize], classes: usize, l2: f64) -> Result<LinearModel, LinearError> {
    check_inputs(x, y.len(), l2)?;
    if classes < 2 {
        return Err(LinearError::TooFewClasses { classes });
    }
    if let Some((row, &label)) = y.iter().enumerate().find(|(_, l)| **l >= classes) {
        return Err(LinearError::LabelOutOfRange { row, label, classes });
    }
    let outputs = if classes == 2 { 1 } else { classes };
    check_size(outputs * (x.cols + 1))?;
    let problem = Logistic { x, y, outputs, lambda: l2.max(MIN_CLASSIFICATION_L2) };
    let (theta, iterations, converged) = problem.newton();
    let width = x.cols + 1;
    let mut coefficients = Matrix::zeros(outputs, x.cols);
    let mut intercepts = Vec::with_capacity(outputs);
    for c in 0..outputs {
        coefficients.row_mut(c).copy_from_slice(&theta[c * width..c * width + x.cols]);
        intercepts.push(theta[c * width + x.cols]);
    }
    if outputs > 1 {
        // Only differences between softmax intercepts matter; report the centred ones.
        let mean = intercepts.iter().sum::<f64>() / outputs as f64;
        intercepts.iter_mut().for_each(|b| *b -= mean);
    }
    let kind = if outputs == 1 { LinearKind::Binary } else { LinearKind::Multinomial };
    Ok(LinearModel { kind, coefficients, intercepts, iterations, converged })
}

/// Fits least squares (`l2 = 0`) or ridge regression; see the module doc.
pub fn fit_regressor(x: &Matrix, y: &[f64], l2: f64) -> Result<LinearModel, LinearError> {
    check_inputs(x, y.len(), l2)?;
    if let Some(row) = y.iter().position(|v| !v.is_finite()) {
        return Err(LinearError::NonFiniteTarget { row });
    }
    check_size(x.cols + 1)?;
    let (n, d) = (x.rows, x.cols);
    let means: Vec<f64> = (0..d).map(|j| (0..n).map(|i| x.get(i, j)).sum::<f64>() / n as f64).collect();
    let y_mean = y.iter().sum::<f64>() / n as f64;
    let scales: Vec<f64> = (0..d).map(|j| column_scale(x, j, means[j])).collect();
    let (mut gram, rhs) = scaled_normal_equations(x, y, &means, y_mean, &scales);
    for (a, &scale) in scales.iter().enumerate() {
        if scale > 0.0 {
            gram[a * d + a] += l2 * n as f64 / (scale * scale);
        }
    }
    let v = solve_spd(&mut gram, &rhs);
    let w: Vec<f64> = v.iter().zip(&scales).map(|(&v, &s)| scaled(v, s)).collect();
    let intercept = y_mean - dot(&w, &means);
    let coefficients = Matrix { rows: 1, cols: d, data: w };
    Ok(LinearModel {
        kind: LinearKind::Regression,
        coefficients,
        intercepts: vec![intercept],
        iterations: 0,
        converged: true,
    })
}

/// The norm of column `j` minus its mean, or 0 when the column is constant up to rounding
/// (its centred norm below 1e-10 of its raw norm): a constant column such as 0.1 leaves
/// residuals of about 1e-17 after centring, which scaling would blow up into a fake input.
fn column_scale(x: &Matrix, j: usize, mean: f64) -> f64 {
    let (centred, raw) = (0..x.rows).fold((0.0, 0.0), |(c, r), i| {
        let value = x.get(i, j);
        (c + (value - mean).powi(2), r + value * value)
    });
    if centred.sqrt() <= 1e-10 * raw.sqrt() { 0.0 } else { centred.sqrt() }
}

/// The normal equations of least squares on the centred columns scaled to unit norm
/// (`z = (x − mean) / s`, so the weights are `w = v / s`): `(ZᵀZ, Zᵀ(y − ȳ))`, the matrix
/// row-major and complete (both triangles). Scaling makes the jitter of [`solve_spd`] relative
/// to every column alike.
fn scaled_normal_equations(x: &Matrix, y: &[f64], means: &[f64], y_mean: f64, scales: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let d = x.cols;
    let mut gram = vec![0.0; d * d];
    let mut rhs = vec![0.0; d];
    let mut z = vec![0.0; d];
    for (i, &target) in y.iter().enumerate() {
        for (j, value) in x.row(i).iter().enumerate() {
            z[j] = scaled(value - means[j], scales[j]);
        }
        axpy(target - y_mean, &z, &mut rhs);
        for a in 0..d {
            add_outer_row(&mut gram[a * d..(a + 1) * d], a, z[a], &z);
        }
    }
    for a in 0..d {
        for b in 0..a {
            gram[a * d + b] = gram[b * d + a];
        }
    }
    (gram, rhs)
}

/// `row[b] += weight · v[b]` for `b ≥ from`: one row of an upper-triangular outer product.
fn add_outer_row(row: &mut [f64], from: usize, weight: f64, v: &[f64]) {
    row[from..].iter_mut().zip(&v[from..]).for_each(|(r, x)| *r += weight * x);
}

/// `value / scale`, or 0 for a constant column (scale 0).
fn scaled(value: f64, scale: f64) -> f64 {
    if scale > 0.0 { value / scale } else { 0.0 }
}

fn check_inputs(x: &Matrix, targets: usize, l2: f64) -> Result<(), LinearError> {
    if !(l2 >= 0.0 && l2.is_finite()) {
        return Err(LinearError::BadPenalty(l2));
    }
    if x.rows != targets || x.data.len() != x.rows * x.cols {
        return Err(LinearError::LengthMismatch { rows: x.rows, targets });
    }
    if x.rows == 0 {
        return Err(LinearError::NoRows);
    }
    match x.data.iter().position(|v| !v.is_finite()) {
        Some(at) => Err(LinearError::NonFinite { row: at / x.cols.max(1), column: at % x.cols.max(1) }),
        None => Ok(()),
    }
}

fn check_size(parameters: usize) -> Result<(), LinearError> {
    if parameters > MAX_PARAMETERS {
        return Err(LinearError::TooManyParameters { parameters, limit: MAX_PARAMETERS });
    }
    Ok(())
}

/// The classification objective. Parameters `theta` hold, for each output row `c`, its `d`
/// weights followed by its intercept.
struct Logistic<'a> {
    x: &'a Matrix,
    y: &'a [usize],
    /// 1 for logistic regression (sigmoid of one score), else the number of classes (softmax).
    outputs: usize,
    lambda: f64,
}

impl Logistic<'_> {
    fn width(&self) -> usize {
        self.x.cols + 1
    }

    /// Row `i`'s scores, one per output.
    fn scores(&self, theta: &[f64], i: usize, out: &mut [f64]) {
        let (d, row) = (self.x.cols, self.x.row(i));
        for (c, score) in out.iter_mut().enumerate() {
            let w = &theta[c * (d + 1)..(c + 1) * (d + 1)];
            *score = dot(row, &w[..d]) + w[d];
        }
    }

    /// Whether row `i` belongs to output `c`: class 1 for logistic regression, class `c` for
    /// softmax.
    fn target(&self, i: usize, c: usize) -> f64 {
        let positive = if self.outputs == 1 { 1 } else { c };
        if self.y[i] == positive { 1.0 } else { 0.0 }
    }

    fn penalty(&self, theta: &[f64]) -> f64 {
        let d = self.x.cols;
        let squares: f64 = theta.chunks(d + 1).map(|w| w[..d].iter().map(|v| v * v).sum::<f64>()).sum();
        0.5 * self.lambda * squares
    }

    /// Mean cross-entropy plus the penalty, computed without overflow.
    fn objective(&self, theta: &[f64]) -> f64 {
        let mut z = vec![0.0; self.outputs];
        let mut loss = 0.0;
        for i in 0..self.x.rows {
            self.scores(theta, i, &mut z);
            loss += if self.outputs == 1 {
                softplus(z[0]) - self.target(i, 0) * z[0]
            } else {
                log_sum_exp(&z) - z[self.y[i]]
            };
        }
        loss / self.x.rows as f64 + self.penalty(theta)
    }

    /// Gradient and Hessian (row-major, `p × p`) at `theta`.
    fn derivatives(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (n, m, width) = (self.x.rows, self.outputs, self.width());
        let p = m * width;
        let mut gradient = vec![0.0; p];
        let mut hessian = vec![0.0; p * p];
        let mut probabilities = vec![0.0; m];
        let mut features = vec![1.0; width]; // the row with a trailing 1 for the intercept
        for i in 0..n {
            self.scores(theta, i, &mut probabilities);
            if m == 1 {
                probabilities[0] = sigmoid(probabilities[0]);
            } else {
                softmax_in_place(&mut probabilities);
            }
            features[..width - 1].copy_from_slice(self.x.row(i));
            for c in 0..m {
                let residual = probabilities[c] - self.target(i, c);
                axpy(residual, &features, &mut gradient[c * width..(c + 1) * width]);
                for c2 in c..m {
                    // ∂²/∂z_c∂z_c2 of the cross-entropy: p_c (δ − p_c2); for m = 1, p (1 − p).
                    let delta = if c == c2 { 1.0 } else { 0.0 };
                    let curvature = probabilities[c] * (delta - probabilities[c2]);
                    add_outer(&mut hessian, p, c * width, c2 * width, curvature, &features);
                }
            }
        }
        self.finish_derivatives(theta, &mut gradient, &mut hessian);
        (gradient, hessian)
    }

    /// Averages the sums over rows, mirrors the upper triangle and adds the penalty's terms.
    fn finish_derivatives(&self, theta: &[f64], gradient: &mut [f64], hessian: &mut [f64]) {
        let (n, width, p) = (self.x.rows as f64, self.width(), gradient.len());
        gradient.iter_mut().for_each(|g| *g /= n);
        hessian.iter_mut().for_each(|h| *h /= n);
        for a in 0..p {
            for b in 0..a {
                hessian[a * p + b] = hessian[b * p + a];
            }
            if a % width != width - 1 {
                gradient[a] += self.lambda * theta[a];
                hessian[a * p + a] += self.lambda;
            }
        }
    }

    /// Newton's method with backtracking; returns the parameters, the iterations used and
    /// whether the gradient norm reached the tolerance.
    fn newton(&self) -> (Vec<f64>, usize, bool) {
        let p = self.outputs * self.width();
        let mut theta = vec![0.0; p];
        let mut value = self.objective(&theta);
        for iteration in 0..MAX_ITERATIONS {
            let (gradient, mut hessian) = self.derivatives(&theta);
            if norm(&gradient) < GRADIENT_TOLERANCE {
                return (theta, iteration, true);
            }
            let minus_gradient: Vec<f64> = gradient.iter().map(|g| -g).collect();
            let step = solve_spd(&mut hessian, &minus_gradient);
            match self.line_search(&theta, value, &gradient, &step) {
                Some((next, next_value)) => (theta, value) = (next, next_value),
                // No step decreases the objective: we are at the floating-point optimum.
                None => return (theta, iteration + 1, false),
            }
        }
        let converged = norm(&self.derivatives(&theta).0) < GRADIENT_TOLERANCE;
        (theta, MAX_ITERATIONS, converged)
    }

    /// The first of the step lengths 1, 1/2, 1/4, … that decreases the objective enough
    /// (Armijo), with the new parameters and objective; `None` when even tiny steps fail.
    fn line_search(&self, theta: &[f64], value: f64, gradient: &[f64], step: &[f64]) -> Option<(Vec<f64>, f64)> {
        let slope = dot(gradient, step);
        if slope.is_nan() || slope >= 0.0 {
            return None; // not a descent direction (the Newton system was too ill-conditioned)
        }
        let mut length = 1.0;
        for _ in 0..60 {
            let candidate: Vec<f64> = theta.iter().zip(step).map(|(t, s)| t + length * s).collect();
            let candidate_value = self.objective(&candidate);
            if candidate_value <= value + ARMIJO * length * slope {
                return Some((candidate, candidate_value));
            }
            length *= 0.5;
        }
        None
    }
}

/// Adds `weight · v[a] · v[b]` to `hessian[(row0 + a), (col0 + b)]`, upper triangle only when
/// the block is on the diagonal.
fn add_outer(hessian: &mut [f64], p: usize, row0: usize, col0: usize, weight: f64, v: &[f64]) {
    for (a, &va) in v.iter().enumerate() {
        let start = if row0 == col0 { a } else { 0 };
        let row = &mut hessian[(row0 + a) * p + col0..(row0 + a) * p + col0 + v.len()];
        add_outer_row(row, start, weight * va, v);
    }
}

/// Solves `A x = b` for a symmetric positive (semi-)definite `A` (row-major, overwritten) by
/// Cholesky, with a jitter relative to the largest diagonal entry so that singular directions
/// (constant columns, softmax intercepts) get a zero step instead of a failure.
fn solve_spd(a: &mut [f64], b: &[f64]) -> Vec<f64> {
    let p = b.len();
    let largest = (0..p).map(|i| a[i * p + i].abs()).fold(0.0, f64::max);
    let jitter = JITTER * largest.max(1e-300);
    for i in 0..p {
        a[i * p + i] += jitter;
    }
    cholesky_in_place(a, p);
    // Forward substitution (L y = b), then back substitution (Lᵀ x = y).
    let mut x = b.to_vec();
    for i in 0..p {
        let sum: f64 = (0..i).map(|k| a[i * p + k] * x[k]).sum();
        x[i] = scaled(x[i] - sum, a[i * p + i]);
    }
    for i in (0..p).rev() {
        let sum: f64 = (i + 1..p).map(|k| a[k * p + i] * x[k]).sum();
        x[i] = scaled(x[i] - sum, a[i * p + i]);
    }
    x
}

/// Lower Cholesky factor in place. A pivot that is not positive (a direction the matrix does
/// not constrain, up to rounding) becomes 0, which [`solve_spd`] turns into a zero step there.
fn cholesky_in_place(a: &mut [f64], p: usize) {
    for j in 0..p {
        let diagonal = a[j * p + j] - (0..j).map(|k| a[j * p + k] * a[j * p + k]).sum::<f64>();
        let pivot = if diagonal > 0.0 { diagonal.sqrt() } else { 0.0 };
        a[j * p + j] = pivot;
        for i in j + 1..p {
            let sum: f64 = (0..j).map(|k| a[i * p + k] * a[j * p + k]).sum();
            a[i * p + j] = scaled(a[i * p + j] - sum, pivot);
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// `y += alpha · x`.
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x);
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + eᶻ)` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

fn log_sum_exp(z: &[f64]) -> f64 {
    let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + z.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
}

fn softmax_in_place(z: &mut [f64]) {
    let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    z.iter_mut().for_each(|v| *v = (*v - top).exp());
    let sum: f64 = z.iter().sum();
    z.iter_mut().for_each(|v| *v /= sum);
}

/// Index of the largest value, the first one on ties.
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: usize, cols: usize, data: &[f64]) -> Matrix {
        Matrix::from_rows(rows, cols, data.to_vec())
    }

    #[test]
    fn ordinary_least_squares_recovers_an_exact_line() {
        let x = matrix(4, 1, &[0.0, 1.0, 2.0, 3.0]);
        let model = fit_regressor(&x, &[1.0, 3.0, 5.0, 7.0], 0.0).unwrap();
        assert!((model.weights().get(0, 0) - 2.0).abs() < 1e-9);
        assert!((model.intercepts()[0] - 1.0).abs() < 1e-9);
        let predicted = model.predict(&matrix(1, 1, &[10.0])).unwrap();
        assert!((predicted[0] - 21.0).abs() < 1e-8);
        assert_eq!(model.predict_proba(&x), Err(LinearError::NotAClassifier));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        // A constant column, a duplicated column and a single row.
        let x = matrix(3, 3, &[1.0, 5.0, 5.0, 2.0, 5.0, 5.0, 3.0, 5.0, 5.0]);
        let model = fit_regressor(&x, &[1.0, 2.0, 3.0], 0.0).unwrap();
        assert_eq!(model.weights().get(0, 1), 0.0);
        assert!(model.predict(&x).unwrap().iter().zip([1.0, 2.0, 3.0]).all(|(p, y)| (p - y).abs() < 1e-6));
        // A constant column that centring leaves with rounding residue gets weight 0 too.
        let x = matrix(3, 2, &[0.1, 1.0, 0.1, 2.0, 0.1, 4.0]);
        let model = fit_regressor(&x, &[1.0, 2.0, 4.0], 0.0).unwrap();
        assert_eq!(model.weights().get(0, 0), 0.0);
        assert!((model.weights().get(0, 1) - 1.0).abs() < 1e-9 && model.intercepts()[0].abs() < 1e-9);
        let one = matrix(1, 2, &[1.0, 2.0]);
        assert!(fit_regressor(&one, &[4.0], 0.0).unwrap().predict(&one).unwrap()[0] - 4.0 < 1e-9);
        let model = fit_classifier(&one, &[1], 2, 0.0).unwrap();
        assert!(model.predict_proba(&one).unwrap().get(0, 1) > 0.99);
        let model = fit_classifier(&x, &[0, 0, 0], 3, 0.0).unwrap();
        assert_eq!(model.predict(&x).unwrap(), vec![0.0; 3]);
        let empty = Matrix::zeros(3, 0);
        let model = fit_classifier(&empty, &[0, 1, 1], 2, 0.0).unwrap();
        assert!((model.predict_proba(&empty).unwrap().get(0, 1) - 2.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn separable_data_stays_finite_with_the_default_penalty() {
        let x = matrix(4, 1, &[-2.0, -1.0, 1.0, 2.0]);
        let model = fit_classifier(&x, &[0, 0, 1, 1], 2, 0.0).unwrap();
        assert!(model.converged());
        assert!(model.weights().data.iter().all(|w| w.is_finite() && *w > 0.0));
        assert_eq!(model.predict(&x).unwrap(), vec![0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let x = matrix(2, 1, &[0.0, f64::NAN]);
        assert_eq!(fit_regressor(&x, &[1.0, 2.0], 0.0), Err(LinearError::NonFinite { row: 1, column: 0 }));
        let x = matrix(2, 1, &[0.0, 1.0]);
        assert_eq!(fit_regressor(&x, &[1.0, f64::INFINITY], 0.0), Err(LinearError::NonFiniteTarget { row: 1 }));
        assert_eq!(
            fit_classifier(&x, &[0, 2], 2, 0.0),
            Err(LinearError::LabelOutOfRange { row: 1, label: 2, classes: 2 })
        );
        assert_eq!(fit_classifier(&x, &[0, 0], 1, 0.0), Err(LinearError::TooFewClasses { classes: 1 }));
        assert_eq!(fit_classifier(&x, &[0], 2, 0.0), Err(LinearError::LengthMismatch { rows: 2, targets: 1 }));
        assert_eq!(fit_regressor(&x, &[0.0, 1.0], -1.0), Err(LinearError::BadPenalty(-1.0)));
        assert_eq!(fit_regressor(&Matrix::zeros(0, 1), &[], 0.0), Err(LinearError::NoRows));
        let wide = Matrix::zeros(2, MAX_PARAMETERS);
        assert!(matches!(fit_regressor(&wide, &[0.0, 1.0], 0.0), Err(LinearError::TooManyParameters { .. })));
        let model = fit_regressor(&x, &[0.0, 1.0], 0.0).unwrap();
        assert_eq!(model.predict(&Matrix::zeros(1, 2)), Err(LinearError::WidthMismatch { expected: 1, found: 2 }));
    }

    #[test]
    fn models_round_trip_through_their_parts() {
        let x = matrix(6, 1, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let model = fit_classifier(&x, &[0, 0, 1, 1, 2, 2], 3, 0.01).unwrap();
        let rebuilt = LinearModel::from_parts(model.kind(), model.weights().clone(), model.intercepts().to_vec());
        assert_eq!(rebuilt.unwrap().predict_proba(&x), model.predict_proba(&x));
        assert!(LinearModel::from_parts(LinearKind::Binary, Matrix::zeros(2, 1), vec![0.0; 2]).is_none());
        let probabilities = model.predict_proba(&x).unwrap();
        for i in 0..6 {
            assert!((probabilities.row(i).iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        assert!((model.intercepts().iter().sum::<f64>()).abs() < 1e-12);
    }
}
