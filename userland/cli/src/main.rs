//! The `ipcsim` binary: the command line of [`ipcsim::main_with`].

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(ipcsim::main_with(std::env::args_os()))
}
