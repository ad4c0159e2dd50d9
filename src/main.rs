//! The `sfmap` binary: parse arguments, run the verb, map the outcome to an exit code.

fn main() -> std::process::ExitCode {
    sfmap::cli::main()
}
