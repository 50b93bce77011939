//! The thread policy of a run. Parallel plan steps, search trials and data chunks share rayon's
//! global pool (every core), while each Candle op runs on the thread that calls it: Candle fans
//! every matmul out to all cores, which for the narrow layers of tabular models costs more than
//! the arithmetic (docs/benchmarks.md). Candle reads its thread count from `RAYON_NUM_THREADS`, so
//! the global pool is built first and the variable is then set for Candle alone
//! (`MLPC_CANDLE_THREADS` overrides it, 1 by default). A user's own `RAYON_NUM_THREADS` still
//! sizes the pool.

/// Applies the policy. Call it at the start of the process, before any other thread exists:
/// it sets an environment variable, which is only sound while the process has one thread.
pub fn configure() {
    let threads = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse::<usize>().ok()).filter(|&n| n > 0);
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    let candle_threads = std::env::var_os("MLPC_CANDLE_THREADS").unwrap_or_else(|| "1".into());
    // SAFETY: the caller runs this before any other thread exists (see above), so nothing reads
    // the environment concurrently.
    unsafe { std::env::set_var("RAYON_NUM_THREADS", candle_threads) };
}
