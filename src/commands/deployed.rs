//! Which bundle a command uses: a bundle directory given as such, or a spec's — the bundle of
//! its latest passing run, of the model a deploy target serves (or, for `mlpc predict`, the
//! model asked for, else the objective's best). Failures are printed here (E0835 and the spec's
//! own diagnostics) and returned as the exit status.

use crate::out::errln;
use crate::render;
use mlp_compiler::codes::Code;
use mlp_compiler::program::{Deploy, Program};
use mlp_data::FsWorld;
use mlp_runtime::RunError;
use mlp_runtime::record::store::RunStore;
use std::path::{Path, PathBuf};

/// The bundle a command serves or predicts with.
pub struct Deployed {
    pub bundle: PathBuf,
    /// The deploy target, when a spec named one.
    pub deploy: Option<Deploy>,
}

fn no_bundle(message: String, help: &str) -> u8 {
    let error = RunError::new(Code::E0835, message).with_help(help);
    errln!("{}", render::run_error(&error, super::stderr_color()));
    4
}

/// The checked program of `spec`, or the exit status after printing its diagnostics.
pub fn program(spec: &Path) -> Result<Program, u8> {
    let absolute = super::absolute(spec);
    let compilation = match mlp_compiler::compile(&FsWorld, &absolute) {
        Ok(c) => c,
        Err(reason) => return Err(super::usage_error(&format!("cannot read `{}`: {reason}", spec.display()))),
    };
    let color = super::stderr_color();
    if compilation.has_errors() {
        for diagnostic in &compilation.diagnostics {
            errln!("{}\n", render::human(diagnostic, &compilation.files, color));
        }
        errln!("the spec has errors");
        return Err(1);
    }
    compilation.program.ok_or(1)
}

/// The deploy target of `program` named `target`, or its only target of `kind` (`http`,
/// `batch`, `bundle`; any kind when `kind` is empty).
pub fn target(program: &Program, spec: &Path, target: Option<&str>, kind: &str) -> Result<Deploy, u8> {
    let of_kind: Vec<&Deploy> = program.deploys.iter().filter(|d| kind.is_empty() || d.target.name() == kind).collect();
    let names = |list: &[&Deploy]| list.iter().map(|d| format!("`{}`", d.name)).collect::<Vec<_>>().join(", ");
    let what = if kind.is_empty() { "deploy target".to_string() } else { format!("`{kind}` target") };
    match target {
        Some(name) => match program.deploys.iter().find(|d| d.name == name) {
            Some(d) if kind.is_empty() || d.target.name() == kind => Ok(d.clone()),
            Some(d) => Err(no_bundle(
                format!("`{name}` is a `{}` target, not a {what}", d.target.name()),
                &format!("the spec's {what}s: {}", if of_kind.is_empty() { "none".into() } else { names(&of_kind) }),
            )),
            None => Err(no_bundle(
                format!("`{}` has no deploy target `{name}`", spec.display()),
                &format!("its {what}s: {}", if of_kind.is_empty() { "none".into() } else { names(&of_kind) }),
            )),
        },
        None => match of_kind.as_slice() {
            [only] => Ok((*only).clone()),
            [] => Err(no_bundle(
                format!("`{}` has no {what}", spec.display()),
                "declare one, e.g. `deploy api = http(MODEL)`, or give a bundle directory",
            )),
            several => Err(no_bundle(
                format!("`{}` has {} {what}s; name the one to use", spec.display(), several.len()),
                &format!("one of {}", names(several)),
            )),
        },
    }
}

/// The bundle of `model` (the objective's best, or the only bundled model, when `None`) in the
/// latest passing run of `program`.
pub fn latest_bundle(
    program: &Program,
    spec: &Path,
    model: Option<&str>,
    runs_dir: Option<&Path>,
) -> Result<(PathBuf, String), u8> {
    let (runs, db) = super::run::record_paths(&super::absolute(spec), runs_dir);
    let help =
        "run the spec with `mlpc run` until its gates pass (a bundle is written only then), or give a bundle directory";
    if !db.exists() {
        return Err(no_bundle(format!("`{}` has never been run", spec.display()), help));
    }
    let rows = match RunStore::open_read_only(&runs, &db).and_then(|store| store.list()) {
        Ok(rows) => rows,
        Err(e) => {
            errln!("{}", render::run_error(&super::history_hint(e, runs_dir), super::stderr_color()));
            return Err(2);
        }
    };
    // The history orders runs by their start, to the second; runs started in the same second
    // are ordered by when they finished writing (their run.json), newest first.
    let finished = |dir: &Option<String>| {
        dir.as_deref()
            .and_then(|d| std::fs::metadata(Path::new(d).join("run.json")).ok())
            .and_then(|m| m.modified().ok())
            .unwrap_or(std::time::UNIX_EPOCH)
    };
    let mut passing: Vec<_> =
        rows.iter().filter(|r| r.status == "passed" && r.pipeline == program.pipeline.name).collect();
    passing.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| finished(&b.dir).cmp(&finished(&a.dir))));
    for row in passing {
        let Some(dir) = row.dir.as_deref().map(PathBuf::from) else { continue };
        let chosen = match model {
            Some(m) => Some(m.to_string()),
            None => row.best_model.clone().filter(|m| dir.join("bundles").join(m).is_dir()).or_else(|| {
                let bundled: Vec<String> = std::fs::read_dir(dir.join("bundles"))
                    .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                    .unwrap_or_default();
                (bundled.len() == 1).then(|| bundled[0].clone())
            }),
        };
        let Some(chosen) = chosen else { continue };
        let bundle = dir.join("bundles").join(&chosen);
        if bundle.join(mlp_infer::bundle::MANIFEST).is_file() {
            return Ok((bundle, row.id.clone()));
        }
    }
    let which = model.map_or(String::new(), |m| format!(" of model `{m}`"));
    Err(no_bundle(format!("`{}` has no passing run with a bundle{which}", spec.display()), help))
}

/// A spec's deploy target and the bundle it serves (see the module doc).
pub fn from_spec(spec: &Path, target_name: Option<&str>, kind: &str, runs_dir: Option<&Path>) -> Result<Deployed, u8> {
    let program = program(spec)?;
    let deploy = target(&program, spec, target_name, kind)?;
    let (bundle, _) = latest_bundle(&program, spec, Some(deploy.target.model()), runs_dir)?;
    Ok(Deployed { bundle, deploy: Some(deploy) })
}

/// The directory a spec's paths are relative to.
pub fn spec_dir(spec: &Path) -> PathBuf {
    super::absolute(spec).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Loads a bundle, printing why it cannot be loaded.
pub fn load(dir: &Path) -> Result<mlp_infer::Bundle, u8> {
    mlp_infer::Bundle::load(dir).map_err(|e| {
        errln!("{}", render::run_error(&e, super::stderr_color()));
        4
    })
}
