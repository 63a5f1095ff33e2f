#![no_main]
//! See `medcode::fuzzing::segments`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medcode::fuzzing::segments(data));
