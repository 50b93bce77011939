//! Loading: the root file and, depth first, every file it imports, each parsed once; import
//! cycles (E0011), unreadable imports (E0010), imports of what is not a spec file (E0012: not a
//! regular `.mlp` file, refused before it is opened or parsed, so no diagnostic ever shows the
//! text of `/etc/passwd`) and oversized imports (E0013) are reported here, before any check runs.

use crate::ast::{Ast, Item};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, FileId, SourceFile};
use crate::world::{MAX_SOURCE_BYTES, SourceError, World};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The files read so far, their syntax trees and the diagnostics of parsing and importing.
pub(super) struct Loader<'w> {
    world: &'w dyn World,
    pub files: Vec<SourceFile>,
    pub asts: Vec<Ast>,
    pub diagnostics: Vec<Diagnostic>,
    by_path: HashMap<PathBuf, FileId>,
}

impl<'w> Loader<'w> {
    pub fn new(world: &'w dyn World) -> Self {
        Loader { world, files: Vec::new(), asts: Vec::new(), diagnostics: Vec::new(), by_path: HashMap::new() }
    }

    /// Reads `path` (whose text is `text`) and its imports; `stack` holds the files being imported.
    pub fn load(&mut self, path: PathBuf, text: String, stack: &mut Vec<PathBuf>) -> FileId {
        let id = FileId(self.files.len() as u32);
        let (ast, mut diagnostics) = crate::syntax::parse(&text, id);
        self.diagnostics.append(&mut diagnostics);
        self.by_path.insert(path.clone(), id);
        self.files.push(SourceFile { id, path: path.clone(), text });
        self.asts.push(ast.clone());
        stack.push(path.clone());
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for item in &ast.items {
            let Item::Import(import) = item else { continue };
            let target = normalize(&dir.join(&import.path.value));
            if stack.contains(&target) {
                let chain: Vec<String> = stack.iter().chain([&target]).map(|p| display_name(p)).collect();
                self.diagnostics.push(
                    Diagnostic::error(Code::E0011, id, import.path.span, "import cycle")
                        .with_primary(format!("`{}` is already being imported", display_name(&target)))
                        .with_help(format!(
                            "cycle: {}; move the shared definitions into a file both import",
                            chain.join(" → ")
                        )),
                );
                continue;
            }
            if self.by_path.contains_key(&target) {
                continue;
            }
            let written = &import.path.value;
            if target.extension().is_none_or(|e| e != "mlp") {
                self.diagnostics.push(
                    Diagnostic::error(Code::E0012, id, import.path.span, format!("cannot import `{written}`: it is not a `.mlp` file"))
                        .with_primary("not a spec file")
                        .with_help("import a spec file whose name ends in `.mlp`; data files are read by sources, e.g. `source s = csv(\"data.csv\")`"),
                );
                continue;
            }
            match self.world.read_spec(&target) {
                Ok(text) => {
                    self.load(target, text, stack);
                }
                Err(SourceError::NotRegular(kind)) => self.diagnostics.push(
                    Diagnostic::error(Code::E0012, id, import.path.span, format!("cannot import `{written}`: it is {kind}"))
                        .with_primary("not a regular file")
                        .with_help("an import names a spec file (a regular file ending in `.mlp`), relative to this file's directory"),
                ),
                Err(SourceError::TooLarge(size)) => self.diagnostics.push(
                    Diagnostic::error(
                        Code::E0013,
                        id,
                        import.path.span,
                        format!(
                            "cannot import `{written}`: it holds at least {size} bytes, over the limit of {} MiB",
                            MAX_SOURCE_BYTES >> 20
                        ),
                    )
                    .with_primary("file too large for a spec")
                    .with_help("a spec file holds at most 16 MiB: check the path, or split the definitions over several files"),
                ),
                Err(SourceError::Unreadable(reason)) => self.diagnostics.push(
                    Diagnostic::error(
                        Code::E0010,
                        id,
                        import.path.span,
                        format!("cannot read imported file `{}`", import.path.value),
                    )
                    .with_primary(reason)
                    .with_help(format!("import paths are relative to this file's directory, `{}`", dir.display())),
                ),
            }
        }
        stack.pop();
        id
    }
}

/// Resolves `.` and `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() && !out.ends_with("..") => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
