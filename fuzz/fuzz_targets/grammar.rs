#![no_main]
//! See `medcode::fuzzing::grammar`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medcode::fuzzing::grammar(data));
