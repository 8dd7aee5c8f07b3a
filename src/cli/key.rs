//! `warden key …`

use super::Globals;
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Print your public key (give it to the case's lead officer to be added)
    Show(ShowArgs),
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: KeyCommand, g: &Globals) -> anyhow::Result<ExitCode> {
    match cmd {
        KeyCommand::Show(a) => {
            let key = g.officer_key(true)?;
            let pem = warden::keys::public_key_pem(&key.verifying());
            if a.json {
                let v = serde_json::json!({
                    "key_file": key.path,
                    "public_key": key.public_b64(),
                    "public_key_pem": pem,
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{}", key.public_b64());
                eprintln!(
                    "(public key of {}; to join a case, run `warden case join --officer \"Your Name\"` and give what it prints to its lead officer; or give them this line, for: warden case add-officer --officer \"Your Name\" --public-key {})",
                    key.path.display(),
                    key.public_b64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
