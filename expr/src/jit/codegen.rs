//! Cranelift IR for a typed expression: one function that loops over blocks of 8 rows. Each
//! block's numbers travel as four `f64x2` vectors (category codes as four `i64x2`), its
//! conditions and validity as the 8 bits of one integer, so `and`, `or`, `not` and the
//! missing-value bookkeeping cost one scalar instruction per 8 rows. Nothing in the loop calls
//! out: the functions are inlined from [`super::math`].
//!
//! The function's one argument points at an array of pointers: for input slot `i`, its values
//! at `2i` and its validity bits at `2i + 1`; then the output's values and validity bits. The
//! second argument is the number of blocks. Bit `k` of a validity or bool byte is row `k` of the
//! block, as in Arrow.

use super::math;
use super::typed::{Kind, Layout, Node, Typed};
use crate::reference::Function;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::Ieee64;
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::FunctionBuilder;
use mlp_compiler::ast::BinOp;

/// Rows per block: one byte of validity bits.
pub const BLOCK_ROWS: usize = 8;
/// Two-lane vectors per block.
const PAIRS: usize = BLOCK_ROWS / 2;
/// Bytes of values per block for 8-byte values (f64, i64 and codes).
const BLOCK_BYTES: i64 = (BLOCK_ROWS * 8) as i64;

