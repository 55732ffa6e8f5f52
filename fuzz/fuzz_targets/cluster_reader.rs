//! libFuzzer entry point of the `cluster_reader` target; the body is
//! [`palisade_fuzz::cluster_reader::run`], which the stable replay test also calls.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::cluster_reader::run(data));
