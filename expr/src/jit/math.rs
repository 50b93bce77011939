//! Cranelift emitters of math.rs's `ln`, `ln_1p`, `exp` and `pow` over F64X2 vectors: the same
//! IEEE operations in the same order on each lane, so every lane's bits equal the scalar
//! function's. The code is straight-line: where math.rs has an `if`, both values are computed and
//! a lane mask selects between them. Only SSE2-level vector instructions are used (no float/int
//! conversion of 64-bit lanes, no rounding instruction): math.rs does those with the same
//! 2^52 tricks. `x - c` with a constant c is emitted as `x + (-c)`, which IEEE 754 defines to be
//! the same operation.

use crate::math::{
    EXP_INPUT_MAX, EXP_INPUT_MIN, EXP_TAIL, EXPONENT_BIAS, INV_LN2, LN_TAIL, LN2_HI, LN2_LO, ROUNDING_MAGIC,
    SIGNIFICAND_MASK, SPLITTER, SQRT2, TWO_POW_52, TWO_POW_53, TWO_POW_54, TWO_POW_64, TWO_THIRDS_HI, TWO_THIRDS_LO,
};
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::FunctionBuilder;

/// hi + lo, as in math.rs, one pair per lane.
#[derive(Clone, Copy)]
struct DoubleDouble {
    hi: Value,
    lo: Value,
}

/// Bitcasts between F64X2 and I64X2 keep the lanes in place; Cranelift wants the order stated.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

fn splat_f64(b: &mut FunctionBuilder, value: f64) -> Value {
    let scalar = b.ins().f64const(value);
    b.ins().splat(types::F64X2, scalar)
}

fn splat_u64(b: &mut FunctionBuilder, value: u64) -> Value {
    let scalar = b.ins().iconst(types::I64, value as i64);
    b.ins().splat(types::I64X2, scalar)
}

/// `f64::to_bits` per lane.
fn to_bits(b: &mut FunctionBuilder, x: Value) -> Value {
    b.ins().bitcast(types::I64X2, lane_order(), x)
}

/// `f64::from_bits` per lane.
fn from_bits(b: &mut FunctionBuilder, bits: Value) -> Value {
    b.ins().bitcast(types::F64X2, lane_order(), bits)
}

/// The lane mask (all ones or all zeros per lane) of `x <cc> constant`.
fn compare_with(b: &mut FunctionBuilder, cc: FloatCC, x: Value, constant: f64) -> Value {
    let constant = splat_f64(b, constant);
    b.ins().fcmp(cc, x, constant)
}

/// `if mask { if_true } else { if_false }` per lane, for F64X2 values.
fn select(b: &mut FunctionBuilder, mask: Value, if_true: Value, if_false: Value) -> Value {
    let mask = from_bits(b, mask);
    b.ins().bitselect(mask, if_true, if_false)
}

/// `if mask { constant } else { otherwise }` per lane.
fn select_constant(b: &mut FunctionBuilder, mask: Value, constant: f64, otherwise: Value) -> Value {
    let constant = splat_f64(b, constant);
    select(b, mask, constant, otherwise)
}

/// The lane mask of one bit of the integer lanes `bits`, the one `shift` places up: all ones
/// where it is set, as 0 - ((bits >> shift) & 1). Bit 63 of a double's bits is its sign
/// (`f64::is_sign_negative`, -0 and NaN included).
fn bit_as_mask(b: &mut FunctionBuilder, bits: Value, shift: i64) -> Value {
    let shifted = if shift == 0 { bits } else { b.ins().ushr_imm_u(bits, shift) };
    let one = splat_u64(b, 1);
    let bit = b.ins().band(shifted, one);
    b.ins().ineg(bit)
}

fn add_constant(b: &mut FunctionBuilder, x: Value, constant: f64) -> Value {
    let constant = splat_f64(b, constant);
    b.ins().fadd(x, constant)
}

fn mul_constant(b: &mut FunctionBuilder, x: Value, constant: f64) -> Value {
    let constant = splat_f64(b, constant);
    b.ins().fmul(x, constant)
}

fn two_sum(b: &mut FunctionBuilder, a: Value, c: Value) -> DoubleDouble {
    let hi = b.ins().fadd(a, c);
    let c_part = b.ins().fsub(hi, a);
    let a_part = b.ins().fsub(hi, c_part);
    let a_error = b.ins().fsub(a, a_part);
    let c_error = b.ins().fsub(c, c_part);
    let lo = b.ins().fadd(a_error, c_error);
    DoubleDouble { hi, lo }
}

