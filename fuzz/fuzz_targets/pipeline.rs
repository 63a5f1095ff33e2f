#![no_main]
//! See `medcode::fuzzing::pipeline`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medcode::fuzzing::pipeline(data));
