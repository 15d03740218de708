//! Progress on the terminal: `indicatif` bars when stderr is a terminal, one plain line per
//! finished step otherwise (CI logs, `| tee`), nothing at all with `--quiet`.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Clone, Copy)]
pub struct Progress {
    fancy: bool,
    quiet: bool,
}

/// One step; call [`Step::finish`] with a short result line.
pub struct Step {
    bar: ProgressBar,
    name: String,
    started: Instant,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress {
            fancy: !quiet && std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// A step with a known number of units (files, messages).
    pub fn step(&self, name: &str, len: Option<u64>) -> Step {
        let bar = if self.fancy {
            let b = match len {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::new_spinner(),
            };
            let style = match len {
                Some(_) => ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
                ),
                None => {
                    ProgressStyle::with_template("{prefix:>12} {spinner} {pos} {msg} ({elapsed})")
                }
            };
            if let Ok(s) = style {
                b.set_style(s.progress_chars("=> "));
            }
            b.set_prefix(name.to_string());
            b
        } else {
            ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden())
        };
        Step {
            bar,
            name: name.to_string(),
            started: Instant::now(),
            quiet: self.quiet,
        }
    }
}

impl Step {
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn inc_length(&self, n: u64) {
        self.bar.inc_length(n);
    }

    /// Ends the step and prints `name: message (seconds)`. Returns the seconds taken.
    pub fn finish(self, message: &str) -> f64 {
        let secs = self.started.elapsed().as_secs_f64();
        self.bar.finish_and_clear();
        if !self.quiet {
            eprintln!("{:>12}: {message} ({secs:.2}s)", self.name);
        }
        secs
    }
}
