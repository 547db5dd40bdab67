//! libFuzzer entry for the `kernel_calls` target: the body is `ipcsim_fuzz::kernel_calls::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ipcsim_fuzz::kernel_calls::check(data));
