//! libFuzzer entry for the `schedule` target: the body is `ipcsim_fuzz::schedule::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ipcsim_fuzz::schedule::check(data));
