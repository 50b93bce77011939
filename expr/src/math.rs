//! The numeric built-in functions whose results are not fixed by IEEE 754 alone, defined here
//! once for both engines: the reference evaluator calls these, and the JIT emits the same
//! operations in the same order (jit/math.rs), so the two agree to the bit on every machine,
//! unlike the platform's libm, whose last bits differ between C libraries.
//!
//! `ln`, `ln_1p`, `exp` and `pow` use only IEEE-754 double `+ - * /` with round-to-nearest,
//! comparisons and bit manipulation, in a fixed order: no libm, no fused multiply-add (its single
//! rounding would change the bits, and not every target has it), no conversion instructions
//! between 64-bit integers and doubles (SSE has none; adding 2^52 or 1.5 * 2^52 does it). Every
//! `if` chooses between two values that are both computed, so jit/math.rs runs the same code
//! branch-free on SIMD lanes, computing the general path on a harmless operand and selecting the
//! special cases with lane masks.
//!
//! | function | method | max error measured |
//! |---|---|---|
//! | `ln` | x = 2^k m, m in [sqrt(1/2), sqrt 2]; ln m = 2 atanh((m-1)/(m+1)) by its Taylor series to s^25; k ln 2, 2s and (2/3)s³ in double-double | 0.5002 ulp |
//! | `ln_1p` | 1 + x exactly as a double-double u; `ln` of its high part in double-double plus u_lo / u_hi | 0.660 ulp |
//! | `exp` | x = k ln 2 + r, |r| <= ln 2 / 2, with k ln 2 split exactly; Taylor series of e^r to r^15 with 1 + r + r²/2 in double-double; scaled by 2^k in two steps | 0.524 ulp (0.753 for subnormal results) |
//! | `pow` | e^(y ln|x|) with ln|x| (relative error about 2^-63) and its product by y in double-double, the low part fed into `exp`'s reduction | 0.749 ulp (0.794 for subnormal results) |
//!
//! The errors are against the exact value (200-bit mpmath) on the inputs where these functions
//! and glibc's libm differ, among 10^6 random inputs each over the whole range (and as many more
//! for `pow` with |y ln x| near 700, its hardest case) plus every thousandth input where they
//! agree; the unit tests check that every result is within 1 ulp of the platform libm. `pow` is
//! exact wherever its result is representable and reached with integral y (3^2 = 9, 2^10 = 1024,
//! 2^-1074), and pow(x, 1) = x.
//!
//! The polynomial coefficients are the Taylor coefficients written as exact fractions, which the
//! compiler rounds correctly; no minimax fitting, so they are easy to check.

/// The one NaN every numeric result uses (the engines canonicalize NaNs on the way out).
pub fn canonical(x: f64) -> f64 {
    if x.is_nan() { f64::NAN } else { x }
}

/// The smaller of two numbers: NaN when either is NaN, and -0 is smaller than +0 (IEEE 754-2019
/// `minimum`; Rust's `f64::min` would drop a NaN).
pub fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        // Equal numbers differ at most in the sign of zero: the negative one is the minimum.
        f64::from_bits(a.to_bits() | b.to_bits())
    } else if a < b {
        a
    } else {
        b
    }
}

/// The larger of two numbers: NaN when either is NaN, and +0 is larger than -0.
pub fn max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        f64::from_bits(a.to_bits() & b.to_bits())
    } else if a > b {
        a
    } else {
        b
    }
}

// ---------------------------------------------------------------------------------------------
// ln, ln_1p, exp and pow.
//
// Every function below is written so that the JIT can run it as straight-line SIMD code: each
// `if` picks between two values that are both plain arithmetic on the operands (jit/math.rs
// computes both and selects with a lane mask), and the general path always runs on an operand
// that has been made harmless (1 for ln, 0 for exp) where a special case decides the result.
// Constants and polynomial coefficients are shared with jit/math.rs, so there is one source.
// ---------------------------------------------------------------------------------------------

