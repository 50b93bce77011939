//! `mlpc serve SPEC [TARGET] | --bundle DIR`: serves a bundle over HTTP (mlp-serve) — a spec's
//! `http` target with the bundle of its latest passing run, or a bundle directory with the
//! declared default settings. Prints one line on stdout once bound, `serving MODEL (bundle ID) on
//! http://HOST:PORT`; reloads and shutdown are reported on stderr. Exit status: 0 after a
//! graceful stop, 1 the spec has errors, 2 usage or I/O error (the address cannot be bound, the
//! token variable is unset), 4 no bundle to serve or it cannot be loaded.
//!
//! The server monitors what it serves (mlp-serve's `live.rs`): the spec's `monitor` block for the
//! target, its state in `monitor.db` beside the run history (`--state DIR` with `--bundle`), and
//! `retrain` runs `mlpc run SPEC` as a child process of this executable.

use super::deployed;
use crate::out::{errln, outln};
use crate::render;
use mlp_compiler::ast::Direction;
use mlp_compiler::codes::Code;
use mlp_compiler::program::{DeploySettings, Metric, MetricKind, Monitor, Watch};
use mlp_runtime::RunError;
use mlp_serve::{Event, Loaded, Loader, Monitoring, Retrainer, Retry, Served, Server, Settings, Trigger};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What to serve and where.
pub struct Args<'a> {
    pub spec: Option<&'a Path>,
    pub target: Option<&'a str>,
    pub bundle: Option<&'a Path>,
    pub runs_dir: Option<&'a Path>,
    pub host: Option<String>,
    pub port: Option<u16>,
    /// With `--bundle`: the directory of the monitor's state (`monitor.db`), `./.mlp` by default.
    pub state: Option<&'a Path>,
    /// Whether to monitor (`--no-monitor` turns it off).
    pub monitor: bool,
}

pub fn run(args: &Args<'_>) -> u8 {
    let (deploy, dir, loader, monitoring): (DeploySettings, PathBuf, Loader, Monitoring) =
        match (args.spec, args.bundle) {
            (Some(spec), None) => {
                let deployed = match deployed::from_spec(spec, args.target, "http", args.runs_dir) {
                    Ok(d) => d,
                    Err(status) => return status,
                };
                let program = match deployed::program(spec) {
                    Ok(p) => p,
                    Err(status) => return status,
                };
                let name = deployed.deploy.as_ref().map_or_else(|| "api".to_string(), |d| d.name.clone());
                let (_, runs_db) = super::run::record_paths(&super::absolute(spec), args.runs_dir);
                let monitor = program.monitors.iter().find(|m| m.deploy == name).cloned();
                let monitoring = Monitoring {
                    metrics: metrics_of(&program, monitor.as_ref()),
                    monitor,
                    state: Some(runs_db.with_file_name("monitor.db")),
                    base: deployed::spec_dir(spec),
                    retrainer: Some(retrainer(spec, args.runs_dir)),
                    deploy: name,
                };
                let settings = deployed.deploy.map(|d| d.settings).unwrap_or_else(DeploySettings::declared_defaults);
                (settings, deployed.bundle, spec_loader(spec, args.target, args.runs_dir), monitoring)
            }
            (None, Some(bundle)) => {
                let state = args.state.map_or_else(|| PathBuf::from(".mlp"), Path::to_path_buf);
                let monitoring = Monitoring {
                    deploy: "bundle".into(),
                    monitor: None,
                    metrics: Vec::new(),
                    state: Some(state.join("monitor.db")),
                    base: std::env::current_dir().unwrap_or_default(),
                    retrainer: None,
                };
                (DeploySettings::declared_defaults(), bundle.to_path_buf(), bundle_loader(bundle), monitoring)
            }
            _ => {
                return super::usage_error(
                    "give a spec (and optionally its `http` target) or `--bundle DIR`, not both",
                );
            }
        };
    let mut settings = match Settings::of(&deploy) {
        Ok(s) => s,
        Err(e) => return fail(&e, 2),
    };
    if let Some(host) = &args.host {
        settings.host.clone_from(host);
    }
    if let Some(port) = args.port {
        settings.port = port;
    }
    let bundle: Served = match deployed::load(&dir) {
        Ok(b) => Arc::new(Loaded::new(b)),
        Err(status) => return status,
    };
    let (model, id) = (bundle.model().to_string(), bundle.id().to_string());
    let server = match Server::bind_monitored(
        settings,
        Some(bundle),
        Some(loader),
        args.monitor.then_some(monitoring),
        Retry::default(),
        Arc::new(report),
    ) {
        Ok(s) => s,
        Err(e) => return fail(&e, 2),
    };
    outln!("serving {model} (bundle {id}) on http://{}", server.local_addr());
    match server.run() {
        Ok(()) => 0,
        Err(e) => fail(&e, 4),
    }
}

