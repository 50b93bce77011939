//! Cranelift IR for a typed expression: one function that loops over the rows two at a time.
//! Each step's numbers travel as one `f64x2` vector (category codes as one `i64x2`), its
//! conditions and validity as two bits of an integer, so `and`, `or`, `not` and the
//! missing-value bookkeeping cost one scalar instruction per step. Nothing in the loop calls
//! out: the functions are inlined from [`super::math`].
//!
//! The loop body is written for `P` vectors per step ([`Tier`]): one keeps the code small, which
//! is what compile time is most sensitive to; four (a whole byte of bits per step) run about
//! twice as fast on data in cache, at twice the compile time.
//!
//! The function's one argument points at an array of pointers: for input slot `i`, its values
//! at `2i` and its validity bits at `2i + 1`; then the output's values and validity bits. The
//! second argument is the number of blocks of 8 rows (the unit callers split work in). Bit `k`
//! of a validity or bool byte is row `k` of its block, as in Arrow. The output's bit bytes must
//! be zero on entry: each step ORs its two bits in.

use super::math;
use super::typed::{Kind, Layout, Node, Typed};
use crate::reference::Function;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::Ieee64;
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::FunctionBuilder;
use mlp_compiler::ast::BinOp;
use std::collections::HashMap;

/// Rows per block: one byte of validity bits.
pub const BLOCK_ROWS: usize = 8;
/// How much effort code generation spends: the loop's unrolling and Cranelift's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Two rows a step, no mid-end optimisation, single-pass register allocation: the fastest
    /// to compile, for small tables where compiling dominates.
    Quick,
    /// Eight rows a step, Cranelift's optimiser and backtracking register allocation: about twice
    /// the throughput, for tables where evaluating dominates.
    Optimized,
}

/// One block's values of a node.
#[derive(Clone, Copy)]
enum Values<const P: usize> {
    Numbers([Value; P]),
    Codes([Value; P]),
    /// Conditions: bit k is row k (bits above 8 are meaningless).
    Bits(Value),
}

/// One block's validity of a node.
#[derive(Clone, Copy)]
enum Validity {
    All,
    Bits(Value),
}

/// Emits the loop body for one block; `pointers` are the function's loop-invariant base pointers.
pub struct Emitter<'a, 'f, const P: usize> {
    b: &'a mut FunctionBuilder<'f>,
    typed: &'a Typed,
    /// Per input slot: values base and validity base.
    bases: Vec<(Value, Value)>,
    /// The byte of bits this step's rows are in, and the bit position of its first row there.
    bit_byte: Value,
    bit_shift: Value,
    /// This step's byte offset into 8-byte value buffers (computed once: the quick tier has no
    /// optimiser to merge repeats).
    values_offset: Value,
    /// Inputs loaded in this block.
    loaded: Vec<Option<(Values<P>, Validity)>>,
    /// The lane masks that condition bits were made from, so that an `if` on a comparison
    /// selects with them instead of expanding the bits again.
    lane_masks: HashMap<Value, [Value; P]>,
}

/// For each byte of bits, the four `i64x2` lane masks of its rows: entry `b`, pair `q` holds
/// all-ones in lane `k` when bit `2q + k` of `b` is set.
static LANE_MASKS: [[i64; 8]; 256] = lane_masks();