/// ln 2 rounded to 42 significant bits: `k * LN2_HI` is exact for every exponent `k` below 2^11,
/// which is what makes the range reductions of `ln` and `exp` exact.
pub(crate) const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEFA_3800);
/// ln 2 - LN2_HI, rounded; the pair is ln 2 to about 2^-101 relative.
pub(crate) const LN2_LO: f64 = f64::from_bits(0x3D2E_F357_93C7_6730);
/// 1 / ln 2, rounded: only chooses the power of two in `exp`, so its last bit does not matter.
pub(crate) const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// The double nearest sqrt 2: significands above it are halved, so ln's reduced argument lies in
/// [sqrt(1/2), sqrt 2] and |s| = |(m - 1) / (m + 1)| <= 0.1716.
pub(crate) const SQRT2: f64 = std::f64::consts::SQRT_2;
/// 2/3 as a double-double (hi rounded, lo the rest), the coefficient of s³ in ln.
pub(crate) const TWO_THIRDS_HI: f64 = 2.0 / 3.0;
pub(crate) const TWO_THIRDS_LO: f64 = f64::from_bits(0x3C85_5555_5555_5555);
/// 2^52: a number below it plus 2^52 is rounded to an integer, which then sits in the low bits of
/// the sum's representation (int/float conversion without a conversion instruction, which SSE
/// lacks for 64-bit lanes).
pub(crate) const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
/// 1.5 * 2^52: adding and subtracting it rounds any |v| < 2^51 to the nearest integer (ties to
/// even), and the sum's bits are the bits of 1.5 * 2^52 plus that integer, negative ones included.
pub(crate) const ROUNDING_MAGIC: f64 = 6_755_399_441_055_744.0;
/// 2^53: from here on every double is an even integer.
pub(crate) const TWO_POW_53: f64 = 9_007_199_254_740_992.0;
/// 2^54: brings every subnormal into the normal range before ln reads its exponent field.
pub(crate) const TWO_POW_54: f64 = 18_014_398_509_481_984.0;
/// 2^64: |y| beyond this, with x != ±1, puts |y ln x| above 2^11, far past overflow and
/// underflow; pow clamps y here so that splitting y into halves cannot overflow.
pub(crate) const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
/// 2^27 + 1: multiplying by it splits a double into two 26-bit halves (Veltkamp).
pub(crate) const SPLITTER: f64 = 134_217_729.0;
/// exp's input is clamped to [EXP_INPUT_MIN, EXP_INPUT_MAX]: past them the result is 0 or inf
/// anyway (the scaling below still produces them), and the exponent arithmetic stays in range.
pub(crate) const EXP_INPUT_MAX: f64 = 720.0;
pub(crate) const EXP_INPUT_MIN: f64 = -760.0;

pub(crate) const SIGNIFICAND_MASK: u64 = 0x000F_FFFF_FFFF_FFFF;
pub(crate) const EXPONENT_BIAS: f64 = 1023.0;

/// ln m = 2 atanh s = 2s + (2/3)s³ + s⁵ (2/5 + (2/7)s² + (2/9)s⁴ + ...): the coefficients of the
/// last factor, 2/(2j+1) for j = 2..=12, from the Taylor series of atanh. The first term left out,
/// (2/27)s^27, is below 2^-70 of ln m for |s| <= 0.1716.
pub(crate) const LN_TAIL: [f64; 11] = [
    2.0 / 5.0,
    2.0 / 7.0,
    2.0 / 9.0,
    2.0 / 11.0,
    2.0 / 13.0,
    2.0 / 15.0,
    2.0 / 17.0,
    2.0 / 19.0,
    2.0 / 21.0,
    2.0 / 23.0,
    2.0 / 25.0,
];

