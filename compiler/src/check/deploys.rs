//! The deploys pass: each `deploy` serves a model through a target (`http`, `batch`, `bundle`)
//! with the settings that target takes.

use super::context::{Context, Def};
use super::names::list_names;
use super::pass::{Checked, Pass};
use super::values::Settings;
use crate::ast::{DefKind, Expr};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::program::{Auth, Deploy, DeploySettings};
use crate::stdlib::Builtin;

/// Checks every deploy.
pub(super) fn check<'a>(cx: &'a Context<'a>) -> Checked<Vec<Deploy>> {
    let mut p = Pass::new(cx);
    let deploys = cx.symbols.of_kind(DefKind::Deploy).iter().filter_map(|&def| deploy(&mut p, def)).collect();
    p.finish(deploys)
}

/// One deploy; `None` when its model, target or settings are wrong.
fn deploy<'a>(p: &mut Pass<'a>, def: Def<'a>) -> Option<Deploy> {
    let name = def.def.name.name.clone();
    let value = p.required_value(def, &format!("deploy {name} = http(model_name)"))?;
    let settings = p.settings(def.file, "deploy", def.def.body.as_ref(), false, true);
    p.no_statements(def.file, &settings.other, "deploy");
    let (builtin, target) = p.builtin_call(def.file, "target", value)?;
    let (_, _, args) = value.as_call()?;
    let model_arg = args.first()?;
    let Some(model) = model_arg.value.as_name() else {
        p.report(
            Diagnostic::error(
                Code::E0202,
                def.file,
                model_arg.value.span,
                format!("a `{}` deploy names the model it serves", builtin.name),
            )
            .with_primary("expected a model name")
            .with_help(format!("write `deploy {name} = {}(model_name)`", builtin.name)),
        );
        return None;
    };
    if misplaced_settings(p, def, builtin, &settings) {
        return None;
    }
    p.resolve(def.file, model, model_arg.value.span, &[DefKind::Model])?;
    required_settings(p, def, builtin, &settings, value);
    let typed = p.typed_settings::<DeploySettings>(def.file, def.def.name.span, "deploy", &settings.values)?;
    if builtin.name == "http" {
        let port = typed.port;
        if !(1..=65535).contains(&port) {
            let span = settings.spans.get("port").copied().unwrap_or(value.span);
            p.report(
                Diagnostic::error(Code::E0206, def.file, span, format!("port {port} is not a TCP port"))
                    .with_primary("out of range")
                    .with_help("choose a port from 1 to 65535, e.g. 8080"),
            );
        }
        if let Some(Auth::Token { env }) = &typed.auth
            && !is_variable_name(env)
        {
            let span = settings.spans.get("auth").copied().unwrap_or(value.span);
            p.report(
                Diagnostic::error(
                    Code::E0603,
                    def.file,
                    span,
                    format!("`{}` is not the name of an environment variable", env.escape_debug()),
                )
                .with_primary("expected a name such as `MLPC_TOKEN`")
                .with_help("name the variable that holds the token, e.g. `auth = token(env: \"MLPC_TOKEN\")`, never the token itself"),
            );
        }
    }
    let target = p.typed(def.file, value.span, "this deploy target", &target)?;
    Some(Deploy { name, target, settings: typed })
}

/// Each target takes only its own settings (E0201 for another target's); returns whether any
/// setting is misplaced.
fn misplaced_settings(p: &mut Pass<'_>, def: Def<'_>, builtin: &Builtin, settings: &Settings<'_>) -> bool {
    let allowed: &[&str] = match builtin.name.as_str() {
        "http" => &["port", "host", "max_batch", "max_wait", "timeout", "max_body", "max_rows", "auth"],
        "batch" => &["input", "output"],
        _ => &["path"],
    };
    let mut misplaced = false;
    for (key, span) in &settings.key_spans {
        if !allowed.contains(&key.as_str()) && settings.values.contains_key(key) {
            p.report(
                Diagnostic::error(
                    Code::E0201,
                    def.file,
                    *span,
                    format!("`{key}` does not apply to a `{}` deploy", builtin.name),
                )
                .with_primary("setting of another deploy target")
                .with_help(format!(
                    "a `{}` deploy accepts {}",
                    builtin.name,
                    list_names(allowed.iter().copied())
                )),
            );
            misplaced = true;
        }
    }
    misplaced
}

/// E0203 for each setting the target needs and the block lacks.
fn required_settings(p: &mut Pass<'_>, def: Def<'_>, builtin: &Builtin, settings: &Settings<'_>, value: &Expr) {
    let required: &[&str] = match builtin.name.as_str() {
        "batch" => &["input", "output"],
        "bundle" => &["path"],
        _ => &[],
    };
    for key in required {
        if !settings.values.contains_key(*key) && !settings.key_spans.contains_key(*key) {
            p.report(
                Diagnostic::error(
                    Code::E0203,
                    def.file,
                    value.span,
                    format!("a `{}` deploy needs `{key}`", builtin.name),
                )
                .with_primary(format!("`{key}` is missing"))
                .with_help(match *key {
                    "input" => "add `input = csv(\"incoming/*.csv\")` to the block",
                    "output" => "add `output = \"predictions/\"` to the block",
                    _ => "add `path = \"bundle/\"` to the block",
                }),
            );
        }
    }
}

/// A name `export NAME=...` accepts: letters, digits and `_`, not starting with a digit, at
/// most 255 bytes (a token written in place of the name usually fails this).
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 255
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
