#![no_main]
//! See `medcode::fuzzing::jsonl`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medcode::fuzzing::jsonl(data));