/// e^r = 1 + r + r²/2 + r³ (1/3! + r/4! + ... + r^12/15!): the Taylor coefficients of the last
/// factor. The first term left out, r^16/16!, is below 2^-68 for |r| <= 0.3466 (ln 2 / 2).
pub(crate) const EXP_TAIL: [f64; 13] = [
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
    1.0 / 87_178_291_200.0,
    1.0 / 1_307_674_368_000.0,
];

/// A number carried as the unevaluated sum `hi + lo` with |lo| at most about half an ulp of `hi`:
/// about 106 significant bits, for the steps whose rounding would otherwise show in the result.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DoubleDouble {
    pub(crate) hi: f64,
    pub(crate) lo: f64,
}

/// a + b exactly, whatever their magnitudes (Knuth).
pub(crate) fn two_sum(a: f64, b: f64) -> DoubleDouble {
    let hi = a + b;
    let b_part = hi - a;
    let a_part = hi - b_part;
    let lo = (a - a_part) + (b - b_part);
    DoubleDouble { hi, lo }
}

/// a + b exactly when |a| >= |b| (Dekker): the renormalization of a double-double.
pub(crate) fn fast_two_sum(a: f64, b: f64) -> DoubleDouble {
    let hi = a + b;
    let lo = b - (hi - a);
    DoubleDouble { hi, lo }
}

/// a * b exactly (Dekker), for products that neither overflow nor underflow; without FMA, which
/// not every target has and which would change the bits.
pub(crate) fn two_prod(a: f64, b: f64) -> DoubleDouble {
    let hi = a * b;
    let (a_hi, a_lo) = split(a);
    let (b_hi, b_lo) = split(b);
    let lo = (((a_hi * b_hi - hi) + a_hi * b_lo) + a_lo * b_hi) + a_lo * b_lo;
    DoubleDouble { hi, lo }
}

/// `a` as two halves of at most 26 significant bits each, whose products are exact.
fn split(a: f64) -> (f64, f64) {
    let scaled = a * SPLITTER;
    let hi = scaled - (scaled - a);
    (hi, a - hi)
}

/// c[0] + z (c[1] + z (c[2] + ...)), by Horner's rule.
pub(crate) fn polynomial(z: f64, coefficients: &[f64]) -> f64 {
    let (last, rest) = coefficients.split_last().expect("a polynomial has a coefficient");
    rest.iter().rev().fold(*last, |acc, &c| acc * z + c)
}

/// 2^k for an integral k in [-1022, 1023], built in the exponent field.
pub(crate) fn power_of_two(k: f64) -> f64 {
    let k_bits = (k + ROUNDING_MAGIC).to_bits().wrapping_sub(ROUNDING_MAGIC.to_bits());
    f64::from_bits(k_bits.wrapping_add(EXPONENT_BIAS as u64) << 52)
}

