//! libFuzzer entry point of the `edit_view` target; the body is
//! [`palisade_fuzz::edit_view::run`], which the stable replay test also calls.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| palisade_fuzz::edit_view::run(data));
