//! Nothing acknowledged is lost: the server is killed (SIGKILL) while reviewers' decisions are
//! being written, and every decision it answered before dying is in the database afterwards.

#![cfg(feature = "serve")]

mod serve;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use medcode::serve::store::Store;
use serve::{Server, agent, csrf_of, queue_file, temp_dir};

#[test]
fn decisions_answered_before_a_kill_survive_it() {
    let dir = temp_dir("serve-crash");
    let queue = queue_file(&dir);
    let mut server = Server::start(&dir.join("s"), &["--queue", queue.to_str().unwrap()]);
    let page = agent().get(server.at("/")).call().unwrap();
    let csrf = csrf_of(&page.into_body().read_to_string().unwrap());
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (url, csrf) = (server.at("/notes/1/decisions"), csrf.clone());
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            std::thread::spawn(move || {
                let agent = agent();
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let reason = format!("writer {w} decision {n}");
                    let sent = agent.post(&url).send_form([
                        ("csrf", csrf.as_str()),
                        ("action", "reject"),
                        ("system", "ICD-10-CM"),
                        ("code", "I10"),
                        ("reason", "other"),
                        ("reason_text", reason.as_str()),
                    ]);
                    match sent {
                        Ok(response) if response.status().as_u16() == 303 => {
                            acknowledged.lock().unwrap().push(reason)
                        }
                        _ => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 200 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.child.kill().unwrap(); // SIGKILL mid-stream: no shutdown, no checkpoint
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }

    let store = Store::open(&dir.join("s").join("review.sqlite3")).expect("the database opens");
    let note = store.note(1).unwrap().expect("the note is still queued");
    let kept: std::collections::HashSet<String> = note
        .decisions
        .iter()
        .filter_map(|d| d.reason.clone())
        .collect();
    let acknowledged = acknowledged.lock().unwrap();
    assert!(acknowledged.len() >= 200);
    for reason in acknowledged.iter() {
        assert!(kept.contains(&format!("other: {reason}")), "lost: {reason}");
    }
    drop(store);
    // And the server starts again on it.
    server = Server::start(&dir.join("s"), &[]);
    let page = agent().get(server.at("/notes/1")).call().unwrap();
    assert!(
        page.into_body()
            .read_to_string()
            .unwrap()
            .contains("writer 0 decision 0")
    );
}