/// ln x for a positive finite x (subnormals included), to about 2^-64 relative.
///
/// x = 2^k m with m in [sqrt(1/2), sqrt 2]; ln x = k ln 2 + 2 atanh s with s = (m - 1)/(m + 1).
/// k ln 2, 2s and (2/3)s³ are carried in double-double, the rest of the series in double.
pub(crate) fn ln_double_double(x: f64) -> DoubleDouble {
    let subnormal = x < f64::MIN_POSITIVE;
    let normal = if subnormal { x * TWO_POW_54 } else { x };
    let bits = normal.to_bits();
    let biased_exponent = f64::from_bits((bits >> 52) | TWO_POW_52.to_bits()) - TWO_POW_52;
    let significand = f64::from_bits((bits & SIGNIFICAND_MASK) | 1.0f64.to_bits());
    let halve = significand > SQRT2;
    let m = if halve { significand * 0.5 } else { significand };
    let k = ((biased_exponent - EXPONENT_BIAS) + if halve { 1.0 } else { 0.0 }) + if subnormal { -54.0 } else { 0.0 };

    // s = f / (2 + f) with f = m - 1 (exact: m is within a factor 2 of 1), as s_hi + s_lo: the
    // residual f - s_hi (2 + f) is computed exactly and divided once more.
    let f = m - 1.0;
    let denominator = 2.0 + f;
    let denominator_lo = f - (denominator - 2.0);
    let s_hi = f / denominator;
    let product = two_prod(s_hi, denominator);
    let s_lo = (((f - product.hi) - product.lo) - s_hi * denominator_lo) / denominator;

    // s³ and (2/3)s³ in double-double.
    let square = two_prod(s_hi, s_hi);
    let cube = two_prod(square.hi, s_hi);
    let cube_lo = cube.lo + (square.lo * s_hi + (3.0 * square.hi) * s_lo);
    let third = two_prod(cube.hi, TWO_THIRDS_HI);
    let third_lo = third.lo + (cube.hi * TWO_THIRDS_LO + cube_lo * TWO_THIRDS_HI);
    // s⁵ from the double-double s² and s³: s_lo alone moves s_hi⁵ by up to 5 half-ulps.
    let square_lo = square.lo + (2.0 * s_hi) * s_lo;
    let fifth = cube.hi * square.hi + (cube_lo * square.hi + cube.hi * square_lo);
    let tail = fifth * polynomial(square.hi, &LN_TAIL);

    let head = two_sum(k * LN2_HI, 2.0 * s_hi);
    let with_third = two_sum(head.hi, third.hi);
    let lo = (head.lo + with_third.lo) + (((tail + third_lo) + 2.0 * s_lo) + k * LN2_LO);
    fast_two_sum(with_third.hi, lo)
}

/// e^(hi + lo), for |lo| up to a few ulps of hi; NaN in `hi` gives 1 (the callers select NaN).
///
/// hi + lo = k ln 2 + r with k integral and |r| <= ln 2 / 2; e^r by its Taylor series with
/// 1 + r + r²/2 summed in double-double; then the scaling by 2^k in two steps, so that 2^k need
/// not be representable and a subnormal result is rounded once.
pub(crate) fn exp_double_double(hi: f64, lo: f64) -> f64 {
    let in_range = (EXP_INPUT_MIN..=EXP_INPUT_MAX).contains(&hi);
    let clamped = if hi > EXP_INPUT_MAX { EXP_INPUT_MAX } else { hi };
    let clamped = if hi < EXP_INPUT_MIN { EXP_INPUT_MIN } else { clamped };
    let clamped = if hi.is_nan() { 0.0 } else { clamped };
    let lo = if in_range { lo } else { 0.0 };

    let k = (clamped * INV_LN2 + ROUNDING_MAGIC) - ROUNDING_MAGIC;
    // Exact: k LN2_HI is exact and lies within a factor 2 of `clamped` or cancels it to below 1/2.
    let reduced = clamped - k * LN2_HI;
    let r = two_sum(reduced, lo - k * LN2_LO);

    let square = two_prod(r.hi, r.hi);
    let tail = (r.hi * square.hi) * polynomial(r.hi, &EXP_TAIL);
    let small = ((tail + square.lo * 0.5) + r.hi * r.lo) + r.lo;
    let one_plus_r = two_sum(1.0, r.hi);
    let with_square = two_sum(one_plus_r.hi, square.hi * 0.5);
    let e_r = with_square.hi + ((one_plus_r.lo + with_square.lo) + small);

    let k_half = (k * 0.5 + ROUNDING_MAGIC) - ROUNDING_MAGIC;
    let k_rest = k - k_half;
    (e_r * power_of_two(k_half)) * power_of_two(k_rest)
}

