//! A real `medcode serve` process on an ephemeral loopback port, for the API, UI, crash and
//! browser tests. It is killed when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running server.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: PathBuf,
    pub stderr: PathBuf,
}

impl Server {
    /// Starts `medcode serve` with a database in `dir` and `extra` arguments.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(dir, extra, &[])
    }

    /// [`Server::start`] with environment variables.
    pub fn start_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        std::fs::create_dir_all(dir).unwrap();
        let stderr = dir.join("stderr.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_medcode"));
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(dir.join("review.sqlite3"))
            .args(extra)
            .env_remove("MEDCODE_TOKEN")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("medcode serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| {
                panic!(
                    "no address in {line:?}; stderr: {}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                )
            })
            .trim_end_matches('/')
            .to_string();
        Server {
            child,
            url,
            dir: dir.to_path_buf(),
            stderr,
        }
    }

    /// The address with `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// What the server wrote on standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under the target directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An HTTP agent that returns 4xx/5xx responses instead of errors and does not follow
/// redirects.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// Synthetic notes (never corpus text) as JSONL.
pub fn queue_file(dir: &Path) -> PathBuf {
    let lines = [
        r#"{"id": "syn-1", "text": "ASSESSMENT:\n1. Type 2 diabetes mellitus.\n2. Essential hypertension.\nPatient denies chest pain.\n", "mrn": "x1"}"#,
        r#"{"id": "syn-2", "text": "IMPRESSION: Community acquired pneumonia.\nPLAN: Antibiotics.\n", "setting": "inpatient"}"#,
        r#"{"id": "syn-3", "text": "DIAGNOSIS: <script>alert('x')</script> \"><img src=x onerror=alert(1)> Hypertension.\n"}"#,
    ];
    let path = dir.join("queue.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The CSRF token of the forms on a page.
pub fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF field")
        + 19;
    page[at..at + 64].to_string()
}
