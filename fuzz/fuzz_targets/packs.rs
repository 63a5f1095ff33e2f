#![no_main]
//! See `medcode::fuzzing::packs`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medcode::fuzzing::packs(data));