/// The natural logarithm. NaN for NaN and x < 0, -inf for ±0, +inf for +inf, +0 for 1;
/// otherwise within 1 ulp (see the module documentation for the measured error).
pub fn ln(x: f64) -> f64 {
    let in_domain = x > 0.0 && x < f64::INFINITY;
    let general = ln_double_double(if in_domain { x } else { 1.0 }).hi;
    let result = if x == f64::INFINITY { f64::INFINITY } else { general };
    let result = if x == 0.0 { f64::NEG_INFINITY } else { result };
    if x.is_nan() || x < 0.0 { f64::NAN } else { result }
}

/// ln(1 + x), accurate for x near 0: x itself for |x| < 2^-54, -0 for -0, -inf for -1, NaN for
/// NaN and x < -1, +inf for +inf.
///
/// 1 + x is formed exactly as u_hi + u_lo; ln(u_hi + u_lo) = ln u_hi + u_lo / u_hi up to
/// (u_lo / u_hi)² < 2^-106.
pub fn ln_1p(x: f64) -> f64 {
    let in_domain = x > -1.0 && x < f64::INFINITY;
    let one_plus_x = two_sum(1.0, if in_domain { x } else { 0.0 });
    let log = ln_double_double(one_plus_x.hi);
    let general = log.hi + (log.lo + one_plus_x.lo / one_plus_x.hi);
    let result = if x == 0.0 { x } else { general };
    let result = if x == f64::INFINITY { f64::INFINITY } else { result };
    let result = if x == -1.0 { f64::NEG_INFINITY } else { result };
    if x.is_nan() || x < -1.0 { f64::NAN } else { result }
}

/// e^x. NaN for NaN, +inf for +inf and above about 709.78, +0 for -inf and below about -745.13,
/// subnormal results in between, exactly 1 for ±0.
pub fn exp(x: f64) -> f64 {
    let general = exp_double_double(x, 0.0);
    if x.is_nan() { f64::NAN } else { general }
}

