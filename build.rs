//! Embeds every bundled rule pack (`rules/packs/*.yaml`), index file (`rules/index/*.yaml`)
//! and dictionary fragment (`rules/dictionary/*.yaml`) in the binary, so that adding a pack is adding a file.
//!
//! Each file is also embedded as JSON, converted here: reading 3 MB of YAML was most of
//! medcode's start-up, and JSON parses into the same serde types ten times faster. The YAML
//! stays the source and is what diagnostics point into; a file that is not valid YAML gets no
//! JSON twin, so loading reports the YAML error with its line.

use std::fmt::Write;
use std::path::Path;

fn main() {
    data_cfg();
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let mut code = String::new();
    let mut twins: Vec<(String, String)> = Vec::new();
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
            if let Some(json) = json_twin(&path) {
                let twin = Path::new(&out)
                    .join(format!("{}.json", file.trim_end_matches(".yaml")))
                    .with_file_name(format!("{}--{file}.json", dir.replace('/', "-")));
                std::fs::write(&twin, json).expect("write a JSON twin");
                twins.push((format!("{dir}/{file}"), twin.display().to_string()));
            }
        }
        let _ = writeln!(code, "];");
    }
    let _ = writeln!(
        code,
        "/// The embedded YAML files as JSON, by the same paths (files that are not valid YAML have none)."
    );
    let _ = writeln!(code, "pub const JSON_TWINS: &[(&str, &str)] = &[");
    for (path, twin) in twins {
        let _ = writeln!(code, "    (\"{path}\", include_str!({twin:?})),");
    }
    let _ = writeln!(code, "];");
    std::fs::write(Path::new(&out).join("embedded.rs"), code).expect("write embedded.rs");
}

/// The YAML file as JSON, or `None` when it does not parse (loading then reports why).
fn json_twin(path: &Path) -> Option<String> {
    let yaml = std::fs::read_to_string(path).ok()?;
    let mut value: serde_json::Value = serde_yaml::from_str(&yaml).ok()?;
    drop_nulls(&mut value);
    serde_json::to_string(&value).ok()
}

/// Removes keys whose value is null (`match:` with nothing under it): serde reads an absent
/// key as its default, which is what the YAML reader makes of an empty one.
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Tests that need the official files and the corpus (`MEDCODE_DATA_DIR`) are marked
/// `#[cfg_attr(medcode_no_data, ignore = "...")]`: without the directory, `cargo test` lists
/// them as ignored, with the reason, in its summary instead of passing them silently.
fn data_cfg() {
    println!("cargo::rustc-check-cfg=cfg(medcode_no_data)");
    println!("cargo:rerun-if-env-changed=MEDCODE_DATA_DIR");
    let present = std::env::var_os("MEDCODE_DATA_DIR")
        .is_some_and(|dir| !dir.is_empty() && Path::new(&dir).is_dir());
    if !present {
        println!("cargo::rustc-cfg=medcode_no_data");
    }
}
