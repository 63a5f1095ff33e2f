#![no_main]
//! See `medcode::fuzzing::dictionary`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medcode::fuzzing::dictionary(data));
