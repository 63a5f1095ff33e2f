//! The workbench benchmark: `medcode serve` (the release binary, as a child process) measured
//! from a client on loopback, with the corpus notes (`$MEDCODE_DATA_DIR`, else the synthetic
//! fixture notes):
//!
//! 1. `POST /v1/suggest`, one request at a time after 200 warm-up requests, the server pinned
//!    to one core (`taskset -c 0`, when present): median and 95th percentile latency;
//! 2. `POST /v1/batches` with every note as NDJSON, on 2 cores: notes per second;
//! 3. a 5,000-note queue: the time to answer `GET /` pages (first, middle, last, filtered).
//!
//! ```text
//! cargo build --release && cargo run --release --example serve_bench
//! ```
//!
//! The issue's goals: suggest < 5 ms median, batches ≥ 1,000 notes/s, a queue page < 300 ms.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(binary: &Path, db: &Path, extra: &[&str], pin: bool) -> Server {
    let _ = std::fs::remove_file(db);
    let mut command = if pin && Path::new("/usr/bin/taskset").exists() {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(binary);
        c
    } else {
        Command::new(binary)
    };
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("the release binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the server prints its address")
        .trim_end_matches('/')
        .to_string();
    Server(child, url)
}

fn notes() -> Vec<String> {
    if let Some(dir) = medcode::corpus::data_dir() {
        let path = dir.join("notes/mtsamples_dev.csv");
        if let Ok(notes) = medcode::corpus::read_mtsamples(&path) {
            return notes;
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notes");
    let mut notes: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    notes.sort();
    notes
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

fn main() {
    let binary = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("medcode");
    let dir = std::env::temp_dir().join(format!("medcode-serve-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let notes = notes();
    let mean = notes.iter().map(String::len).sum::<usize>() / notes.len().max(1);
    println!("{} notes, {mean} bytes on average", notes.len());
    suggest_latency(&binary, &dir, &notes);
    batch_throughput(&binary, &dir, &notes);
    queue_paging(&binary, &dir, &notes);
    let _ = std::fs::remove_dir_all(&dir);
}

fn suggest_latency(binary: &Path, dir: &Path, notes: &[String]) {
    let server = start(binary, &dir.join("a.sqlite3"), &[], true);
    let agent = ureq::Agent::new_with_defaults();
    let url = format!("{}/v1/suggest", server.1);
    let post = |text: &str| {
        let body = serde_json::json!({ "text": text, "id": "bench" });
        let started = Instant::now();
        let response = agent.post(&url).send_json(&body).unwrap();
        let _ = response.into_body().read_to_vec().unwrap();
        started.elapsed()
    };
    for text in notes.iter().cycle().take(200) {
        post(text);
    }
    let mut times: Vec<Duration> = notes.iter().take(2000).map(|t| post(t)).collect();
    times.sort();
    println!(
        "POST /v1/suggest, one core, {} requests one at a time: median {:.2} ms, p95 {:.2} ms",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.95)
    );
}

fn ndjson(notes: &[String], count: usize) -> String {
    let mut out = String::new();
    for (n, text) in notes.iter().cycle().take(count).enumerate() {
        out.push_str(&serde_json::json!({ "id": format!("n{n}"), "text": text }).to_string());
        out.push('\n');
    }
    out
}

fn batch_throughput(binary: &Path, dir: &Path, notes: &[String]) {
    let server = start(binary, &dir.join("b.sqlite3"), &[], false);
    let address = server.1.trim_start_matches("http://").to_string();
    let _ = post_streaming(&address, ndjson(notes, 200));
    let started = Instant::now();
    let lines = post_streaming(&address, ndjson(notes, notes.len()));
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(lines, notes.len(), "one report per note");
    println!(
        "POST /v1/batches, 2 cores: {lines} notes in {seconds:.2} s = {:.0} notes/s",
        lines as f64 / seconds
    );
}

/// Posts NDJSON to `/v1/batches` from a writer thread while reading the streamed answer (a
/// client that sent everything before reading would stall a streaming server); returns the
/// number of reports.
fn post_streaming(address: &str, body: String) -> usize {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST /v1/batches HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-ndjson\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let sending = std::thread::spawn(move || {
        writer.write_all(head.as_bytes()).unwrap();
        writer.write_all(body.as_bytes()).unwrap();
    });
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    sending.join().unwrap();
    let needle = b"\"note_id\"";
    answer.windows(needle.len()).filter(|w| w == needle).count()
}

fn queue_paging(binary: &Path, dir: &Path, notes: &[String]) {
    let queue = dir.join("queue.jsonl");
    std::fs::write(&queue, ndjson(notes, 5000)).unwrap();
    let started = Instant::now();
    let server = start(
        binary,
        &dir.join("c.sqlite3"),
        &["--queue", queue.to_str().unwrap()],
        false,
    );
    println!(
        "5,000-note queue imported (coded and stored) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let agent = ureq::Agent::new_with_defaults();
    for page in [
        "/",
        "/?page=50",
        "/?page=100",
        "/?review=yes",
        "/?system=CPT&page=3",
        "/?below=0.7",
        "/?state=unreviewed&page=20",
        "/?q=n49",
    ] {
        let mut times: Vec<Duration> = (0..20)
            .map(|_| {
                let started = Instant::now();
                let response = agent.get(format!("{}{page}", server.1)).call().unwrap();
                let _ = response.into_body().read_to_vec().unwrap();
                started.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "GET {page:<28} median {:.2} ms, max {:.2} ms",
            percentile(&times, 0.5),
            times.last().unwrap().as_secs_f64() * 1000.0
        );
    }
}
