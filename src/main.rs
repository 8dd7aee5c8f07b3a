//! The `warden` command. All work happens in the library; this only turns
//! the command line into options and errors into exit codes.

mod cli;

/// The system allocator, switched to mimalloc for an offline sweep (see
/// `cli/allocator.rs`).
#[global_allocator]
static GLOBAL: cli::allocator::Allocator = cli::allocator::Allocator;

fn main() -> std::process::ExitCode {
    cli::main()
}
