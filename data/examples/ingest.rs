//! The ingest benchmark's mlpc side (driven by bench/ingest.sh).
//!
//! `ingest generate PATH MB [COLUMNS]` writes a numeric CSV of about MB megabytes;
//! `ingest load PATH [THREADS] [REPEATS]` loads it with every column declared `float`, as a
//! source with a `schema { }` block would, and prints the best wall time, MB/s and peak RSS.

use mlp_compiler::plan::LoadStep;
use mlp_compiler::program::{Delimiter, Format};
use mlp_compiler::types::{Column, ColumnType, Schema};
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate(&args[1..]),
        Some("load") => load(&args[1..]),
        _ => Err("usage: ingest generate PATH MB [COLUMNS] | ingest load PATH [THREADS] [REPEATS]".into()),
    };
    if let Err(e) = result {
        eprintln!("ingest: {e}");
        std::process::exit(2);
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> Result<T, String> {
    match args.get(i) {
        Some(a) => a.parse().map_err(|_| format!("bad argument `{a}`")),
        None => Ok(default),
    }
}

/// A small deterministic generator (xorshift), so the data is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

fn generate(args: &[String]) -> Result<(), String> {
    let path = PathBuf::from(args.first().ok_or("generate needs a path")?);
    let megabytes: u64 = arg(args, 1, 1000)?;
    let columns: usize = arg(args, 2, 20)?;
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let header: Vec<String> = (0..columns).map(|c| format!("x{c}")).collect();
    writeln!(out, "{}", header.join(",")).map_err(|e| e.to_string())?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut written = 0u64;
    let limit = megabytes * 1_000_000;
    let mut line = String::with_capacity(512);
    while written < limit {
        line.clear();
        for c in 0..columns {
            if c > 0 {
                line.push(',');
            }
            // Mixed magnitudes and precisions, as measurements come: 2 to 8 decimals, scales
            // from 0.01 to 10,000.
            let scale = [0.01, 1.0, 100.0, 10_000.0][c % 4];
            let decimals = 2 + (c % 7);
            let v = rng.unit() * scale;
            line.push_str(&format!("{v:.decimals$}"));
        }
        line.push('\n');
        out.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
        written += line.len() as u64;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(())
}

fn load(args: &[String]) -> Result<(), String> {
    let path = PathBuf::from(args.first().ok_or("load needs a path")?);
    let threads: usize = arg(args, 1, 0)?;
    let repeats: usize = arg(args, 2, 3)?;
    if threads > 0 {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().map_err(|e| e.to_string())?;
    }
    let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
    let mut header = String::new();
    std::io::BufReader::new(file).read_line(&mut header).map_err(|e| e.to_string())?;
    let columns = header
        .trim()
        .split(',')
        .map(|name| Column { name: name.to_string(), ty: ColumnType::Float, nullable: false })
        .collect();
    let source = LoadStep {
        source: "bench".into(),
        format: Format::Csv { path: path.display().to_string(), delimiter: Delimiter(b',') },
        schema: Schema { columns, inferred: false },
        path: path.clone(),
        labels: None,
    };
    let bytes = std::fs::metadata(&path).map_err(|e| e.to_string())?.len() as f64;
    let mut best = f64::INFINITY;
    let mut rows = 0;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let table = mlp_data::load(&source).map_err(|e| e.to_string())?;
        best = best.min(start.elapsed().as_secs_f64());
        rows = table.rows;
    }
    println!(
        "mlpc threads={} rows={rows} seconds={best:.3} MB/s={:.0} peak_rss_MB={}",
        rayon::current_num_threads(),
        bytes / best / 1e6,
        peak_rss_mb().map_or("?".to_string(), |m| m.to_string())
    );
    Ok(())
}

/// Peak resident memory of this process (Linux `VmHWM`), in MB.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1000)
}
