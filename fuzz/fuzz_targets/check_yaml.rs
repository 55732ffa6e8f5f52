//! libFuzzer entry point of the `check_yaml` target; the body is
//! [`palisade_fuzz::check_yaml::run`], which the stable replay test also calls.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::check_yaml::run(data));
