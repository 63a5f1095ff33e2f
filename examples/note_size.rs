//! The note-size benchmark: does `medcode suggest` cost time and memory in proportion to the
//! note? Builds notes of 1, 4, 16 and 64 MB from the synthetic fixture notes (and the largest
//! once more as one line, no line breaks), runs the release binary on each as a child process,
//! and prints seconds and peak resident memory, per MB and as a multiple of the note.
//!
//! ```text
//! cargo build --release && cargo run --release --example note_size [-- 1 4 16 64]
//! ```
//!
//! The issue's goals: 64 MB within 64x the 1 MB time (linear), peak memory under 10x the note.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1, 4, 16, 64]
    } else {
        sizes
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let binary = root.join("target/release/medcode");
    let mut seed = String::new();
    for name in ["clinic_visit", "discharge_summary", "operative_report"] {
        seed.push_str(&std::fs::read_to_string(
            root.join(format!("tests/fixtures/notes/{name}.txt")),
        )?);
        seed.push_str("\n\n");
    }
    let dir = std::env::temp_dir().join(format!("medcode-note-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("note            MB   seconds   s/MB   peak RSS MB   RSS/note");
    let mut runs: Vec<(String, usize)> = sizes.iter().map(|mb| (format!("{mb} MB"), *mb)).collect();
    if let Some(&largest) = sizes.iter().max() {
        runs.push((format!("{largest} MB, one line"), largest));
    }
    for (label, mb) in runs {
        let one_line = label.ends_with("one line");
        let mut text = seed.repeat(mb * 1024 * 1024 / seed.len() + 1);
        text.truncate(text.floor_char_boundary(mb * 1024 * 1024));
        if one_line {
            text = text.replace(['\n', '\r'], " ");
        }
        let path = dir.join("note.txt");
        std::fs::write(&path, &text)?;
        let started = Instant::now();
        let status = Command::new(&binary)
            .args(["suggest", "--format", "json", "-q", "-o"])
            .arg(dir.join("out.json"))
            .arg("--max-note-size")
            .arg((text.len() + 1).to_string())
            .arg(&path)
            .status()?;
        let seconds = started.elapsed().as_secs_f64();
        let peak_mb = peak_child_rss_kb() as f64 / 1024.0;
        let size_mb = text.len() as f64 / (1024.0 * 1024.0);
        println!(
            "{label:<14} {size_mb:>4.0} {seconds:>9.2} {:>6.3} {peak_mb:>13.0} {:>10.1}{}",
            seconds / size_mb,
            peak_mb / size_mb,
            if status.success() { "" } else { "  (failed)" }
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The largest resident set of any child waited for so far, in KB (Linux: `ru_maxrss`). The
/// notes grow from run to run, so this is the latest child's peak.
fn peak_child_rss_kb() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}