/// x^y with the special cases of C99 / IEEE 754 `pow` (those of Rust's `f64::powf`):
/// x^±0 = 1 and 1^y = 1 even for NaN; otherwise NaN in, NaN out; x < 0 finite with y not an
/// integer is NaN; x < 0 with integral y has the sign of (-1)^y; ±0 and ±inf follow the sign of x
/// for odd integral y; |x| = 1 with y = ±inf is 1; |x| < 1 and > 1 with y = ±inf give 0 or inf.
///
/// The general case is e^(y ln|x|) with ln|x| and the product in double-double, so the last
/// rounding is the only large error even where |y ln|x|| is in the hundreds.
pub fn pow(x: f64, y: f64) -> f64 {
    let abs_x = x.abs();
    let abs_y = y.abs();

    // Whether y is an integer, and an odd one, through the rounding of |y| + 2^52 (below 2^52) or
    // |y| itself (from 2^52 on, where the last bit of the representation is the units bit).
    let y_large = abs_y >= TWO_POW_52;
    let units = if y_large { abs_y } else { abs_y + TWO_POW_52 };
    let y_integral = y_large || units - TWO_POW_52 == abs_y;
    let y_odd = y_integral && abs_y < TWO_POW_53 && units.to_bits() & 1 == 1;
    let x_negative = x.is_sign_negative();
    let negate = x_negative && y_odd;

    // The general case, on operands made harmless where a special case decides the result.
    let x_general = if abs_x > 0.0 && abs_x < f64::INFINITY { abs_x } else { 1.0 };
    let y_general = if y > TWO_POW_64 { TWO_POW_64 } else { y };
    let y_general = if y < -TWO_POW_64 { -TWO_POW_64 } else { y_general };
    let log = ln_double_double(x_general);
    let product = two_prod(y_general, log.hi);
    let magnitude = exp_double_double(product.hi, product.lo + y_general * log.lo);
    let result = if negate { -magnitude } else { magnitude };

    let result = if x_negative && !y_integral { f64::NAN } else { result };
    // y = ±inf: 1 for |x| = 1, else inf when |x| > 1 and y > 0 or |x| < 1 and y < 0, else 0.
    let grows = (abs_x > 1.0) == (y > 0.0);
    let infinite_y = if grows { f64::INFINITY } else { 0.0 };
    let infinite_y = if abs_x == 1.0 { 1.0 } else { infinite_y };
    let result = if abs_y == f64::INFINITY { infinite_y } else { result };
    // x = ±0 or ±inf: inf when x = ±0 and y < 0 or x = ±inf and y > 0, else 0; negative for x
    // negative and y odd.
    let infinite = (abs_x == 0.0) == (y < 0.0);
    let zero_or_infinite = if infinite { f64::INFINITY } else { 0.0 };
    let zero_or_infinite = if negate { -zero_or_infinite } else { zero_or_infinite };
    let result = if abs_x == 0.0 || abs_x == f64::INFINITY { zero_or_infinite } else { result };
    let result = if x.is_nan() || y.is_nan() { f64::NAN } else { result };
    if x == 1.0 || y == 0.0 { 1.0 } else { result }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// xorshift64*: a few lines of reproducible randomness, no dependency.
    pub(crate) struct Random(u64);

    impl Random {
        pub(crate) fn new(seed: u64) -> Self {
            Random(seed | 1)
        }
        pub(crate) fn bits(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        /// Uniform in [0, 1).
        pub(crate) fn unit(&mut self) -> f64 {
            (self.bits() >> 11) as f64 / TWO_POW_53
        }
        /// Uniform in [low, high).
        pub(crate) fn between(&mut self, low: f64, high: f64) -> f64 {
            low + (high - low) * self.unit()
        }
        /// Any finite double, every exponent equally likely (subnormals included).
        pub(crate) fn any_finite(&mut self) -> f64 {
            loop {
                let x = f64::from_bits(self.bits());
                if x.is_finite() {
                    return x;
                }
            }
        }
        /// ±(1 + u) 2^e with e uniform in [low, high].
        pub(crate) fn scaled(&mut self, low: i32, high: i32) -> f64 {
            let e = low + (self.bits() % (high - low + 1) as u64) as i32;
            let sign = if self.bits() & 1 == 1 { -1.0 } else { 1.0 };
            sign * (1.0 + self.unit()) * 2f64.powi(e)
        }
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// Distance in units in the last place: how many doubles lie between the two, counting one.
    fn ulps(ours: f64, reference: f64) -> u64 {
        if same(ours, reference) {
            return 0;
        }
        if ours.is_nan() || reference.is_nan() {
            return u64::MAX;
        }
        let ordered = |x: f64| {
            let bits = x.to_bits() as i64;
            if bits < 0 { i64::MIN - bits } else { bits }
        };
        ordered(ours).abs_diff(ordered(reference))
    }

    /// The largest ulp distance from the platform libm over `inputs`, with the worst input.
    fn worst(
        inputs: impl Iterator<Item = (f64, f64)>,
        ours: fn(f64, f64) -> f64,
        libm: fn(f64, f64) -> f64,
    ) -> (u64, f64, f64) {
        let mut worst = (0, 0.0, 0.0);
        for (x, y) in inputs {
            let error = ulps(ours(x, y), libm(x, y));
            if error > worst.0 {
                worst = (error, x, y);
            }
        }
        worst
    }

    const SAMPLES: usize = 1_000_000;

    #[test]
    fn constants_are_what_their_names_say() {
        assert_eq!(LN2_HI + LN2_LO, std::f64::consts::LN_2);
        assert_eq!(LN2_HI.to_bits() & 0x7FF, 0, "LN2_HI has at most 42 significant bits");
        assert_eq!(TWO_THIRDS_LO, 3.700743415417188e-17);
        assert_eq!(TWO_POW_52, 2f64.powi(52));
        assert_eq!(ROUNDING_MAGIC, 1.5 * 2f64.powi(52));
        assert_eq!(TWO_POW_54, 2f64.powi(54));
        assert_eq!(TWO_POW_64, 2f64.powi(64));
        for k in [-1022.0, -538.0, -1.0, 0.0, 1.0, 512.0, 1023.0] {
            assert_eq!(power_of_two(k), 2f64.powi(k as i32));
        }
    }

    #[test]
    fn ln_special_cases() {
        assert!(ln(f64::NAN).is_nan());
        assert!(ln(-1.0).is_nan());
        assert!(ln(-f64::INFINITY).is_nan());
        assert!(ln(-f64::MIN_POSITIVE).is_nan());
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(-0.0), f64::NEG_INFINITY);
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln(1.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(ln(std::f64::consts::E), 1.0);
        assert_eq!(ln(2.0), std::f64::consts::LN_2);
        assert_eq!(ln(f64::from_bits(1)), -744.4400719213812);
        assert_eq!(ln(f64::MAX), 709.782712893384);
    }

    #[test]
    fn ln_1p_special_cases() {
        assert!(ln_1p(f64::NAN).is_nan());
        assert!(ln_1p(-1.5).is_nan());
        assert!(ln_1p(-f64::INFINITY).is_nan());
        assert_eq!(ln_1p(-1.0), f64::NEG_INFINITY);
        assert_eq!(ln_1p(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln_1p(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(ln_1p(-0.0).to_bits(), (-0.0f64).to_bits());
        for tiny in [1e-300, -1e-300, 2f64.powi(-55), -(2f64.powi(-55)), f64::from_bits(1), 5e-20] {
            assert_eq!(ln_1p(tiny), tiny);
        }
        assert_eq!(ln_1p(f64::MAX), 709.782712893384);
        assert_eq!(ln_1p(1.0), std::f64::consts::LN_2);
    }

    #[test]
    fn exp_special_cases() {
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(709.78), 709.78f64.exp());
        assert_eq!(exp(709.8), f64::INFINITY);
        assert_eq!(exp(1e300), f64::INFINITY);
        assert_eq!(exp(-745.2).to_bits(), 0);
        assert_eq!(exp(-1e300).to_bits(), 0);
        assert_eq!(exp(-745.1), f64::from_bits(1));
        assert_eq!(exp(-740.0), (-740f64).exp());
        assert_eq!(exp(1e-300), 1.0);
        assert_eq!(exp(-1e-300), 1.0);
    }

    /// Every special case against Rust's `powf`, bit for bit (NaNs as NaNs).
    #[test]
    fn pow_special_cases() {
        let values = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.0,
            -2.0,
            3.0,
            -3.0,
            0.25,
            -7.5,
            2f64.powi(52) + 1.0,
            -(2f64.powi(52) + 1.0),
            2f64.powi(53),
            2f64.powi(53) + 2.0,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            -f64::from_bits(1),
            f64::from_bits(1),
            1.0 + f64::EPSILON,
            1.0 - f64::EPSILON / 2.0,
        ];
        for x in values {
            for y in values {
                let ours = pow(x, y);
                let expected = x.powf(y);
                assert!(ulps(ours, expected) <= 1, "pow({x:e}, {y:e}) = {ours:e}, powf gives {expected:e}");
                if expected.is_infinite() || expected == 0.0 || expected.is_nan() || expected.abs() == 1.0 {
                    assert!(same(ours, expected), "pow({x:e}, {y:e}) = {ours:e}, powf gives {expected:e}");
                }
            }
        }
    }

    #[test]
    fn pow_is_exact_where_the_result_is_representable() {
        assert_eq!(pow(3.0, 2.0), 9.0);
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(pow(-2.0, 3.0), -8.0);
        assert_eq!(pow(2.0, -1074.0), f64::from_bits(1));
        assert_eq!(pow(4.0, 0.5), 2.0);
        assert!(ulps(pow(10.0, -2.0), 0.01) <= 1);
        for base in 2..=40u32 {
            let mut power = 1u128;
            for exponent in 1..=40 {
                power *= base as u128;
                if power > 1 << 53 {
                    break;
                }
                assert_eq!(pow(base as f64, exponent as f64), power as f64, "{base}^{exponent}");
                assert_eq!(pow(-(base as f64), exponent as f64), (-1f64).powi(exponent) * power as f64);
                if power.is_power_of_two() {
                    assert_eq!(pow(base as f64, -(exponent as f64)), 1.0 / power as f64);
                }
            }
        }
        let mut random = Random::new(7);
        for _ in 0..10_000 {
            let x = random.any_finite();
            assert!(same(pow(x, 1.0), x), "pow({x:e}, 1)");
        }
    }

    #[test]
    fn ln_is_within_1_ulp_of_libm() {
        let mut random = Random::new(1);
        let inputs = (0..SAMPLES).map(|i| {
            let x = match i % 3 {
                0 => random.any_finite().abs(),
                1 => 1.0 + random.scaled(-60, -1),
                _ => random.between(0.5, 2.0),
            };
            (x, 0.0)
        });
        let (error, x, _) = worst(inputs, |x, _| ln(x), |x, _| x.ln());
        eprintln!("ln: max {error} ulp from libm, at {x:e}");
        assert!(error <= 1, "ln({x:e}) is {error} ulps from libm");
    }

    #[test]
    fn ln_1p_is_within_1_ulp_of_libm() {
        let mut random = Random::new(2);
        let inputs = (0..SAMPLES).map(|i| {
            let x = match i % 4 {
                0 => random.any_finite().abs(),
                1 => random.scaled(-80, 2),
                2 => random.between(-1.0, -0.5),
                _ => random.between(-0.5, 1.0),
            };
            (x, 0.0)
        });
        let (error, x, _) = worst(inputs, |x, _| ln_1p(x), |x, _| x.ln_1p());
        eprintln!("ln_1p: max {error} ulp from libm, at {x:e}");
        assert!(error <= 1, "ln_1p({x:e}) is {error} ulps from libm");
    }

    #[test]
    fn exp_is_within_1_ulp_of_libm() {
        let mut random = Random::new(3);
        let inputs = (0..SAMPLES).map(|i| {
            let x = match i % 4 {
                0 => random.between(-746.0, 710.0),
                1 => random.scaled(-60, 9),
                2 => random.between(-746.0, -707.0),
                _ => random.between(-1.0, 1.0),
            };
            (x, 0.0)
        });
        let (error, x, _) = worst(inputs, |x, _| exp(x), |x, _| x.exp());
        eprintln!("exp: max {error} ulp from libm, at {x:e}");
        assert!(error <= 1, "exp({x:e}) is {error} ulps from libm");
    }

    #[test]
    fn pow_is_within_1_ulp_of_libm() {
        let mut random = Random::new(4);
        let inputs = (0..SAMPLES).map(|i| {
            let x = random.any_finite().abs();
            let x = if x == 0.0 { 1.5 } else { x };
            match i % 5 {
                // Any x, with y such that the result stays in range.
                0 | 1 => (x, random.between(-745.0, 709.0) / x.ln()),
                // x near 1 and large y.
                2 => {
                    let x = 1.0 + random.scaled(-50, -1);
                    (x, random.between(-700.0, 700.0) / x.ln())
                }
                // Negative x and integral y.
                3 => {
                    let x = -random.between(0.0, 20.0);
                    (x, (random.between(-200.0, 200.0)).trunc())
                }
                // Moderate operands.
                _ => (random.between(0.0, 100.0), random.between(-50.0, 50.0)),
            }
        });
        let (error, x, y) = worst(inputs, pow, f64::powf);
        eprintln!("pow: max {error} ulp from libm, at ({x:e}, {y:e})");
        assert!(error <= 1, "pow({x:e}, {y:e}) is {error} ulps from libm");
    }
}
