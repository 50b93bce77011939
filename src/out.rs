//! Everything the CLI prints goes through here. A reader that stops early (`mlpc graph x.mlp |
//! head -1`, `mlpc runs | true`) closes the pipe: the next write to stdout fails with
//! `BrokenPipe`, and the process ends quietly with the status the command has set
//! ([`set_status`], 0 unless it was set), as `git` and `ripgrep` do, instead of panicking. Writes
//! to a closed stderr are dropped. Nothing a command must do may come after its output: `mlpc run`
//! has recorded the run before it prints.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU8, Ordering};

static STATUS: AtomicU8 = AtomicU8::new(0);

/// The status to end with if stdout turns out to be closed.
pub fn set_status(status: u8) {
    STATUS.store(status, Ordering::Relaxed);
}

/// Writes `text` to stdout; a closed pipe ends the process with the command's status.
pub fn stdout(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(STATUS.load(Ordering::Relaxed)));
        }
        stderr(&format!("error: cannot write to standard output: {e}\n"));
        std::process::exit(2);
    }
}

/// Writes `text` to stderr; a closed stderr loses it and nothing else.
pub fn stderr(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// `print!` through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::stdout(&format!($($arg)*)) };
}

/// `println!` through [`stdout`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        let mut text = format!($($arg)*);
        text.push('\n');
        $crate::out::stdout(&text)
    }};
}

/// `eprint!` through [`stderr`].
macro_rules! err {
    ($($arg:tt)*) => { $crate::out::stderr(&format!($($arg)*)) };
}

/// `eprintln!` through [`stderr`].
macro_rules! errln {
    ($($arg:tt)*) => {{
        let mut text = format!($($arg)*);
        text.push('\n');
        $crate::out::stderr(&text)
    }};
}

pub(crate) use {err, errln, out, outln};

/// Standard output as an [`io::Write`], through [`stdout`] (so a closed pipe ends the command
/// quietly): for output streamed by a library, e.g. `mlpc predict`'s rows.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stdout(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
