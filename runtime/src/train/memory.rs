//! Whether this machine can hold a network's training before anything is allocated: the
//! checker's estimate (`NetworkSpec::footprint`) against the memory the system has available
//! (`MemAvailable` of /proc/meminfo) and against what the allocator will reserve. A network too
//! large is E0815, never an allocation failure that aborts the process.

use crate::error::{RunError, RunResult};
use mlp_compiler::codes::Code;
use mlp_compiler::program::{Model, NetworkSpec, bytes_text};

/// E0815 when training `spec` for `model` on batches of up to `rows` rows cannot fit in memory.
pub fn check(label: &str, model: &Model, spec: &NetworkSpec, rows: usize) -> RunResult<()> {
    let settings = &model.settings;
    let batch = settings.batch.min(rows.max(1));
    let bytes = spec.footprint(settings.optimizer.state_copies(), batch).bytes;
    let fits_available = available_bytes().is_none_or(|available| bytes <= available);
    if fits_available && reservable(bytes) {
        return Ok(());
    }
    Err(RunError::new(
        Code::E0815,
        format!("training `{label}` needs about {} of memory, more than this machine has available", bytes_text(bytes)),
    )
    .with_help("make the layers or the batch smaller, or run on a machine with more memory")
    .for_definition(&model.name))
}

/// Bytes the system can give a new allocation without swapping, where it says (Linux).
fn available_bytes() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Whether the allocator reserves `bytes` (released at once; untouched pages cost nothing).
fn reservable(bytes: f64) -> bool {
    if !bytes.is_finite() || bytes >= usize::MAX as f64 {
        return false;
    }
    Vec::<u8>::new().try_reserve_exact(bytes as usize).is_ok()
}