fn fail(error: &RunError, status: u8) -> u8 {
    errln!("{}", render::run_error(error, super::stderr_color()));
    status
}

/// Reloads the bundle of the spec's latest passing run (a newer run's, after `mlpc run`).
fn spec_loader(spec: &Path, target: Option<&str>, runs_dir: Option<&Path>) -> Loader {
    let (spec, target, runs_dir) = (spec.to_path_buf(), target.map(str::to_string), runs_dir.map(Path::to_path_buf));
    Arc::new(move || {
        // `from_spec` prints its own diagnostics (the spec's errors, E0835) on stderr.
        let deployed = deployed::from_spec(&spec, target.as_deref(), "http", runs_dir.as_deref()).map_err(|_| {
            RunError::new(Code::E0835, format!("`{}` gives no bundle to serve now", spec.display()))
                .with_help("see the diagnostics above; the bundle served before keeps serving")
        })?;
        Loaded::load(&deployed.bundle)
    })
}

/// The program's metrics, and the built-ins a monitor condition names directly (`accuracy`).
fn metrics_of(program: &mlp_compiler::program::Program, monitor: Option<&Monitor>) -> Vec<Metric> {
    let mut metrics = program.metrics.clone();
    for rule in monitor.map(|m| m.rules.as_slice()).unwrap_or_default() {
        if let Watch::Metric { metric } = &rule.watch
            && !metrics.iter().any(|m| &m.name == metric)
            && let Ok(kind) = serde_json::from_value::<MetricKind>(serde_json::Value::String(metric.clone()))
        {
            let direction = match kind {
                MetricKind::Mse | MetricKind::Rmse | MetricKind::Mae | MetricKind::LogLoss => Direction::Minimize,
                _ => Direction::Maximize,
            };
            metrics.push(Metric { name: metric.clone(), kind, direction });
        }
    }
    metrics
}

/// `mlpc run SPEC [--runs-dir DIR]` as a child process of this executable: its exit status.
fn retrainer(spec: &Path, runs_dir: Option<&Path>) -> Retrainer {
    let (spec, runs_dir) = (super::absolute(spec), runs_dir.map(super::absolute));
    Arc::new(move || {
        let exe = std::env::current_exe().map_err(|e| format!("this executable cannot be found: {e}"))?;
        let mut command = std::process::Command::new(exe);
        command.arg("run").arg(&spec);
        if let Some(dir) = &runs_dir {
            command.arg("--runs-dir").arg(dir);
        }
        if let Some(dir) = spec.parent() {
            command.current_dir(dir);
        }
        let output =
            command.stdin(std::process::Stdio::null()).output().map_err(|e| format!("`mlpc run` cannot start: {e}"))?;
        match output.status.code() {
            Some(code) if code == 0 || code == 3 => Ok(code),
            Some(code) => {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                Err(format!("`mlpc run` exited with status {code}: {}", tail.join(" / ")))
            }
            None => Err("`mlpc run` was killed by a signal".into()),
        }
    })
}

/// Reloads the same directory (a `bundle` target's `path` is replaced atomically).
fn bundle_loader(dir: &Path) -> Loader {
    let dir = dir.to_path_buf();
    Arc::new(move || Loaded::load(&dir))
}

/// What the server tells, on stderr.
fn report(event: Event) {
    let by = |trigger: Trigger| match trigger {
        Trigger::Hangup => "on SIGHUP",
        Trigger::Admin => "on POST /admin/reload",
        Trigger::Retrain => "after the monitor's retrain",
        Trigger::Rollback => "by the monitor's rollback",
    };
    match event {
        Event::Reloaded { trigger, from, to } => match from {
            Some(from) if from == to => errln!("mlpc serve: reloaded {}: the same bundle {to}", by(trigger)),
            Some(from) => errln!("mlpc serve: serving bundle {to} (was {from}), reloaded {}", by(trigger)),
            None => errln!("mlpc serve: serving bundle {to}, loaded {}", by(trigger)),
        },
        Event::ReloadFailed { trigger, error } => {
            errln!("mlpc serve: reload {} failed; the bundle served before keeps serving", by(trigger));
            errln!("{}", render::run_error(&error, super::stderr_color()));
        }
        Event::Stopping { signal } => errln!("mlpc serve: {signal}: finishing the requests in flight"),
        Event::Abandoned { reason } => errln!("mlpc serve: stopping now: {reason}"),
        // One JSON line per firing, for log collectors.
        Event::Fired { firing } => {
            let line = serde_json::json!({ "event": "monitor", "firing": firing });
            errln!("{line}");
        }
        Event::Warning { message } => errln!("mlpc serve: warning: {message}"),
    }
}
