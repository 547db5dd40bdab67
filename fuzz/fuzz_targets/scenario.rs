//! libFuzzer entry for the `scenario` target: the body is `ipcsim_fuzz::scenario::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ipcsim_fuzz::scenario::check(data));
