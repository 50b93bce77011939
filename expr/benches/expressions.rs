//! Speed of column expressions: the Cranelift JIT against the reference evaluator and a
//! hand-written Rust loop, on 10 million rows of four Float64 columns with about 1 % nulls each,
//! plus the JIT's compile time. numpy runs the same expression in bench/expr/numpy_expr.py;
//! bench/expr.sh runs both and prints the ratios, and docs/benchmarks.md has the figures and goals.
//!
//! `cargo bench -p mlp-expr --bench expressions` reports these groups (medians in
//! `target/criterion/<group>/<bench>/new/estimates.json`):
//!
//! - `jit/parallel`: `Kernel::evaluate` on rayon's global pool (every core);
//! - `jit/single_thread`: the same inside a one-thread rayon pool;
//! - `hand_loop/single_thread`: what a Rust programmer writes by hand over the same Arrow arrays;
//!   `hand_loop/avx2` is the same loop compiled for AVX2 (when the CPU has it), since the JIT
//!   targets the host's instruction set while rustc targets baseline x86-64 unless told otherwise;
//! - `reference/single_thread`: the tree-walking reference evaluator (the specification);
//! - `compile/rule_11_ops` and `compile/expression_9_ops`: `Kernel::compile` of a `rule(...)`-style
//!   condition and of the benchmark expression.
//!
//! Row-wise groups use `Throughput::Elements(rows)`, so criterion prints rows per second.
//! `EXPR_ROWS=100000` runs on fewer rows (a quick check; the figures are for 10 million).

use arrow_array::{Array, ArrayRef, Float64Array};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use mlp_compiler::ast::{DefKind, Expr, Item};
use mlp_expr::jit::{Kernel, Tier};
use mlp_expr::{Columns, reference};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// The benchmark expression: 9 operators and functions (10 primitive operations, `clamp` being a
/// max and a min) over 4 columns. It avoids `log`/`exp`/`pow`, whose implementations are mlpc's
/// own and not what this benchmark is about.
const EXPRESSION: &str = "clamp((a - b) / (abs(c) + 1), -5, 5) * d + if a > b then 1 else 0";

/// A `rule(...)`-style condition of 11 operators (`and`/`or`/`not`, comparisons, one `+`).
const RULE: &str = "(a > 3 and b < 2) or (c >= 1 and not (d == 0)) or a + b > c";

const DEFAULT_ROWS: usize = 10_000_000;