fn fast_two_sum(b: &mut FunctionBuilder, a: Value, c: Value) -> DoubleDouble {
    let hi = b.ins().fadd(a, c);
    let a_part = b.ins().fsub(hi, a);
    let lo = b.ins().fsub(c, a_part);
    DoubleDouble { hi, lo }
}

fn split(b: &mut FunctionBuilder, a: Value) -> (Value, Value) {
    let scaled = mul_constant(b, a, SPLITTER);
    let excess = b.ins().fsub(scaled, a);
    let hi = b.ins().fsub(scaled, excess);
    let lo = b.ins().fsub(a, hi);
    (hi, lo)
}

fn two_prod(b: &mut FunctionBuilder, a: Value, c: Value) -> DoubleDouble {
    let hi = b.ins().fmul(a, c);
    let (a_hi, a_lo) = split(b, a);
    let (c_hi, c_lo) = split(b, c);
    let high_product = b.ins().fmul(a_hi, c_hi);
    let error = b.ins().fsub(high_product, hi);
    let cross = b.ins().fmul(a_hi, c_lo);
    let error = b.ins().fadd(error, cross);
    let cross = b.ins().fmul(a_lo, c_hi);
    let error = b.ins().fadd(error, cross);
    let low_product = b.ins().fmul(a_lo, c_lo);
    let lo = b.ins().fadd(error, low_product);
    DoubleDouble { hi, lo }
}

fn polynomial(b: &mut FunctionBuilder, z: Value, coefficients: &[f64]) -> Value {
    let (last, rest) = coefficients.split_last().expect("a polynomial has a coefficient");
    let mut acc = splat_f64(b, *last);
    for &c in rest.iter().rev() {
        let scaled = b.ins().fmul(acc, z);
        acc = add_constant(b, scaled, c);
    }
    acc
}

fn power_of_two(b: &mut FunctionBuilder, k: Value) -> Value {
    let shifted = add_constant(b, k, ROUNDING_MAGIC);
    let shifted = to_bits(b, shifted);
    let magic = splat_u64(b, ROUNDING_MAGIC.to_bits());
    let k_bits = b.ins().isub(shifted, magic);
    let bias = splat_u64(b, EXPONENT_BIAS as u64);
    let biased = b.ins().iadd(k_bits, bias);
    let bits = b.ins().ishl_imm_u(biased, 52);
    from_bits(b, bits)
}

