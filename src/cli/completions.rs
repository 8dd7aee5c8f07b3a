//! `warden completions SHELL` and `warden man`

use clap::Args;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    shell: clap_complete::Shell,
}

pub fn run_completions(a: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::command();
    clap_complete::generate(a.shell, &mut cmd, "warden", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

pub fn run_man() -> anyhow::Result<ExitCode> {
    let man = clap_mangen::Man::new(super::command());
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    let roff = String::from_utf8(roff)?;
    use std::io::Write;
    std::io::stdout().write_all(ascii_roff(&roff).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// troff reads bytes, not UTF-8: any other character in the help text is
/// written as a `\[uXXXX]` escape, so `groff -man` renders it without `preconv`.
fn ascii_roff(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for c in roff.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out
}
