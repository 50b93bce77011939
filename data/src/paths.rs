//! Data paths, for the checker's sample and the loader alike: a data file must be a regular file
//! (a directory, a FIFO or a device is refused from its metadata, never opened, so nothing can
//! block on it), and a glob is walked here, within a budget of directory entries and time, so
//! that `csv("/**/*.csv")` stops with a diagnostic instead of walking the whole disk.

use mlp_compiler::world::GlobBound;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

/// How far a glob may walk: directory entries visited and wall-clock time.
#[derive(Clone, Copy, Debug)]
pub struct GlobLimits {
    pub entries: usize,
    pub time: Duration,
}

/// The budget of every glob in a check or a run: 100,000 entries or 5 seconds.
pub const GLOB_LIMITS: GlobLimits = GlobLimits { entries: 100_000, time: Duration::from_secs(5) };

/// Why a glob gave no list of files.
#[derive(Clone, Debug, PartialEq)]
pub enum GlobError {
    /// The pattern is not a glob: why, in words.
    Invalid(String),
    /// The walk went over its budget.
    TooBroad(GlobBound),
}

/// Whether `text` is a glob rather than a plain path.
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// What a file system entry is, in words, for one that is not a regular file.
pub fn kind_of(metadata: &std::fs::Metadata) -> String {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory".to_string();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)".to_string();
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device".to_string();
        }
        if file_type.is_socket() {
            return "a socket".to_string();
        }
    }
    "not a regular file".to_string()
}

/// `Ok(None)` for a regular file (a symbolic link to one is fine), `Ok(Some(kind))` for anything
/// else that exists, from its metadata alone.
pub fn irregular(path: &Path) -> std::io::Result<Option<String>> {
    let metadata = std::fs::metadata(path)?;
    Ok(if metadata.is_file() { None } else { Some(kind_of(&metadata)) })
}

/// The regular files `pattern` matches, sorted, walking at most `limits`. Matching follows the
/// `glob` crate's rules (`*`, `?`, `[abc]`, `**` for any number of folders; a leading dot needs
/// no literal dot); `**` does not follow symbolic links to folders, so a link loop cannot trap it.
pub fn glob_files(pattern: &Path, limits: GlobLimits) -> Result<Vec<PathBuf>, GlobError> {
    let text = pattern.to_string_lossy();
    glob::Pattern::new(&text).map_err(|e| GlobError::Invalid(e.msg.to_string()))?;
    // The fixed folders before the first component with a wildcard, then the components to match.
    let mut base = PathBuf::new();
    let mut parts: Vec<String> = Vec::new();
    for component in pattern.components() {
        let part = component.as_os_str().to_string_lossy().into_owned();
        if parts.is_empty() && (!is_glob(&part) || matches!(component, Component::Prefix(_) | Component::RootDir)) {
            base.push(component.as_os_str());
        } else {
            parts.push(part);
        }
    }
    let mut patterns = Vec::with_capacity(parts.len());
    for part in &parts {
        patterns.push(match part.as_str() {
            "**" => Part::AnyFolders,
            p if is_glob(p) => Part::Pattern(glob::Pattern::new(p).map_err(|e| GlobError::Invalid(e.msg.to_string()))?),
            p => Part::Literal(p.to_string()),
        });
    }
    let mut walk = Walk { limits, started: Instant::now(), visited: 0, found: Vec::new() };
    let mut pending: Vec<(PathBuf, usize)> = vec![(base, 0)];
    while let Some((path, at)) = pending.pop() {
        let Some(part) = patterns.get(at) else {
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                walk.found.push(path);
            }
            continue;
        };
        match part {
            Part::Literal(name) => {
                walk.visit()?;
                pending.push((path.join(name), at + 1));
            }
            Part::AnyFolders => {
                // Zero folders, or one more (real folders only) with `**` still to match.
                pending.push((path.clone(), at + 1));
                for (child, file_type) in walk.entries(&path)? {
                    if file_type.is_dir() {
                        pending.push((child, at));
                    }
                }
            }
            Part::Pattern(pattern) => {
                let options = glob::MatchOptions::new();
                for (child, _) in walk.entries(&path)? {
                    let name = child.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    if pattern.matches_with(&name, options) {
                        pending.push((child, at + 1));
                    }
                }
            }
        }
    }
    let mut found = walk.found;
    found.sort();
    found.dedup();
    Ok(found)
}