fn rows() -> usize {
    std::env::var("EXPR_ROWS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(DEFAULT_ROWS)
}

fn parse(text: &str) -> Expr {
    let (ast, diagnostics) =
        mlp_compiler::syntax::parse(&format!("feature f = {text}\n"), mlp_compiler::diagnostic::FileId(0));
    assert!(diagnostics.is_empty(), "{text}: {diagnostics:?}");
    match ast.items.into_iter().next() {
        Some(Item::Definition(d)) if d.kind == DefKind::Feature => d.value.expect("a value"),
        other => panic!("not a feature: {other:?}"),
    }
}

/// xorshift64*: fixed seed, no dependency, fast enough that 40 million values take well under a
/// second (the multiply makes the low bits usable too).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A Float64 column of `rows` values uniform in [-100, 100), about 1 % of them null.
fn column(rows: usize, seed: u64) -> ArrayRef {
    let mut rng = Rng(seed);
    let mut values = Vec::with_capacity(rows);
    let mut valid = Vec::with_capacity(rows);
    for _ in 0..rows {
        let r = rng.next();
        // The top 53 bits give the value, the remainder by 100 the null.
        values.push((r >> 11) as f64 * (200.0 / (1u64 << 53) as f64) - 100.0);
        valid.push(r % 100 != 0);
    }
    Arc::new(Float64Array::new(ScalarBuffer::from(values), Some(NullBuffer::from(valid))))
}

/// The validity bytes of a column, which the hand loop ANDs (every column here starts at bit 0).
fn validity_bytes(array: &Float64Array) -> &[u8] {
    let nulls = array.nulls().expect("the benchmark's columns have nulls");
    assert_eq!(nulls.offset(), 0, "the hand loop reads whole bytes");
    &nulls.inner().values()[..array.len().div_ceil(8)]
}

/// The benchmark expression written by hand: values computed for every row without branches (a
/// null row's slot holds whatever comes out; Arrow does not read it), validity the AND of the
/// four inputs' null bitmaps, since the expression reads all four. rustc vectorizes both loops.
/// Unlike the JIT it neither zeroes null slots nor canonicalises NaNs, which the engines' shared
/// semantics require (and which cannot change a valid value here: `abs(c) + 1 >= 1`).
#[inline(always)]
fn hand_loop_body(a: &Float64Array, b: &Float64Array, c: &Float64Array, d: &Float64Array) -> Float64Array {
    let rows = a.len();
    let values: Vec<f64> = a
        .values()
        .iter()
        .zip(b.values().iter())
        .zip(c.values().iter())
        .zip(d.values().iter())
        .map(|(((&a, &b), &c), &d)| ((a - b) / (c.abs() + 1.0)).clamp(-5.0, 5.0) * d + if a > b { 1.0 } else { 0.0 })
        .collect();
    let validity: Vec<u8> = validity_bytes(a)
        .iter()
        .zip(validity_bytes(b))
        .zip(validity_bytes(c))
        .zip(validity_bytes(d))
        .map(|(((a, b), c), d)| a & b & c & d)
        .collect();
    let nulls = NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(validity), 0, rows));
    Float64Array::new(ScalarBuffer::from(values), Some(nulls))
}

fn hand_loop(a: &Float64Array, b: &Float64Array, c: &Float64Array, d: &Float64Array) -> Float64Array {
    hand_loop_body(a, b, c, d)
}

/// The same loop for AVX2: what the programmer gets with `-C target-cpu=native` or a
/// `target_feature` function, and what the JIT uses on this CPU.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn hand_loop_avx2(a: &Float64Array, b: &Float64Array, c: &Float64Array, d: &Float64Array) -> Float64Array {
    hand_loop_body(a, b, c, d)
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn as_f64(array: &ArrayRef) -> &Float64Array {
    array.as_any().downcast_ref::<Float64Array>().expect("a Float64 result")
}

/// Same validity, and the same bits on every valid row: the comparison is only fair if both
/// compute the same thing.
fn assert_same(what: &str, expected: &Float64Array, actual: &Float64Array) {
    assert_eq!(expected.len(), actual.len(), "{what}: length");
    assert_eq!(expected.nulls(), actual.nulls(), "{what}: validity");
    for row in 0..expected.len() {
        if expected.is_valid(row) {
            let (e, a) = (expected.value(row), actual.value(row));
            assert_eq!(e.to_bits(), a.to_bits(), "{what}: row {row}: {e} vs {a}");
        }
    }
}

