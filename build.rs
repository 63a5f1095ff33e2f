//! Embeds every bundled rule pack (`rules/packs/*.yaml`), index file (`rules/index/*.yaml`)
//! and dictionary fragment (`rules/dictionary/*.yaml`) in the binary, so that adding a pack is adding a file.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let mut code = String::new();
    for (name, dir) in [
        ("BUILTIN_PACKS", "rules/packs"),
        ("DICTIONARY_FRAGMENTS", "rules/dictionary"),
        ("BUILTIN_INDEX", "rules/index"),
    ] {
        println!("cargo:rerun-if-changed={dir}");
        let mut files: Vec<String> = std::fs::read_dir(Path::new(&root).join(dir))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".yaml") && !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let _ = writeln!(
            code,
            "/// Embedded `{dir}/*.yaml`, as (path, YAML) pairs, in name order."
        );
        let _ = writeln!(code, "pub const {name}: &[(&str, &str)] = &[");
        for file in files {
            let path = Path::new(&root).join(dir).join(&file);
            println!("cargo:rerun-if-changed={}", path.display());
            let _ = writeln!(
                code,
                "    (\"{dir}/{file}\", include_str!({:?})),",
                path.display().to_string()
            );
        }
        let _ = writeln!(code, "];");
    }
    std::fs::write(Path::new(&out).join("embedded.rs"), code).expect("write embedded.rs");
}
