//! The `medcode` command-line interface.

mod cli;

/// mimalloc: the pipeline allocates many small, short-lived values per note (words, spans,
/// evidence), where the system allocator cost a fifth of the run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