fn benchmarks(criterion: &mut Criterion) {
    let rows = rows();
    let started = std::time::Instant::now();
    let inputs: Vec<ArrayRef> = (1..=4u64).map(|i| column(rows, 0x9E37_79B9_7F4A_7C15 ^ i)).collect();
    eprintln!("generated 4 columns of {rows} rows in {:.2?}", started.elapsed());
    let columns =
        Columns::new(rows).with("a", &inputs[0]).with("b", &inputs[1]).with("c", &inputs[2]).with("d", &inputs[3]);
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| as_f64(&inputs[i]));
    let type_of = |name: &str| columns.data_type(name).cloned();
    let expr = parse(EXPRESSION);
    // The tier `Expression` picks for tables this large.
    let kernel = Kernel::compile(&expr, &type_of, Tier::Optimized)
        .unwrap_or_else(|e| panic!("the JIT refuses `{EXPRESSION}`: {e:?}"));
    eprintln!("compiled `{EXPRESSION}` in {:.2?}", kernel.compile_time());
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");

    // Checked once, outside the timings: the hand loop and the JIT agree on every valid row, and
    // the JIT agrees with the reference evaluator on the first rows (the whole column takes
    // seconds there; tests/differential.rs holds the engines to each other in general).
    let jit = kernel.evaluate(&columns).expect("the JIT evaluates");
    let valid = as_f64(&jit).len() - as_f64(&jit).null_count();
    eprintln!("{valid} of {rows} result rows valid ({:.2} % null)", 100.0 * (rows - valid) as f64 / rows as f64);
    assert_same("hand loop vs JIT", &hand_loop(a, b, c, d), as_f64(&jit));
    if has_avx2() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX2 (checked just above).
        assert_same("AVX2 hand loop vs JIT", &unsafe { hand_loop_avx2(a, b, c, d) }, as_f64(&jit));
    }
    let head = rows.min(100_000);
    let sliced: Vec<ArrayRef> = inputs.iter().map(|array| array.slice(0, head)).collect();
    let head_columns =
        Columns::new(head).with("a", &sliced[0]).with("b", &sliced[1]).with("c", &sliced[2]).with("d", &sliced[3]);
    let expected = reference::evaluate(&expr, &head_columns).expect("the reference evaluates");
    assert_eq!(expected.to_data(), kernel.evaluate(&head_columns).expect("the JIT evaluates").to_data());
    drop(jit);

    // Whole-column groups: one iteration is tens of milliseconds (seconds for the reference), so
    // flat sampling with few samples keeps each group to under a minute (the reference: 10 runs).
    let mut group = criterion.benchmark_group("jit");
    group.throughput(Throughput::Elements(rows as u64));
    group.sampling_mode(SamplingMode::Flat).sample_size(20).measurement_time(Duration::from_secs(6));
    group.bench_function("parallel", |bench| bench.iter(|| kernel.evaluate(black_box(&columns)).unwrap()));
    group.bench_function("single_thread", |bench| {
        one_thread.install(|| bench.iter(|| kernel.evaluate(black_box(&columns)).unwrap()))
    });
    group.finish();

    let mut group = criterion.benchmark_group("hand_loop");
    group.throughput(Throughput::Elements(rows as u64));
    group.sampling_mode(SamplingMode::Flat).sample_size(20).measurement_time(Duration::from_secs(6));
    group.bench_function("single_thread", |bench| bench.iter(|| hand_loop(black_box(a), b, c, d)));
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU has AVX2.
        group.bench_function("avx2", |bench| bench.iter(|| unsafe { hand_loop_avx2(black_box(a), b, c, d) }));
    }
    group.finish();

    let mut group = criterion.benchmark_group("reference");
    group.throughput(Throughput::Elements(rows as u64));
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(40));
    group.bench_function("single_thread", |bench| {
        bench.iter(|| reference::evaluate(&expr, black_box(&columns)).unwrap())
    });
    group.finish();

    // Compile time: lowering, Cranelift code generation and finalizing the executable memory.
    let rule = parse(RULE);
    let mut group = criterion.benchmark_group("compile");
    group.sample_size(50).measurement_time(Duration::from_secs(3));
    for (tier, name) in [(Tier::Quick, "quick"), (Tier::Optimized, "optimized")] {
        group.bench_function(format!("rule_11_ops/{name}"), |bench| {
            bench.iter(|| Kernel::compile(black_box(&rule), &type_of, tier).unwrap())
        });
        group.bench_function(format!("expression_9_ops/{name}"), |bench| {
            bench.iter(|| Kernel::compile(black_box(&expr), &type_of, tier).unwrap())
        });
    }
    group.finish();
}

criterion_group!(expressions, benchmarks);
criterion_main!(expressions);