/// One block's values of a node.
#[derive(Clone, Copy)]
enum Values {
    Numbers([Value; PAIRS]),
    Codes([Value; PAIRS]),
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
pub struct Emitter<'a, 'f> {
    b: &'a mut FunctionBuilder<'f>,
    typed: &'a Typed,
    /// Per input slot: values base and validity base.
    bases: Vec<(Value, Value)>,
    /// The block index (i64).
    block: Value,
    /// Inputs loaded in this block.
    loaded: Vec<Option<(Values, Validity)>>,
}

fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Lane-reinterpreting casts between `i64x2` and `f64x2` (same lanes, so the order is moot,
/// but Cranelift asks for it on vector bitcasts).
fn lanes() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

impl<'a, 'f> Emitter<'a, 'f> {
    pub fn new(b: &'a mut FunctionBuilder<'f>, typed: &'a Typed, bases: Vec<(Value, Value)>, block: Value) -> Self {
        let loaded = vec![None; typed.inputs.len()];
        Emitter { b, typed, bases, block, loaded }
    }

    /// Emits the whole expression for this block and stores it through the output bases.
    pub fn emit_block(&mut self, out_values: Value, out_validity: Value) {
        let (values, validity) = self.node(&self.typed.root);
        let offset = self.b.ins().imul_imm_s(self.block, BLOCK_BYTES);
        let values_at = self.b.ins().iadd(out_values, offset);
        let validity_at = self.b.ins().iadd(out_validity, self.block);
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
                let value_at = self.b.ins().iadd(out_values, self.block);
                self.b.ins().istore8(trusted(), value, value_at, 0);
            }
        }
        let valid = match bits {
            Some(bits) => bits,
            None => self.b.ins().iconst(types::I64, 0xFF),
        };
        self.b.ins().istore8(trusted(), valid, validity_at, 0);
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

    fn i64x2(&mut self, low: i64, high: i64) -> Value {
        let mut bytes = low.to_le_bytes().to_vec();
        bytes.extend_from_slice(&high.to_le_bytes());
        let constant = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
        self.b.ins().vconst(types::I64X2, constant)
    }

    /// Rows `2q` and `2q + 1` of `bits` as an `i64x2` lane mask.
    fn mask_of(&mut self, bits: Value, q: usize) -> Value {
        let shifted = if q == 0 { bits } else { self.b.ins().ushr_imm_u(bits, (2 * q) as i64) };
        let lanes = self.b.ins().splat(types::I64X2, shifted);
        let select = self.i64x2(1, 2);
        let picked = self.b.ins().band(lanes, select);
        self.b.ins().icmp(IntCC::Equal, picked, select)
    }

    /// Four `i64x2` lane masks as 8 bits.
    fn bits_of(&mut self, masks: [Value; PAIRS]) -> Value {
        let mut bits = self.b.ins().vhigh_bits(types::I64, masks[0]);
        for (q, mask) in masks.into_iter().enumerate().skip(1) {
            let pair = self.b.ins().vhigh_bits(types::I64, mask);
            let pair = self.b.ins().ishl_imm_u(pair, (2 * q) as i64);
            bits = self.b.ins().bor(bits, pair);
        }
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

    fn load(&mut self, slot: usize) -> (Values, Validity) {
        if let Some(loaded) = self.loaded[slot] {
            return loaded;
        }
        let (values_base, validity_base) = self.bases[slot];
        let layout = self.typed.inputs[slot].1;
        let validity_at = self.b.ins().iadd(validity_base, self.block);
        let validity = self.b.ins().uload8(types::I64, trusted(), validity_at, 0);
        let values = match layout {
            Layout::Bool => {
                let at = self.b.ins().iadd(values_base, self.block);
                Values::Bits(self.b.ins().uload8(types::I64, trusted(), at, 0))
            }
            Layout::Float64 | Layout::Text => {
                let offset = self.b.ins().imul_imm_s(self.block, BLOCK_BYTES);
                let at = self.b.ins().iadd(values_base, offset);
                let ty = if layout == Layout::Float64 { types::F64X2 } else { types::I64X2 };
                let pairs = std::array::from_fn(|q| self.b.ins().load(ty, trusted(), at, (q * 16) as i32));
                if layout == Layout::Float64 { Values::Numbers(pairs) } else { Values::Codes(pairs) }
            }
            Layout::Int64 => {
                // Each i64 converted on its own: x86-64 has no vector i64 → f64 before AVX-512.
                let offset = self.b.ins().imul_imm_s(self.block, BLOCK_BYTES);
                let at = self.b.ins().iadd(values_base, offset);
                Values::Numbers(std::array::from_fn(|q| {
                    let low = self.b.ins().load(types::I64, trusted(), at, (q * 16) as i32);
                    let high = self.b.ins().load(types::I64, trusted(), at, (q * 16 + 8) as i32);
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

    fn numbers(&mut self, node: &Node) -> ([Value; PAIRS], Validity) {
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

    fn node(&mut self, node: &Node) -> (Values, Validity) {
        match node {
            Node::Number(x) => {
                let v = self.splat_number(*x);
                (Values::Numbers([v; PAIRS]), Validity::All)
            }
            Node::Bool(b) => (Values::Bits(self.b.ins().iconst(types::I64, if *b { 0xFF } else { 0 })), Validity::All),
            Node::Text(code) => {
                let scalar = self.b.ins().iconst(types::I64, *code);
                let v = self.b.ins().splat(types::I64X2, scalar);
                (Values::Codes([v; PAIRS]), Validity::All)
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

    fn compare(&mut self, op: BinOp, kind: Kind, lhs: &Node, rhs: &Node) -> (Values, Validity) {
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
    fn logic(&mut self, lhs: &Node, rhs: &Node, decisive: bool) -> (Values, Validity) {
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

    fn conditional(&mut self, parts: &[Node; 3]) -> (Values, Validity) {
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

    fn call(&mut self, function: Function, args: &[Node]) -> (Values, Validity) {
        let mut numbers = Vec::with_capacity(args.len());
        let mut validity = Validity::All;
        for arg in args {
            let (pairs, valid) = self.numbers(arg);
            numbers.push(pairs);
            validity = self.both(validity, valid);
        }
        let pairs = std::array::from_fn(|q| {
            let x = numbers[0][q];
            let arg = |i: usize| numbers[i][q];
            match function {
                Function::Abs => self.b.ins().fabs(x),
                Function::Sqrt => self.b.ins().sqrt(x),
                Function::Floor => self.b.ins().floor(x),
                Function::Ceil => self.b.ins().ceil(x),
                Function::Round => self.round(x),
                // Cranelift's fmin/fmax follow WebAssembly: NaN wins and -0 < +0, as math::min says.
                Function::Min => self.b.ins().fmin(x, arg(1)),
                Function::Max => self.b.ins().fmax(x, arg(1)),
                Function::Clamp => {
                    let low = self.b.ins().fmax(x, arg(1));
                    self.b.ins().fmin(low, arg(2))
                }
                Function::Log => math::ln(self.b, x),
                Function::Log1p => math::ln_1p(self.b, x),
                Function::Exp => math::exp(self.b, x),
                Function::Pow => math::pow(self.b, x, arg(1)),
                Function::IsMissing => unreachable!("lowered to Node::IsMissing"),
            }
        });
        (Values::Numbers(pairs), validity)
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
