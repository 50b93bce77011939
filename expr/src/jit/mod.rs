//! The Cranelift JIT: compiles a column expression once into one native function over blocks of
//! 8 rows ([`codegen`]), then runs it over chunks of rows in parallel on rayon. The compiled
//! [`Kernel`] is specialised on its inputs' Arrow types and reused for every evaluation.
//!
//! Its results equal the reference evaluator's to the bit, null slots and NaNs included; the
//! differential property test (tests/differential.rs) holds it to that.

mod codegen;
pub(crate) mod math;
mod run;
pub(crate) mod typed;

use crate::{ExprError, ExprResult};
use arrow_schema::DataType;
use codegen::Emitter;
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, UserFuncName, types};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use mlp_compiler::ast::Expr;
use std::mem::ManuallyDrop;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use typed::Typed;

pub use codegen::{BLOCK_ROWS, Tier};

/// Why an expression was not compiled.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// Cranelift has no backend for this machine: nothing compiles here.
    Platform(String),
    /// This expression cannot be compiled (a type the checker would refuse, an unreadable column).
    Expression(ExprError),
}

/// The signature every kernel has: the pointer table and the number of blocks.
type KernelFn = unsafe extern "C" fn(*const *mut u8, usize);

/// A compiled expression.
pub struct Kernel {
    code: Code,
    typed: Typed,
    compile_time: Duration,
}

/// The finished module that owns the function's memory.
struct Code {
    module: ManuallyDrop<JITModule>,
    function: KernelFn,
}

// SAFETY: after `finalize_definitions` the module's memory is immutable executable code, and the
// kernel only calls the function, which reads its arguments and writes its own outputs.
unsafe impl Send for Code {}
unsafe impl Sync for Code {}

impl Drop for Code {
    fn drop(&mut self) {
        // SAFETY: the function pointer dies with `self`; nothing can call the code afterwards.
        unsafe { ManuallyDrop::take(&mut self.module).free_memory() };
    }
}

/// The host's instruction set (SSE4.1/AVX on x86-64 when present) with a tier's settings,
/// detected once.
fn isa(tier: Tier) -> Result<OwnedTargetIsa, String> {
    static ISAS: OnceLock<[Result<OwnedTargetIsa, String>; 2]> = OnceLock::new();
    let isas = ISAS.get_or_init(|| [make_isa(Tier::Quick), make_isa(Tier::Optimized)]);
    isas[tier as usize].clone()
}

fn make_isa(tier: Tier) -> Result<OwnedTargetIsa, String> {
    let (opt_level, regalloc) = match tier {
        Tier::Quick => ("none", "single_pass"),
        Tier::Optimized => ("speed", "backtracking"),
    };
    let mut flags = settings::builder();
    let settings = [
        ("opt_level", opt_level),
        ("regalloc_algorithm", regalloc),
        // The IR comes from one generator that the differential test exercises; verifying it
        // again on every compile cost a tenth of the compile time.
        ("enable_verifier", "false"),
        ("is_pic", "false"),
        ("use_colocated_libcalls", "false"),
    ];
    for (name, value) in settings {
        flags.set(name, value).map_err(|e| e.to_string())?;
    }
    let builder = cranelift_native::builder().map_err(|e| e.to_string())?;
    builder.finish(settings::Flags::new(flags)).map_err(|e| e.to_string())
}

/// Whether this machine can run compiled expressions (`Err` says why not).
pub fn available() -> Result<(), String> {
    isa(Tier::Quick).map(|_| ())
}

impl Kernel {
    /// Compiles `expr` for columns whose Arrow types `type_of` gives, with the tier's effort.
    pub fn compile(expr: &Expr, type_of: &dyn Fn(&str) -> Option<DataType>, tier: Tier) -> Result<Kernel, Refusal> {
        let started = Instant::now();
        let isa = isa(tier).map_err(Refusal::Platform)?;
        let typed = typed::lower(expr, type_of).map_err(Refusal::Expression)?;
        let code = generate(isa, &typed, tier).map_err(|e| Refusal::Expression(ExprError::new(e)))?;
        Ok(Kernel { code, typed, compile_time: started.elapsed() })
    }

