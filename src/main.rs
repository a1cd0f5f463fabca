//! The `redline` binary: everything lives in the library; see `redline::cli`.

fn main() -> std::process::ExitCode {
    redline::cli::main()
}
