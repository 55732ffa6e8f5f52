//! libFuzzer entry point of the `http_api` target; the body is
//! [`palisade_fuzz::http_api::run`], which the stable replay test also calls.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::http_api::run(data));
