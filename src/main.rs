//! The `warden` command. All work happens in the library; this only turns
//! the command line into options and errors into exit codes.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