const fn lane_masks() -> [[i64; 8]; 256] {
    let mut table = [[0i64; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut row = 0;
        while row < 8 {
            if byte & (1 << row) != 0 {
                table[byte][row] = -1;
            }
            row += 1;
        }
        byte += 1;
    }
    table
}

fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Reads of the inputs and the mask table, which nothing writes while the kernel runs: pure, so
/// the optimiser may place each next to its first use instead of all at the top of the loop
/// body, where sixteen live vectors spill.
fn input() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Lane-reinterpreting casts between `i64x2` and `f64x2` (same lanes, so the order is moot,
/// but Cranelift asks for it on vector bitcasts).
fn lanes() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

impl<'a, 'f, const P: usize> Emitter<'a, 'f, P> {
    /// Rows per loop step.
    pub const STEP_ROWS: usize = 2 * P;
    /// Bytes of values per step for 8-byte values (f64, i64 and codes).
    const STEP_BYTES: i64 = (Self::STEP_ROWS * 8) as i64;

    pub fn new(b: &'a mut FunctionBuilder<'f>, typed: &'a Typed, bases: Vec<(Value, Value)>, step: Value) -> Self {
        let loaded = vec![None; typed.inputs.len()];
        let (bit_byte, bit_shift) = if Self::STEP_ROWS == 8 {
            (step, b.ins().iconst(types::I64, 0))
        } else {
            let steps_per_byte = (8 / Self::STEP_ROWS) as i64;
            let within = b.ins().urem_imm_u(step, steps_per_byte);
            (b.ins().udiv_imm_u(step, steps_per_byte), b.ins().imul_imm_s(within, Self::STEP_ROWS as i64))
        };
        let values_offset = b.ins().imul_imm_s(step, Self::STEP_BYTES);
        Emitter { b, typed, bases, bit_byte, bit_shift, values_offset, loaded, lane_masks: HashMap::new() }
    }

    /// This step's bits of a bit-packed buffer, in the low bits of an i64.
    fn load_bits(&mut self, base: Value) -> Value {
        let at = self.b.ins().iadd(base, self.bit_byte);
        let byte = self.b.ins().uload8(types::I64, input(), at, 0);
        if Self::STEP_ROWS == 8 { byte } else { self.b.ins().ushr(byte, self.bit_shift) }
    }

    /// ORs this step's bits into a bit-packed output.
    fn store_bits(&mut self, base: Value, bits: Value) {
        let at = self.b.ins().iadd(base, self.bit_byte);
        if Self::STEP_ROWS == 8 {
            self.b.ins().istore8(trusted(), bits, at, 0);
            return;
        }
        let mine = self.b.ins().band_imm_u(bits, (1 << Self::STEP_ROWS) - 1);
        let mine = self.b.ins().ishl(mine, self.bit_shift);
        let before = self.b.ins().uload8(types::I64, trusted(), at, 0);
        let after = self.b.ins().bor(before, mine);
        self.b.ins().istore8(trusted(), after, at, 0);
    }

    /// Emits the whole expression for this block and stores it through the output bases.
    pub fn emit_block(&mut self, out_values: Value, out_validity: Value) {
        let (values, validity) = self.node(&self.typed.root);
        let offset = self.values_offset;
        let values_at = self.b.ins().iadd(out_values, offset);
        let bits = match validity {
            Validity::All => None,
            Validity::Bits(bits) => Some(bits),
        };
        match values {
            Values::Numbers(pairs) => {
                let nan = self.b.ins().f64const(Ieee64::with_float(f64::NAN));
                let nan = self.b.ins().splat(types::F64X2, nan);
                for (q, v) in pairs.into_iter().enumerate() {
                    // One NaN for all, so equal results are equal bits.
                    let is_nan = self.b.ins().fcmp(FloatCC::Unordered, v, v);
                    let is_nan = self.b.ins().bitcast(types::F64X2, lanes(), is_nan);
                    let v = self.b.ins().bitselect(is_nan, nan, v);
                    let v = self.b.ins().bitcast(types::I64X2, lanes(), v);
                    let v = self.zero_missing(v, bits, q);
                    self.b.ins().store(trusted(), v, values_at, (q * 16) as i32);
                }
            }
            Values::Codes(pairs) => {
                for (q, v) in pairs.into_iter().enumerate() {
                    let v = self.zero_missing(v, bits, q);
                    self.b.ins().store(trusted(), v, values_at, (q * 16) as i32);
                }
            }
            Values::Bits(value) => {
                // Bool results are bit-packed: one byte per block.
                let value = match bits {
                    Some(valid) => self.b.ins().band(value, valid),
                    None => value,
                };
                self.store_bits(out_values, value);
            }
        }
        let valid = match bits {
            Some(bits) => bits,
            None => self.b.ins().iconst(types::I64, 0xFF),
        };
        self.store_bits(out_validity, valid);
    }

    /// Clears the lanes of missing rows, as the reference's arrays hold 0 there.
    fn zero_missing(&mut self, v: Value, bits: Option<Value>, q: usize) -> Value {
        match bits {
            Some(bits) => {
                let mask = self.mask_of(bits, q);
                self.b.ins().band(v, mask)
            }
            None => v,
        }
    }

    /// Rows `2q` and `2q + 1` of `bits` as an `i64x2` lane mask: the lanes a comparison made
    /// when there was one, else looked up in [`LANE_MASKS`] (one load instead of four
    /// instructions).
    fn mask_of(&mut self, bits: Value, q: usize) -> Value {
        if let Some(masks) = self.lane_masks.get(&bits) {
            return masks[q];
        }
        let table = self.b.ins().iconst(types::I64, LANE_MASKS.as_ptr() as i64);
        let index = self.b.ins().band_imm_u(bits, 0xFF);
        let offset = self.b.ins().ishl_imm_u(index, 6);
        let at = self.b.ins().iadd(table, offset);
        self.b.ins().load(types::I64X2, input(), at, (q * 16) as i32)
    }

    fn i64x2(&mut self, low: i64, high: i64) -> Value {
        let mut bytes = low.to_le_bytes().to_vec();
        bytes.extend_from_slice(&high.to_le_bytes());
        let constant = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
        self.b.ins().vconst(types::I64X2, constant)
    }

    /// `P` `i64x2` lane masks as bits, remembered for [`Self::mask_of`].
    fn bits_of(&mut self, masks: [Value; P]) -> Value {
        let mut bits = self.b.ins().vhigh_bits(types::I64, masks[0]);
        for (q, mask) in masks.into_iter().enumerate().skip(1) {
            let pair = self.b.ins().vhigh_bits(types::I64, mask);
            let pair = self.b.ins().ishl_imm_u(pair, (2 * q) as i64);
            bits = self.b.ins().bor(bits, pair);
        }
        self.lane_masks.insert(bits, masks);
        bits
    }

    fn all_bits(&mut self, validity: Validity) -> Value {
        match validity {
            Validity::All => self.b.ins().iconst(types::I64, -1),
            Validity::Bits(bits) => bits,
        }
    }

    fn both(&mut self, a: Validity, b: Validity) -> Validity {
        match (a, b) {
            (Validity::All, other) | (other, Validity::All) => other,
            (Validity::Bits(x), Validity::Bits(y)) => Validity::Bits(self.b.ins().band(x, y)),
        }
    }

    fn load(&mut self, slot: usize) -> (Values<P>, Validity) {
        if let Some(loaded) = self.loaded[slot] {
            return loaded;
        }
        let (values_base, validity_base) = self.bases[slot];
        let layout = self.typed.inputs[slot].1;
        let validity = self.load_bits(validity_base);
        let values = match layout {
            Layout::Bool => Values::Bits(self.load_bits(values_base)),
            Layout::Float64 | Layout::Text => {
                let offset = self.values_offset;
                let at = self.b.ins().iadd(values_base, offset);
                let ty = if layout == Layout::Float64 { types::F64X2 } else { types::I64X2 };
                let pairs = std::array::from_fn(|q| self.b.ins().load(ty, input(), at, (q * 16) as i32));
                if layout == Layout::Float64 { Values::Numbers(pairs) } else { Values::Codes(pairs) }
            }
            Layout::Int64 => {
                // Each i64 converted on its own: x86-64 has no vector i64 → f64 before AVX-512.
                let offset = self.values_offset;
                let at = self.b.ins().iadd(values_base, offset);
                Values::Numbers(std::array::from_fn(|q| {
                    let low = self.b.ins().load(types::I64, input(), at, (q * 16) as i32);
                    let high = self.b.ins().load(types::I64, input(), at, (q * 16 + 8) as i32);
                    let low = self.b.ins().fcvt_from_sint(types::F64, low);
                    let high = self.b.ins().fcvt_from_sint(types::F64, high);
                    let pair = self.b.ins().scalar_to_vector(types::F64X2, low);
                    self.b.ins().insertlane(pair, high, 1)
                }))
            }
        };
        let loaded = (values, Validity::Bits(validity));
        self.loaded[slot] = Some(loaded);
        loaded
    }

    fn numbers(&mut self, node: &Node) -> ([Value; P], Validity) {
        match self.node(node) {
            (Values::Numbers(pairs), validity) => (pairs, validity),
            // Lowering typed every operand; anything else is a bug in it.
            _ => unreachable!("lowering checked that this operand is a number"),
        }
    }

    fn bits(&mut self, node: &Node) -> (Value, Validity) {
        match self.node(node) {
            (Values::Bits(bits), validity) => (bits, validity),
            _ => unreachable!("lowering checked that this operand is a condition"),
        }
    }

    fn splat_number(&mut self, x: f64) -> Value {
        let scalar = self.b.ins().f64const(Ieee64::with_float(x));
        self.b.ins().splat(types::F64X2, scalar)
    }

    fn node(&mut self, node: &Node) -> (Values<P>, Validity) {
        match node {
            Node::Number(x) => {
                let v = self.splat_number(*x);
                (Values::Numbers([v; P]), Validity::All)
            }
            Node::Bool(b) => (Values::Bits(self.b.ins().iconst(types::I64, if *b { 0xFF } else { 0 })), Validity::All),
            Node::Text(code) => {
                let scalar = self.b.ins().iconst(types::I64, *code);
                let v = self.b.ins().splat(types::I64X2, scalar);
                (Values::Codes([v; P]), Validity::All)
            }
            Node::Input(slot) => self.load(*slot),
            Node::Neg(operand) => {
                let (x, valid) = self.numbers(operand);
                (Values::Numbers(x.map(|v| self.b.ins().fneg(v))), valid)
            }
            Node::Not(operand) => {
                let (x, valid) = self.bits(operand);
                (Values::Bits(self.b.ins().bnot(x)), valid)
            }
            Node::Arithmetic(op, lhs, rhs) => {
                let (l, lv) = self.numbers(lhs);
                let (r, rv) = self.numbers(rhs);
                let pairs = std::array::from_fn(|q| match op {
                    BinOp::Add => self.b.ins().fadd(l[q], r[q]),
                    BinOp::Sub => self.b.ins().fsub(l[q], r[q]),
                    BinOp::Mul => self.b.ins().fmul(l[q], r[q]),
                    _ => self.b.ins().fdiv(l[q], r[q]),
                });
                (Values::Numbers(pairs), self.both(lv, rv))
            }
            Node::Compare(op, kind, lhs, rhs) => self.compare(*op, *kind, lhs, rhs),
            Node::And(lhs, rhs) => self.logic(lhs, rhs, false),
            Node::Or(lhs, rhs) => self.logic(lhs, rhs, true),
            Node::If(parts) => self.conditional(parts),
            Node::IsMissing(operand) => {
                let (_, validity) = self.node(operand);
                let missing = match validity {
                    Validity::All => self.b.ins().iconst(types::I64, 0),
                    Validity::Bits(bits) => self.b.ins().bnot(bits),
                };
                (Values::Bits(missing), Validity::All)
            }
            Node::Call(function, args) => self.call(*function, args),
        }
    }

    fn compare(&mut self, op: BinOp, kind: Kind, lhs: &Node, rhs: &Node) -> (Values<P>, Validity) {
        let (l, lv) = self.node(lhs);
        let (r, rv) = self.node(rhs);
        let validity = self.both(lv, rv);
        let bits = match (l, r) {
            (Values::Numbers(l), Values::Numbers(r)) => {
                // Every comparison with NaN is false, `!=` included: ordered conditions only.
                let cc = match op {
                    BinOp::Lt => FloatCC::LessThan,
                    BinOp::Le => FloatCC::LessThanOrEqual,
                    BinOp::Gt => FloatCC::GreaterThan,
                    BinOp::Ge => FloatCC::GreaterThanOrEqual,
                    BinOp::Eq => FloatCC::Equal,
                    _ => FloatCC::NotEqual,
                };
                let masks = std::array::from_fn(|q| {
                    let mask = self.b.ins().fcmp(cc, l[q], r[q]);
                    if cc == FloatCC::NotEqual {
                        // x86-64 has no vector "ordered and not equal": "not equal" is true
                        // for NaN, so also require "ordered".
                        let ordered = self.b.ins().fcmp(FloatCC::Ordered, l[q], r[q]);
                        self.b.ins().band(mask, ordered)
                    } else {
                        mask
                    }
                });
                self.bits_of(masks)
            }
            (Values::Codes(l), Values::Codes(r)) => {
                let cc = if op == BinOp::Eq { IntCC::Equal } else { IntCC::NotEqual };
                let masks = std::array::from_fn(|q| self.b.ins().icmp(cc, l[q], r[q]));
                self.bits_of(masks)
            }
            (Values::Bits(l), Values::Bits(r)) => {
                let differ = self.b.ins().bxor(l, r);
                if op == BinOp::Eq { self.b.ins().bnot(differ) } else { differ }
            }
            _ => unreachable!("lowering compares values of one kind ({kind:?})"),
        };
        (Values::Bits(bits), validity)
    }

    /// `and` (`decisive` false) or `or` (`decisive` true) in three-valued logic: a known operand
    /// equal to `decisive` decides; otherwise a missing operand makes the result missing.
    fn logic(&mut self, lhs: &Node, rhs: &Node, decisive: bool) -> (Values<P>, Validity) {
        let (a, av) = self.bits(lhs);
        let (b, bv) = self.bits(rhs);
        if let (Validity::All, Validity::All) = (av, bv) {
            let value = if decisive { self.b.ins().bor(a, b) } else { self.b.ins().band(a, b) };
            return (Values::Bits(value), Validity::All);
        }
        let av = self.all_bits(av);
        let bv = self.all_bits(bv);
        // Rows where an operand is known and equal to `decisive`.
        let (a_decides, b_decides) = if decisive {
            (self.b.ins().band(a, av), self.b.ins().band(b, bv))
        } else {
            let not_a = self.b.ins().bnot(a);
            let not_b = self.b.ins().bnot(b);
            (self.b.ins().band(not_a, av), self.b.ins().band(not_b, bv))
        };
        let both_known = self.b.ins().band(av, bv);
        let decided = self.b.ins().bor(a_decides, b_decides);
        let validity = self.b.ins().bor(both_known, decided);
        let value = if decisive {
            decided
        } else {
            let a_true = self.b.ins().band(a, av);
            let b_true = self.b.ins().band(b, bv);
            self.b.ins().band(a_true, b_true)
        };
        (Values::Bits(value), Validity::Bits(validity))
    }

    fn conditional(&mut self, parts: &[Node; 3]) -> (Values<P>, Validity) {
        let (c, cv) = self.bits(&parts[0]);
        let (t, tv) = self.node(&parts[1]);
        let (o, ov) = self.node(&parts[2]);
        let not_c = self.b.ins().bnot(c);
        let validity = match (cv, tv, ov) {
            (Validity::All, Validity::All, Validity::All) => Validity::All,
            _ => {
                let cv = self.all_bits(cv);
                let tv = self.all_bits(tv);
                let ov = self.all_bits(ov);
                let then_valid = self.b.ins().band(c, tv);
                let else_valid = self.b.ins().band(not_c, ov);
                let branch_valid = self.b.ins().bor(then_valid, else_valid);
                Validity::Bits(self.b.ins().band(cv, branch_valid))
            }
        };
        let values = match (t, o) {
            (Values::Bits(t), Values::Bits(o)) => {
                let then_bits = self.b.ins().band(c, t);
                let else_bits = self.b.ins().band(not_c, o);
                Values::Bits(self.b.ins().bor(then_bits, else_bits))
            }
            (Values::Numbers(t), Values::Numbers(o)) => Values::Numbers(std::array::from_fn(|q| {
                let mask = self.mask_of(c, q);
                let mask = self.b.ins().bitcast(types::F64X2, lanes(), mask);
                self.b.ins().bitselect(mask, t[q], o[q])
            })),
            (Values::Codes(t), Values::Codes(o)) => Values::Codes(std::array::from_fn(|q| {
                let mask = self.mask_of(c, q);
                self.b.ins().bitselect(mask, t[q], o[q])
            })),
            _ => unreachable!("lowering gives both branches one kind"),
        };
        (values, validity)
    }

    fn call(&mut self, function: Function, args: &[Node]) -> (Values<P>, Validity) {
        let mut numbers = Vec::with_capacity(args.len());
        let mut validity = Validity::All;
        for arg in args {
            let (pairs, valid) = self.numbers(arg);
            numbers.push(pairs);
            validity = self.both(validity, valid);
        }
        let constants: Vec<Option<f64>> = args.iter().map(constant_bound).collect();
        let pairs = std::array::from_fn(|q| {
            let x = numbers[0][q];
            let arg = |i: usize| numbers[i][q];
            match function {
                Function::Min | Function::Max if constants[0].is_some() && constants[1].is_none() => {
                    // Symmetric: put the constant second.
                    self.bound(arg(1), x, constants[0], function == Function::Max)
                }
                Function::Min => self.bound(x, arg(1), constants[1], false),
                Function::Max => self.bound(x, arg(1), constants[1], true),
                Function::Clamp => {
                    let low = self.bound(x, arg(1), constants[1], true);
                    self.bound(low, arg(2), constants[2], false)
                }
                Function::Abs => self.b.ins().fabs(x),
                Function::Sqrt => self.b.ins().sqrt(x),
                Function::Floor => self.b.ins().floor(x),
                Function::Ceil => self.b.ins().ceil(x),
                Function::Round => self.round(x),
                Function::Log => math::ln(self.b, x),
                Function::Log1p => math::ln_1p(self.b, x),
                Function::Exp => math::exp(self.b, x),
                Function::Pow => math::pow(self.b, x, arg(1)),
                Function::IsMissing => unreachable!("lowered to Node::IsMissing"),
            }
        });
        (Values::Numbers(pairs), validity)
    }

    /// `max(x, bound)` (or `min`) as math.rs defines them: NaN wins, -0 < +0. Cranelift's
    /// fmax/fmin follow those WebAssembly rules in about seven x86-64 instructions; against a
    /// constant that is neither NaN nor zero the rules reduce to one compare and one select (a
    /// NaN `x` fails the compare and is kept, and no signed zeros can tie).
    fn bound(&mut self, x: Value, bound: Value, constant: Option<f64>, max: bool) -> Value {
        if constant.is_none() {
            return if max { self.b.ins().fmax(x, bound) } else { self.b.ins().fmin(x, bound) };
        }
        let beyond = if max { FloatCC::GreaterThan } else { FloatCC::LessThan };
        let take_bound = self.b.ins().fcmp(beyond, bound, x);
        let take_bound = self.b.ins().bitcast(types::F64X2, lanes(), take_bound);
        self.b.ins().bitselect(take_bound, bound, x)
    }

    /// Rounds halves away from zero, bit for bit as Rust's `f64::round`: the integer part, plus
    /// one away from zero when the fraction (exact: `x - trunc(x)`) is at least a half.
    fn round(&mut self, x: Value) -> Value {
        let whole = self.b.ins().trunc(x);
        let fraction = self.b.ins().fsub(x, whole);
        let fraction = self.b.ins().fabs(fraction);
        let half = self.splat_number(0.5);
        let up = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, fraction, half);
        let up = self.b.ins().bitcast(types::F64X2, lanes(), up);
        // ±1 with x's sign, by bits: x86-64 has no vector copysign.
        let x_bits = self.b.ins().bitcast(types::I64X2, lanes(), x);
        let sign_mask = self.i64x2(i64::MIN, i64::MIN);
        let sign = self.b.ins().band(x_bits, sign_mask);
        let one = self.i64x2(1.0f64.to_bits() as i64, 1.0f64.to_bits() as i64);
        let step = self.b.ins().bor(sign, one);
        let step = self.b.ins().bitcast(types::F64X2, lanes(), step);
        let away = self.b.ins().fadd(whole, step);
        self.b.ins().bitselect(up, away, whole)
    }
}

/// The value of a literal argument that `bound` may compare with directly: a number, possibly
/// negated, that is neither NaN nor zero.
fn constant_bound(node: &Node) -> Option<f64> {
    let value = match node {
        Node::Number(x) => *x,
        Node::Neg(inner) => match inner.as_ref() {
            Node::Number(x) => -x,
            _ => return None,
        },
        _ => return None,
    };
    (value != 0.0 && !value.is_nan()).then_some(value)
}
