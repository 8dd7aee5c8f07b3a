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
    man.render(&mut std::io::stdout())?;
    Ok(ExitCode::SUCCESS)
}