fn ln_double_double(b: &mut FunctionBuilder, x: Value) -> DoubleDouble {
    let subnormal = compare_with(b, FloatCC::LessThan, x, f64::MIN_POSITIVE);
    let scaled = mul_constant(b, x, TWO_POW_54);
    let normal = select(b, subnormal, scaled, x);
    let bits = to_bits(b, normal);
    let exponent_bits = b.ins().ushr_imm_u(bits, 52);
    let magic_bits = splat_u64(b, TWO_POW_52.to_bits());
    let exponent_bits = b.ins().bor(exponent_bits, magic_bits);
    let exponent_shifted = from_bits(b, exponent_bits);
    let biased_exponent = add_constant(b, exponent_shifted, -TWO_POW_52);
    let significand_mask = splat_u64(b, SIGNIFICAND_MASK);
    let significand_bits = b.ins().band(bits, significand_mask);
    let one_bits = splat_u64(b, 1.0f64.to_bits());
    let significand_bits = b.ins().bor(significand_bits, one_bits);
    let significand = from_bits(b, significand_bits);
    let halve = compare_with(b, FloatCC::GreaterThan, significand, SQRT2);
    let halved = mul_constant(b, significand, 0.5);
    let m = select(b, halve, halved, significand);
    let unbiased = add_constant(b, biased_exponent, -EXPONENT_BIAS);
    let zero = splat_f64(b, 0.0);
    let halving_step = select_constant(b, halve, 1.0, zero);
    let k = b.ins().fadd(unbiased, halving_step);
    let subnormal_step = select_constant(b, subnormal, -54.0, zero);
    let k = b.ins().fadd(k, subnormal_step);

    let f = add_constant(b, m, -1.0);
    let denominator = add_constant(b, f, 2.0);
    let denominator_excess = add_constant(b, denominator, -2.0);
    let denominator_lo = b.ins().fsub(f, denominator_excess);
    let s_hi = b.ins().fdiv(f, denominator);
    let product = two_prod(b, s_hi, denominator);
    let residual = b.ins().fsub(f, product.hi);
    let residual = b.ins().fsub(residual, product.lo);
    let correction = b.ins().fmul(s_hi, denominator_lo);
    let residual = b.ins().fsub(residual, correction);
    let s_lo = b.ins().fdiv(residual, denominator);

    let square = two_prod(b, s_hi, s_hi);
    let cube = two_prod(b, square.hi, s_hi);
    let square_lo_term = b.ins().fmul(square.lo, s_hi);
    let three_square = mul_constant(b, square.hi, 3.0);
    let s_lo_term = b.ins().fmul(three_square, s_lo);
    let cube_correction = b.ins().fadd(square_lo_term, s_lo_term);
    let cube_lo = b.ins().fadd(cube.lo, cube_correction);
    let two_thirds_hi = splat_f64(b, TWO_THIRDS_HI);
    let third = two_prod(b, cube.hi, two_thirds_hi);
    let low_coefficient_term = mul_constant(b, cube.hi, TWO_THIRDS_LO);
    let low_cube_term = mul_constant(b, cube_lo, TWO_THIRDS_HI);
    let third_correction = b.ins().fadd(low_coefficient_term, low_cube_term);
    let third_lo = b.ins().fadd(third.lo, third_correction);
    let two_s_hi = mul_constant(b, s_hi, 2.0);
    let square_lo_term = b.ins().fmul(two_s_hi, s_lo);
    let square_lo = b.ins().fadd(square.lo, square_lo_term);
    let fifth = b.ins().fmul(cube.hi, square.hi);
    let cube_lo_term = b.ins().fmul(cube_lo, square.hi);
    let square_lo_term = b.ins().fmul(cube.hi, square_lo);
    let fifth_correction = b.ins().fadd(cube_lo_term, square_lo_term);
    let fifth = b.ins().fadd(fifth, fifth_correction);
    let series = polynomial(b, square.hi, &LN_TAIL);
    let tail = b.ins().fmul(fifth, series);

    let k_ln2_hi = mul_constant(b, k, LN2_HI);
    let head = two_sum(b, k_ln2_hi, two_s_hi);
    let with_third = two_sum(b, head.hi, third.hi);
    let head_lo = b.ins().fadd(head.lo, with_third.lo);
    let small = b.ins().fadd(tail, third_lo);
    let two_s_lo = mul_constant(b, s_lo, 2.0);
    let small = b.ins().fadd(small, two_s_lo);
    let k_ln2_lo = mul_constant(b, k, LN2_LO);
    let small = b.ins().fadd(small, k_ln2_lo);
    let lo = b.ins().fadd(head_lo, small);
    fast_two_sum(b, with_third.hi, lo)
}