    /// How long lowering and code generation took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    pub(crate) fn typed(&self) -> &Typed {
        &self.typed
    }

    /// Evaluates on every row of `columns`; `Err` when a column is missing or of another type
    /// than the kernel was compiled for.
    pub fn evaluate(&self, columns: &crate::Columns) -> ExprResult<arrow_array::ArrayRef> {
        run::evaluate(self, columns)
    }

    /// Runs the function over `blocks` blocks.
    ///
    /// # Safety
    /// `pointers` must hold, for every input slot and then the output, a values pointer and a
    /// validity pointer valid for `blocks` blocks in the layouts [`codegen`] documents.
    unsafe fn call(&self, pointers: &[*mut u8], blocks: usize) {
        debug_assert_eq!(pointers.len(), 2 * (self.typed.inputs.len() + 1));
        // SAFETY: the caller upholds the layout contract.
        unsafe { (self.code.function)(pointers.as_ptr(), blocks) }
    }
}

/// Builds the function: load the base pointers, then loop over the blocks.
fn generate(isa: OwnedTargetIsa, typed: &Typed, tier: Tier) -> Result<Code, String> {
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let pointer = module.target_config().pointer_type();
    let mut context = module.make_context();
    context.func.signature.params.push(AbiParam::new(pointer));
    context.func.signature.params.push(AbiParam::new(pointer));
    let id =
        module.declare_function("expression", Linkage::Local, &context.func.signature).map_err(|e| e.to_string())?;
    context.func.name = UserFuncName::user(0, id.as_u32());
    let mut builder_context = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut context.func, &mut builder_context);
        let entry = b.create_block();
        let header = b.create_block();
        let body = b.create_block();
        let exit = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.append_block_param(header, types::I64);

        b.switch_to_block(entry);
        let table = b.block_params(entry)[0];
        let blocks = b.block_params(entry)[1];
        let flags = MemFlagsData::trusted().with_readonly();
        let load_pointer = |b: &mut FunctionBuilder, index: usize| {
            b.ins().load(pointer, flags, table, (index * std::mem::size_of::<usize>()) as i32)
        };
        let mut bases = Vec::with_capacity(typed.inputs.len());
        for slot in 0..typed.inputs.len() {
            let values = load_pointer(&mut b, 2 * slot);
            let validity = load_pointer(&mut b, 2 * slot + 1);
            bases.push((values, validity));
        }
        let out_values = load_pointer(&mut b, 2 * typed.inputs.len());
        let out_validity = load_pointer(&mut b, 2 * typed.inputs.len() + 1);
        let zero = b.ins().iconst(types::I64, 0);

        let step_rows = if tier == Tier::Quick { Emitter::<1>::STEP_ROWS } else { Emitter::<4>::STEP_ROWS };
        let steps = b.ins().imul_imm_s(blocks, (BLOCK_ROWS / step_rows) as i64);
        b.ins().jump(header, &[zero.into()]);

        b.switch_to_block(header);
        let step = b.block_params(header)[0];
        let done = b.ins().icmp(cranelift_codegen::ir::condcodes::IntCC::Equal, step, steps);
        b.ins().brif(done, exit, &[], body, &[]);

        b.switch_to_block(body);
        match tier {
            Tier::Quick => Emitter::<1>::new(&mut b, typed, bases, step).emit_block(out_values, out_validity),
            Tier::Optimized => Emitter::<4>::new(&mut b, typed, bases, step).emit_block(out_values, out_validity),
        }
        let next = b.ins().iadd_imm_s(step, 1);
        b.ins().jump(header, &[next.into()]);

        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(module.target_config());
    }
    module.define_function(id, &mut context).map_err(|e| format!("{e:?}"))?;
    module.clear_context(&mut context);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let address = module.get_finalized_function(id);
    // SAFETY: the function was declared with exactly this signature (two pointer-sized params,
    // no results) under the host's default calling convention.
    let function = unsafe { std::mem::transmute::<*const u8, KernelFn>(address) };
    Ok(Code { module: ManuallyDrop::new(module), function })
}
