//! libFuzzer entry point of the `generate_check` target; the body is
//! [`palisade_fuzz::generate_check::run`], which the stable replay test also calls.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::generate_check::run(data));
