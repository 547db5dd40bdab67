//! libFuzzer entry for the `cli_args` target: the body is `ipcsim_fuzz::cli_args::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ipcsim_fuzz::cli_args::check(data));