fn exp_double_double(b: &mut FunctionBuilder, hi: Value, lo: Value) -> Value {
    let above_min = compare_with(b, FloatCC::GreaterThanOrEqual, hi, EXP_INPUT_MIN);
    let below_max = compare_with(b, FloatCC::LessThanOrEqual, hi, EXP_INPUT_MAX);
    let in_range = b.ins().band(above_min, below_max);
    let too_large = compare_with(b, FloatCC::GreaterThan, hi, EXP_INPUT_MAX);
    let clamped = select_constant(b, too_large, EXP_INPUT_MAX, hi);
    let too_small = compare_with(b, FloatCC::LessThan, hi, EXP_INPUT_MIN);
    let clamped = select_constant(b, too_small, EXP_INPUT_MIN, clamped);
    let nan = b.ins().fcmp(FloatCC::Unordered, hi, hi);
    let clamped = select_constant(b, nan, 0.0, clamped);
    let zero = splat_f64(b, 0.0);
    let lo = select(b, in_range, lo, zero);

    let scaled = mul_constant(b, clamped, INV_LN2);
    let shifted = add_constant(b, scaled, ROUNDING_MAGIC);
    let k = add_constant(b, shifted, -ROUNDING_MAGIC);
    let k_ln2_hi = mul_constant(b, k, LN2_HI);
    let reduced = b.ins().fsub(clamped, k_ln2_hi);
    let k_ln2_lo = mul_constant(b, k, LN2_LO);
    let reduced_lo = b.ins().fsub(lo, k_ln2_lo);
    let r = two_sum(b, reduced, reduced_lo);

    let square = two_prod(b, r.hi, r.hi);
    let cube = b.ins().fmul(r.hi, square.hi);
    let series = polynomial(b, r.hi, &EXP_TAIL);
    let tail = b.ins().fmul(cube, series);
    let half_square_lo = mul_constant(b, square.lo, 0.5);
    let small = b.ins().fadd(tail, half_square_lo);
    let cross = b.ins().fmul(r.hi, r.lo);
    let small = b.ins().fadd(small, cross);
    let small = b.ins().fadd(small, r.lo);
    let one = splat_f64(b, 1.0);
    let one_plus_r = two_sum(b, one, r.hi);
    let half_square = mul_constant(b, square.hi, 0.5);
    let with_square = two_sum(b, one_plus_r.hi, half_square);
    let errors = b.ins().fadd(one_plus_r.lo, with_square.lo);
    let low = b.ins().fadd(errors, small);
    let e_r = b.ins().fadd(with_square.hi, low);

    let half = mul_constant(b, k, 0.5);
    let half = add_constant(b, half, ROUNDING_MAGIC);
    let k_half = add_constant(b, half, -ROUNDING_MAGIC);
    let k_rest = b.ins().fsub(k, k_half);
    let first_scale = power_of_two(b, k_half);
    let second_scale = power_of_two(b, k_rest);
    let partly_scaled = b.ins().fmul(e_r, first_scale);
    b.ins().fmul(partly_scaled, second_scale)
}

/// math::ln per lane.
pub(crate) fn ln(b: &mut FunctionBuilder, x: Value) -> Value {
    let positive = compare_with(b, FloatCC::GreaterThan, x, 0.0);
    let finite = compare_with(b, FloatCC::LessThan, x, f64::INFINITY);
    let in_domain = b.ins().band(positive, finite);
    let one = splat_f64(b, 1.0);
    let operand = select(b, in_domain, x, one);
    let general = ln_double_double(b, operand).hi;
    let infinite = compare_with(b, FloatCC::Equal, x, f64::INFINITY);
    let result = select_constant(b, infinite, f64::INFINITY, general);
    let zero = compare_with(b, FloatCC::Equal, x, 0.0);
    let result = select_constant(b, zero, f64::NEG_INFINITY, result);
    let nan = b.ins().fcmp(FloatCC::Unordered, x, x);
    let negative = compare_with(b, FloatCC::LessThan, x, 0.0);
    let outside = b.ins().bor(nan, negative);
    select_constant(b, outside, f64::NAN, result)
}

/// math::ln_1p per lane.
pub(crate) fn ln_1p(b: &mut FunctionBuilder, x: Value) -> Value {
    let above_minus_one = compare_with(b, FloatCC::GreaterThan, x, -1.0);
    let finite = compare_with(b, FloatCC::LessThan, x, f64::INFINITY);
    let in_domain = b.ins().band(above_minus_one, finite);
    let zero = splat_f64(b, 0.0);
    let operand = select(b, in_domain, x, zero);
    let one = splat_f64(b, 1.0);
    let one_plus_x = two_sum(b, one, operand);
    let log = ln_double_double(b, one_plus_x.hi);
    let rounding_term = b.ins().fdiv(one_plus_x.lo, one_plus_x.hi);
    let low = b.ins().fadd(log.lo, rounding_term);
    let general = b.ins().fadd(log.hi, low);
    let is_zero = compare_with(b, FloatCC::Equal, x, 0.0);
    let result = select(b, is_zero, x, general);
    let infinite = compare_with(b, FloatCC::Equal, x, f64::INFINITY);
    let result = select_constant(b, infinite, f64::INFINITY, result);
    let minus_one = compare_with(b, FloatCC::Equal, x, -1.0);
    let result = select_constant(b, minus_one, f64::NEG_INFINITY, result);
    let nan = b.ins().fcmp(FloatCC::Unordered, x, x);
    let below_minus_one = compare_with(b, FloatCC::LessThan, x, -1.0);
    let outside = b.ins().bor(nan, below_minus_one);
    select_constant(b, outside, f64::NAN, result)
}