enum Part {
    Literal(String),
    Pattern(glob::Pattern),
    AnyFolders,
}

struct Walk {
    limits: GlobLimits,
    started: Instant,
    visited: usize,
    found: Vec<PathBuf>,
}

impl Walk {
    /// Counts one entry against the budget.
    fn visit(&mut self) -> Result<(), GlobError> {
        self.visited += 1;
        let timed_out = self.visited % 256 == 0 && self.started.elapsed() > self.limits.time;
        if self.visited > self.limits.entries || timed_out {
            return Err(GlobError::TooBroad(GlobBound { visited: self.visited, timed_out }));
        }
        Ok(())
    }

    /// The entries of the folder at `path` (none when it is not a readable folder), each counted.
    fn entries(&mut self, path: &Path) -> Result<Vec<(PathBuf, std::fs::FileType)>, GlobError> {
        let folder = if path.as_os_str().is_empty() { Path::new(".") } else { path };
        let Ok(entries) = std::fs::read_dir(folder) else { return Ok(Vec::new()) };
        let mut listed = Vec::new();
        for entry in entries.flatten() {
            self.visit()?;
            if let Ok(file_type) = entry.file_type() {
                listed.push((path.join(entry.file_name()), file_type));
            }
        }
        Ok(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mlp-glob-{}-{:?}", std::process::id(), std::thread::current().id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["a", "a/b", "c"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        for file in ["x.csv", "a/y.csv", "a/b/z.csv", "c/w.txt", "a/b/v.csv"] {
            std::fs::write(dir.join(file), "h\n1\n").unwrap();
        }
        // A folder whose name matches is not a file.
        std::fs::create_dir_all(dir.join("d.csv")).unwrap();
        dir
    }

    #[test]
    fn matches_like_the_glob_crate() {
        let dir = tree();
        for pattern in ["*.csv", "a/*.csv", "**/*.csv", "a/**/*.csv", "*/b/?.csv", "[ac]/*", "**/z.csv"] {
            let full = dir.join(pattern);
            let mut expected: Vec<PathBuf> =
                glob::glob(&full.to_string_lossy()).unwrap().flatten().filter(|p| p.is_file()).collect();
            expected.sort();
            assert_eq!(glob_files(&full, GLOB_LIMITS).unwrap(), expected, "{pattern}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_walk_stops_at_its_entry_budget() {
        let dir = tree();
        let small = GlobLimits { entries: 3, time: Duration::from_secs(3600) };
        match glob_files(&dir.join("**/*.csv"), small) {
            Err(GlobError::TooBroad(bound)) => assert!(bound.visited == 4 && !bound.timed_out, "{bound:?}"),
            other => panic!("expected the budget to stop the walk, got {other:?}"),
        }
        // A narrow pattern within the same budget is fine.
        assert_eq!(glob_files(&dir.join("a/y.csv"), small).unwrap(), vec![dir.join("a/y.csv")]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_invalid_pattern_says_why() {
        assert!(matches!(glob_files(Path::new("data/**.csv"), GLOB_LIMITS), Err(GlobError::Invalid(_))));
    }

    #[test]
    fn special_files_are_named() {
        let dir = tree();
        assert_eq!(irregular(&dir.join("x.csv")).unwrap(), None);
        assert_eq!(irregular(&dir.join("a")).unwrap().as_deref(), Some("a directory"));
        #[cfg(unix)]
        assert_eq!(irregular(Path::new("/dev/null")).unwrap().as_deref(), Some("a device"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
