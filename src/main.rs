//! `mlpc`: the command-line interface. Parses arguments, runs one command, and maps outcomes to
//! the exit codes in docs/running.md: 0 success, 1 the spec has errors, 2 usage or I/O error, 3 a gate
//! failed (the run completed), 4 the run failed.

// The runtime's `RunError` carries a location and help text (about 220 bytes); commands return
// it rarely, once, so boxing it would only add noise (as in the library crates).
#![allow(clippy::result_large_err)]

mod commands;
mod out;
mod progress;
mod render;
mod table;

use crate::out::out;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "mlpc", version, about = "Compiler and runtime for .mlp machine-learning pipeline specs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PredictFormat {
    Csv,
    Jsonl,
    Parquet,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnErrorArg {
    Fail,
    Skip,
}

#[derive(Subcommand)]
enum Command {
    /// Type-check specs and report every diagnostic (files, directories or globs).
    Check {
        #[arg(required = true, value_name = "FILES")]
        files: Vec<String>,
        /// `human` (rendered, on stderr) or `json` (one document on stdout).
        #[arg(long, value_enum, default_value = "human")]
        format: CheckFormat,
        /// Exit with status 1 when there are warnings, too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Print the execution plan of a spec as Graphviz DOT, Mermaid or JSON.
    Graph {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormat,
    },
    /// Format specs in place in the canonical style (`-` formats stdin to stdout).
    Fmt {
        #[arg(required = true, value_name = "FILES")]
        files: Vec<String>,
        /// Change nothing; list the files that are not formatted and exit with status 1.
        #[arg(long)]
        check: bool,
    },
    /// Run a spec: load data, train baselines and models, evaluate, judge gates, record the run.
    Run {
        file: PathBuf,
        /// Print one JSON run summary on stdout (the results table goes to stderr).
        #[arg(long)]
        json: bool,
        /// Directory for run directories (default: `runs/` next to the spec). The run history
        /// moves with them, to `DIR/.mlp/runs.db` (default: `.mlp/runs.db` next to the spec).
        #[arg(long, value_name = "DIR")]
        runs_dir: Option<PathBuf>,
        /// Override the pipeline's `seed` (splits, initial weights, shuffling, search).
        #[arg(long)]
        seed: Option<i64>,
        /// Train on this device, overriding the spec: `auto`, `cpu`, `cuda` or `cuda:N`.
        #[arg(long, value_name = "DEVICE", value_parser = parse_device)]
        device: Option<mlp_runtime::train::device::DeviceRequest>,
    },
    /// List past runs of the spec (or directory) given, newest first.
    Runs {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The runs directory given to `mlpc run --runs-dir` (its history is `DIR/.mlp/runs.db`).
        #[arg(long, value_name = "DIR")]
        runs_dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Rebuild the history from `runs/*/run.json`: a damaged database is moved aside as
        /// `runs.db.corrupt-<time>`, and every run directory without a row gets one.
        #[arg(long)]
        repair: bool,
        /// Show at most this many runs.
        #[arg(long, default_value = "20")]
        limit: usize,
    },
    /// Predict the rows of CSV or JSON-lines files with a bundle (or a spec's latest passing run).
    Predict {
        /// A bundle directory, or a spec (the bundle of its latest passing run).
        #[arg(value_name = "BUNDLE|SPEC")]
        model: PathBuf,
        /// Input files (globs allowed): CSV with a header, or `.jsonl` JSON lines.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<String>,
        /// Write the predictions here (atomically) instead of to stdout.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "csv")]
        format: PredictFormat,
        /// `fail`: stop at the first row that cannot be predicted; `skip`: predict the others and
        /// list the bad ones (with why) in the rejects file.
        #[arg(long, value_enum, default_value = "fail")]
        on_error: OnErrorArg,
        /// Where `--on-error skip` lists rejected rows (default: beside `-o OUT`, else stderr).
        #[arg(long, value_name = "FILE")]
        rejects: Option<PathBuf>,
        /// An input column to write beside each prediction (default: the row's line).
        #[arg(long, value_name = "COLUMN")]
        id: Option<String>,
        /// With a spec: the model whose bundle to use (default: the objective's best).
        #[arg(long, value_name = "NAME")]
        model_name: Option<String>,
        /// With a spec: the runs directory given to `mlpc run --runs-dir`.
        #[arg(long, value_name = "DIR")]
        runs_dir: Option<PathBuf>,
        /// Rows read and predicted at a time (memory is bounded by this, not by the file).
        #[arg(long, default_value = "8192")]
        chunk_rows: usize,
    },
    /// Run a spec's batch and bundle targets (or the one named) from its latest passing run's
    /// bundle, without training.
    Deploy {
        spec: PathBuf,
        target: Option<String>,
        #[arg(long, value_name = "DIR")]
        runs_dir: Option<PathBuf>,
        /// Print what each target did as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Serve a bundle over HTTP: a spec's `http` target (the bundle of its latest passing run)
    /// or `--bundle DIR`. Prints `serving MODEL (bundle ID) on http://HOST:PORT` once bound;
    /// SIGHUP reloads the bundle, SIGTERM or SIGINT stops after the requests in flight.
    Serve {
        #[arg(required_unless_present = "bundle", conflicts_with = "bundle")]
        spec: Option<PathBuf>,
        /// The `http` target to serve (needed when the spec has several).
        target: Option<String>,
        /// Serve this bundle directory (with the default deploy settings) instead of a spec's.
        #[arg(long, value_name = "DIR")]
        bundle: Option<PathBuf>,
        /// With a spec: the runs directory given to `mlpc run --runs-dir`.
        #[arg(long, value_name = "DIR")]
        runs_dir: Option<PathBuf>,
        /// Listen on this address instead of the target's `host` (default 127.0.0.1).
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
        /// Listen on this port instead of the target's `port` (0: any free port).
        #[arg(long, value_name = "PORT")]
        port: Option<u16>,
        /// With `--bundle`: keep the monitor's state (`monitor.db`) in this directory
        /// (default `./.mlp`); a spec's is kept beside its run history.
        #[arg(long, value_name = "DIR", requires = "bundle")]
        state: Option<PathBuf>,
        /// Serve without monitoring: no drift window, no `/feedback`, no `monitor.db`, no actions.
        #[arg(long, conflicts_with = "state")]
        no_monitor: bool,
    },
    /// Compare current data with a deployed model's training reference: each column's drift, the
    /// dataset's verdict and the spec's monitor conditions (exit 3 when one fires).
    Monitor {
        /// A spec (the bundle its monitored deploy serves, from the latest passing run) or a bundle
        /// directory.
        #[arg(value_name = "SPEC|BUNDLE", required_unless_present = "reference", conflicts_with = "reference")]
        model: Option<PathBuf>,
        /// The deploy target whose `monitor` block to judge (needed when the spec has several).
        target: Option<String>,
        /// Current data: CSV files with a header or `.jsonl` files (globs allowed).
        #[arg(long, required = true, num_args = 1.., value_name = "FILES")]
        current: Vec<String>,
        /// Compare with this data file instead of a model's training reference.
        #[arg(long, value_name = "FILE")]
        reference: Option<String>,
        /// With a spec: the runs directory given to `mlpc run --runs-dir`.
        #[arg(long, value_name = "DIR")]
        runs_dir: Option<PathBuf>,
        /// Print one JSON document on stdout instead of the table.
        #[arg(long)]
        json: bool,
        /// Also write the report as a self-contained HTML page.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Print the long explanation of a diagnostic code, e.g. `mlpc explain E0102`.
    Explain { code: String },
    /// Run the language server on stdin/stdout (for editors).
    Lsp,
    /// Print the standard library reference (docs/stdlib.md) generated from stdlib/*.mlp.
    #[command(hide = true)]
    StdlibDocs,
}

fn main() -> ExitCode {
    // Before anything else starts a thread (see the runtime's thread policy).
    mlp_runtime::threads::configure();
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Check { files, format, deny_warnings } => {
            commands::check::run(&files, format == CheckFormat::Json, deny_warnings)
        }
        Command::Graph { file, format } => commands::graph::run(
            &file,
            match format {
                GraphFormat::Dot => commands::graph::Format::Dot,
                GraphFormat::Mermaid => commands::graph::Format::Mermaid,
                GraphFormat::Json => commands::graph::Format::Json,
            },
        ),
        Command::Fmt { files, check } => commands::fmt::run(&files, check),
        Command::Run { file, json, runs_dir, seed, device } => {
            commands::run::run(&file, json, runs_dir.as_deref(), seed, device)
        }
        Command::Runs { path, runs_dir, json, limit, repair } => {
            commands::runs::run(&path, runs_dir.as_deref(), json, limit, repair)
        }
        Command::Predict { model, inputs, output, format, on_error, rejects, id, model_name, runs_dir, chunk_rows } => {
            commands::predict::run(&commands::predict::Args {
                model: &model,
                inputs: &inputs,
                output: output.as_deref(),
                format: match format {
                    PredictFormat::Csv => mlp_infer::batch::OutputFormat::Csv,
                    PredictFormat::Jsonl => mlp_infer::batch::OutputFormat::Jsonl,
                    PredictFormat::Parquet => mlp_infer::batch::OutputFormat::Parquet,
                },
                on_error: match on_error {
                    OnErrorArg::Fail => mlp_infer::batch::OnError::Fail,
                    OnErrorArg::Skip => mlp_infer::batch::OnError::Skip,
                },
                rejects: rejects.as_deref(),
                id_column: id,
                model_name: model_name.as_deref(),
                runs_dir: runs_dir.as_deref(),
                chunk_rows,
            })
        }
        Command::Deploy { spec, target, runs_dir, json } => {
            commands::deploy::run(&spec, target.as_deref(), runs_dir.as_deref(), json)
        }
        Command::Serve { spec, target, bundle, runs_dir, host, port, state, no_monitor } => {
            commands::serve::run(&commands::serve::Args {
                spec: spec.as_deref(),
                target: target.as_deref(),
                bundle: bundle.as_deref(),
                runs_dir: runs_dir.as_deref(),
                host,
                port,
                state: state.as_deref(),
                monitor: !no_monitor,
            })
        }
        Command::Monitor { model, target, current, reference, runs_dir, json, html } => {
            commands::monitor::run(&commands::monitor::Args {
                model: model.as_deref(),
                target: target.as_deref(),
                reference: reference.as_deref(),
                current: &current,
                runs_dir: runs_dir.as_deref(),
                json,
                html: html.as_deref(),
            })
        }
        Command::Explain { code } => commands::explain::run(&code),
        Command::Lsp => commands::lsp::run(),
        Command::StdlibDocs => {
            out!("{}", mlp_compiler::stdlib::reference_markdown());
            0
        }
    };
    ExitCode::from(status)
}

fn parse_device(text: &str) -> Result<mlp_runtime::train::device::DeviceRequest, String> {
    mlp_runtime::train::device::DeviceRequest::parse(text)
        .ok_or_else(|| format!("`{text}` is not a device: use `auto`, `cpu`, `cuda` or `cuda:N`"))
}
