//! libFuzzer entry point of the `flow_chunks` target; the body is
//! [`palisade_fuzz::flow_chunks::run`], which the stable replay test also calls.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::flow_chunks::run(data));