/// math::exp per lane.
pub(crate) fn exp(b: &mut FunctionBuilder, x: Value) -> Value {
    let zero = splat_f64(b, 0.0);
    let general = exp_double_double(b, x, zero);
    let nan = b.ins().fcmp(FloatCC::Unordered, x, x);
    select_constant(b, nan, f64::NAN, general)
}

/// math::pow per lane.
pub(crate) fn pow(b: &mut FunctionBuilder, x: Value, y: Value) -> Value {
    let abs_x = b.ins().fabs(x);
    let abs_y = b.ins().fabs(y);

    let y_large = compare_with(b, FloatCC::GreaterThanOrEqual, abs_y, TWO_POW_52);
    let shifted_y = add_constant(b, abs_y, TWO_POW_52);
    let units = select(b, y_large, abs_y, shifted_y);
    let rounded = add_constant(b, units, -TWO_POW_52);
    let rounds_to_itself = b.ins().fcmp(FloatCC::Equal, rounded, abs_y);
    let y_integral = b.ins().bor(y_large, rounds_to_itself);
    let below_2_53 = compare_with(b, FloatCC::LessThan, abs_y, TWO_POW_53);
    let units_bits = to_bits(b, units);
    let units_odd = bit_as_mask(b, units_bits, 0);
    let y_odd = b.ins().band(y_integral, below_2_53);
    let y_odd = b.ins().band(y_odd, units_odd);
    let x_bits = to_bits(b, x);
    let x_negative = bit_as_mask(b, x_bits, 63);
    let negate = b.ins().band(x_negative, y_odd);

    let positive = compare_with(b, FloatCC::GreaterThan, abs_x, 0.0);
    let finite = compare_with(b, FloatCC::LessThan, abs_x, f64::INFINITY);
    let x_ordinary = b.ins().band(positive, finite);
    let one = splat_f64(b, 1.0);
    let x_general = select(b, x_ordinary, abs_x, one);
    let y_too_large = compare_with(b, FloatCC::GreaterThan, y, TWO_POW_64);
    let y_general = select_constant(b, y_too_large, TWO_POW_64, y);
    let y_too_small = compare_with(b, FloatCC::LessThan, y, -TWO_POW_64);
    let y_general = select_constant(b, y_too_small, -TWO_POW_64, y_general);
    let log = ln_double_double(b, x_general);
    let product = two_prod(b, y_general, log.hi);
    let low_product = b.ins().fmul(y_general, log.lo);
    let product_lo = b.ins().fadd(product.lo, low_product);
    let magnitude = exp_double_double(b, product.hi, product_lo);
    let negated = b.ins().fneg(magnitude);
    let result = select(b, negate, negated, magnitude);

    let y_fractional = b.ins().bnot(y_integral);
    let no_real_result = b.ins().band(x_negative, y_fractional);
    let result = select_constant(b, no_real_result, f64::NAN, result);

    let x_above_one = compare_with(b, FloatCC::GreaterThan, abs_x, 1.0);
    let y_positive = compare_with(b, FloatCC::GreaterThan, y, 0.0);
    let differ = b.ins().bxor(x_above_one, y_positive);
    let grows = b.ins().bnot(differ);
    let zero = splat_f64(b, 0.0);
    let infinite_y = select_constant(b, grows, f64::INFINITY, zero);
    let x_unit = compare_with(b, FloatCC::Equal, abs_x, 1.0);
    let infinite_y = select_constant(b, x_unit, 1.0, infinite_y);
    let y_infinite = compare_with(b, FloatCC::Equal, abs_y, f64::INFINITY);
    let result = select(b, y_infinite, infinite_y, result);

    let x_zero = compare_with(b, FloatCC::Equal, abs_x, 0.0);
    let y_negative = compare_with(b, FloatCC::LessThan, y, 0.0);
    let differ = b.ins().bxor(x_zero, y_negative);
    let infinite = b.ins().bnot(differ);
    let zero_or_infinite = select_constant(b, infinite, f64::INFINITY, zero);
    let negated = b.ins().fneg(zero_or_infinite);
    let zero_or_infinite = select(b, negate, negated, zero_or_infinite);
    let x_infinite = compare_with(b, FloatCC::Equal, abs_x, f64::INFINITY);
    let x_extreme = b.ins().bor(x_zero, x_infinite);
    let result = select(b, x_extreme, zero_or_infinite, result);

    let x_nan = b.ins().fcmp(FloatCC::Unordered, x, x);
    let y_nan = b.ins().fcmp(FloatCC::Unordered, y, y);
    let either_nan = b.ins().bor(x_nan, y_nan);
    let result = select_constant(b, either_nan, f64::NAN, result);
    let x_one = compare_with(b, FloatCC::Equal, x, 1.0);
    let y_zero = compare_with(b, FloatCC::Equal, y, 0.0);
    let exactly_one = b.ins().bor(x_one, y_zero);
    select_constant(b, exactly_one, 1.0, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math;
    use crate::math::tests::Random;
    use cranelift_codegen::ir::condcodes::IntCC;
    use cranelift_codegen::ir::{AbiParam, BlockArg, UserFuncName};
    use cranelift_codegen::settings::{self, Configurable};
    use cranelift_frontend::FunctionBuilderContext;
    use cranelift_jit::{JITBuilder, JITModule};
    use cranelift_module::{Linkage, Module, default_libcall_names};

    type Emitter = fn(&mut FunctionBuilder, Value, Value) -> Value;
    type Kernel = unsafe extern "C" fn(x: *const f64, y: *const f64, out: *mut f64, pairs: usize);

    /// A native loop `out[i] = f(x[i], y[i])` over pairs of lanes, with `f` from an emitter; the
    /// module owns the code, so it lives as long as the kernel is called.
    struct Compiled {
        _module: JITModule,
        kernel: Kernel,
    }

    impl Compiled {
        fn new(emit: Emitter) -> Self {
            let mut flags = settings::builder();
            flags.set("opt_level", "speed").unwrap();
            flags.set("is_pic", "false").unwrap();
            let isa = cranelift_native::builder().unwrap().finish(settings::Flags::new(flags)).unwrap();
            let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
            let pointer = module.target_config().pointer_type();
            let mut context = module.make_context();
            context.func.signature.params.extend([AbiParam::new(pointer); 4]);
            let id = module.declare_function("kernel", Linkage::Local, &context.func.signature).unwrap();
            context.func.name = UserFuncName::user(0, id.as_u32());

            let mut builder_context = FunctionBuilderContext::new();
            let mut b = FunctionBuilder::new(&mut context.func, &mut builder_context);
            let entry = b.create_block();
            let header = b.create_block();
            let body = b.create_block();
            let exit = b.create_block();
            b.append_block_params_for_function_params(entry);
            let index = b.append_block_param(header, pointer);

            b.switch_to_block(entry);
            let &[x, y, out, pairs] = b.block_params(entry) else { unreachable!("four parameters") };
            let start = b.ins().iconst(pointer, 0);
            b.ins().jump(header, &[BlockArg::Value(start)]);

            b.switch_to_block(header);
            let more = b.ins().icmp(IntCC::UnsignedLessThan, index, pairs);
            b.ins().brif(more, body, &[], exit, &[]);

            b.switch_to_block(body);
            let offset = b.ins().imul_imm_u(index, 16);
            let memory = MemFlagsData::new().with_notrap();
            let x_address = b.ins().iadd(x, offset);
            let x_lanes = b.ins().load(types::F64X2, memory, x_address, 0);
            let y_address = b.ins().iadd(y, offset);
            let y_lanes = b.ins().load(types::F64X2, memory, y_address, 0);
            let result = emit(&mut b, x_lanes, y_lanes);
            let out_address = b.ins().iadd(out, offset);
            b.ins().store(memory, result, out_address, 0);
            let next = b.ins().iadd_imm_s(index, 1);
            b.ins().jump(header, &[BlockArg::Value(next)]);

            b.switch_to_block(exit);
            b.ins().return_(&[]);
            b.seal_all_blocks();
            b.finalize(module.target_config());

            module.define_function(id, &mut context).unwrap();
            module.finalize_definitions().unwrap();
            let code = module.get_finalized_function(id);
            // SAFETY: the function was built above with exactly this signature.
            let kernel = unsafe { std::mem::transmute::<*const u8, Kernel>(code) };
            Compiled { _module: module, kernel }
        }

        fn run(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
            assert!(x.len() == y.len() && x.len() % 2 == 0);
            let mut out = vec![0.0; x.len()];
            // SAFETY: three buffers of x.len() doubles, read and written in pairs below that.
            unsafe { (self.kernel)(x.as_ptr(), y.as_ptr(), out.as_mut_ptr(), x.len() / 2) };
            out
        }
    }

    const SAMPLES: usize = 1_000_000;

    /// Values where the functions change behaviour: zeros, infinities, NaN, units, subnormals,
    /// the overflow and underflow edges, the 2^52 and 2^53 steps of pow's integer test.
    const SPECIAL: [f64; 30] = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        -2.0,
        3.0,
        -3.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::MIN_POSITIVE / 3.0,
        4.9e-324,
        -4.9e-324,
        f64::MAX,
        f64::MIN,
        709.782712893384,
        709.79,
        -745.1332191019411,
        -745.2,
        4_503_599_627_370_497.0,
        -9_007_199_254_740_994.0,
        1.0 + f64::EPSILON,
        1.0 - f64::EPSILON / 2.0,
        1e-17,
        -1e300,
    ];

    /// One operand: a special value, any bit pattern (NaN payloads and infinities included), a
    /// number near 1, a number across exp's range, a small integer, or ±(1 + u) 2^e.
    fn operand(random: &mut Random) -> f64 {
        match random.bits() % 7 {
            0 => SPECIAL[(random.bits() % SPECIAL.len() as u64) as usize],
            1 => f64::from_bits(random.bits()),
            2 => 1.0 + random.scaled(-60, -1),
            3 => random.between(-760.0, 720.0),
            4 => random.between(-100.0, 100.0).trunc(),
            5 => random.scaled(-1074, 1023),
            _ => random.scaled(-30, 30),
        }
    }

    /// Operand pairs; a third of the y values keep y ln|x| in exp's range, where pow is most used.
    fn operands(seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut random = Random::new(seed);
        let x: Vec<f64> = (0..SAMPLES).map(|_| operand(&mut random)).collect();
        let y = x
            .iter()
            .map(|&x| {
                if random.bits() % 3 == 0 { random.between(-745.0, 709.0) / x.abs().ln() } else { operand(&mut random) }
            })
            .collect();
        (x, y)
    }

    fn assert_bit_identical(name: &str, emit: Emitter, scalar: fn(f64, f64) -> f64, seed: u64) {
        let (x, y) = operands(seed);
        let jit = Compiled::new(emit).run(&x, &y);
        for ((&x, &y), &jit) in x.iter().zip(&y).zip(&jit) {
            let expected = scalar(x, y);
            assert!(
                jit.to_bits() == expected.to_bits() || (jit.is_nan() && expected.is_nan()),
                "{name}({x:e}, {y:e}): JIT gives {jit:e} ({:#x}), math.rs {expected:e} ({:#x})",
                jit.to_bits(),
                expected.to_bits()
            );
        }
    }

    #[test]
    fn jit_ln_is_bit_identical_to_math_rs() {
        assert_bit_identical("ln", |b, x, _| ln(b, x), |x, _| math::ln(x), 11);
    }

    #[test]
    fn jit_ln_1p_is_bit_identical_to_math_rs() {
        assert_bit_identical("ln_1p", |b, x, _| ln_1p(b, x), |x, _| math::ln_1p(x), 12);
    }

    #[test]
    fn jit_exp_is_bit_identical_to_math_rs() {
        assert_bit_identical("exp", |b, x, _| exp(b, x), |x, _| math::exp(x), 13);
    }

    #[test]
    fn jit_pow_is_bit_identical_to_math_rs() {
        assert_bit_identical("pow", pow, math::pow, 14);
    }

    /// Every pair of special values, both ways round, through pow.
    #[test]
    fn jit_pow_special_cases_are_bit_identical() {
        let (x, y): (Vec<f64>, Vec<f64>) = SPECIAL.iter().flat_map(|&x| SPECIAL.iter().map(move |&y| (x, y))).unzip();
        let jit = Compiled::new(pow).run(&x, &y);
        for ((&x, &y), &jit) in x.iter().zip(&y).zip(&jit) {
            let expected = math::pow(x, y);
            assert!(jit.to_bits() == expected.to_bits() || (jit.is_nan() && expected.is_nan()), "pow({x:e}, {y:e})");
        }
    }
}
