//! The review workbench in a real headless browser (Debian's chromium through chromedriver,
//! driven with fantoccini): open the queue, accept a code, reject one with a reason, add a
//! missed code with its evidence selected in the text, use the keyboard, reload and find the
//! decisions kept, export them; a note with markup in it shows as text.
//!
//! Screenshots of each screen go to `target/screenshots/`. Skipped (and says so) when
//! `chromedriver` or `chromium` is not installed; `.ci/run` installs both.

#![cfg(feature = "serve")]

mod serve;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serve::{Server, agent, queue_file, temp_dir};

/// chromedriver on a free port, killed when dropped.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn installed(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

fn start_driver() -> Option<Driver> {
    let driver = installed("chromedriver")?;
    installed("chromium")?;
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Driver(child, port));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        serde_json::json!({
            "binary": installed("chromium").unwrap(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", format!("--user-data-dir={}", profile.display())
            ]
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("chromedriver session")
}

async fn shot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn text_of(client: &Client, locator: Locator<'_>) -> String {
    client.find(locator).await.unwrap().text().await.unwrap()
}

async fn wait_for(client: &Client, css: &str) {
    client.wait().for_element(Locator::Css(css)).await.unwrap();
}

async fn card_class(client: &Client, code: &str) -> String {
    let card = client
        .find(Locator::Css(&format!("article.card[data-code='{code}']")))
        .await
        .unwrap();
    card.attr("class").await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_works_through_the_queue_in_a_browser() {
    let Some(driver) = start_driver() else {
        eprintln!(
            "skipped a_reviewer_works_through_the_queue_in_a_browser: chromium and chromedriver are not installed (.ci/run installs them)"
        );
        return;
    };
    let dir = temp_dir("serve-browser");
    let queue = queue_file(&dir);
    let server = Server::start(&dir.join("s"), &["--queue", queue.to_str().unwrap()]);
    let client = browser(&driver, &dir.join("profile")).await;

    // The queue.
    client.goto(&server.at("/")).await.unwrap();
    let progress = text_of(&client, Locator::Id("progress")).await;
    assert!(progress.starts_with("3 notes: 0 done"), "{progress}");
    shot(&client, "queue").await;
    client
        .find(Locator::LinkText("syn-1"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("text"))
        .await
        .unwrap();
    shot(&client, "note").await;

    // Accept one code, reject another with a reason.
    click(
        &client,
        "article.card[data-code='E11.9'] form.accept button",
    )
    .await;
    wait_for(&client, "article.card.accept[data-code='E11.9']").await;
    let reject = "article.card[data-code='I10'] form.reject";
    client
        .find(Locator::XPath(
            "//article[@data-code='I10']//select[@name='reason']/option[text()='history only']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css(&format!("{reject} input[name=reason_text]")))
        .await
        .unwrap()
        .send_keys("resolved last year")
        .await
        .unwrap();
    click(&client, &format!("{reject} button")).await;
    wait_for(&client, "article.card.reject[data-code='I10']").await;

    // Add a missed code: select its evidence in the text, then type the code.
    client
        .execute(
            "const pre = document.getElementById('text'); \
             const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT); \
             let node; while ((node = walker.nextNode())) { \
               const at = node.data.indexOf('chest pain'); \
               if (at >= 0) { const r = document.createRange(); r.setStart(node, at); \
                 r.setEnd(node, at + 10); const s = getSelection(); s.removeAllRanges(); \
                 s.addRange(r); return true; } } return false;",
            vec![],
        )
        .await
        .unwrap();
    let mut start = String::new();
    for _ in 0..50 {
        let field = client.find(Locator::Id("add-start")).await.unwrap();
        start = field.prop("value").await.unwrap().unwrap_or_default();
        if !start.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = std::fs::read_to_string(&queue).unwrap();
    let note: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let expected = note["text"].as_str().unwrap().find("chest pain").unwrap();
    assert_eq!(start, expected.to_string(), "byte offset of the selection");
    let code = client.find(Locator::Id("add-code")).await.unwrap();
    code.send_keys("R07.9").await.unwrap();
    click(&client, "#add-form button").await;
    wait_for(&client, "ul.added").await;

    // Reload: the decisions are kept.
    client.refresh().await.unwrap();
    assert!(card_class(&client, "E11.9").await.contains("accept"));
    assert!(card_class(&client, "I10").await.contains("reject"));
    let added = text_of(&client, Locator::Css("ul.added")).await;
    assert!(added.contains("R07.9"), "{added}");
    let marked = client.find(Locator::Css("#text mark.added")).await.unwrap();
    assert_eq!(marked.text().await.unwrap(), "chest pain");
    let page = client.source().await.unwrap();
    assert!(page.contains("rejected: history only: resolved last year"));
    shot(&client, "decided").await;

    // The keyboard: `]` to the next note, `a` accepts its selected (first) suggestion.
    client
        .find(Locator::Css("article.card"))
        .await
        .unwrap()
        .send_keys("]")
        .await
        .unwrap();
    for _ in 0..100 {
        if client.current_url().await.unwrap().path() == "/notes/2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(client.current_url().await.unwrap().path(), "/notes/2");
    let first = client.find(Locator::Css("article.card")).await.unwrap();
    let first_code = first.attr("data-code").await.unwrap().unwrap();
    first.send_keys("a").await.unwrap();
    wait_for(
        &client,
        &format!("article.card.accept[data-code='{first_code}']"),
    )
    .await;

    // Markup in a note is text.
    client.goto(&server.at("/notes/3")).await.unwrap();
    let injected: serde_json::Value = client
        .execute(
            "return document.querySelectorAll('#text script, #text img, main img').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, 0);
    let shown = text_of(&client, Locator::Id("text")).await;
    assert!(shown.contains("<script>alert('x')</script>"), "{shown}");
    assert!(shown.contains("\"><img src=x onerror=alert(1)>"), "{shown}");
    assert!(client.get_alert_text().await.is_err(), "no script ran");
    shot(&client, "escaped").await;
    client.close().await.unwrap();

    // The export has the accepted and added codes and not the rejected one.
    let csv = agent()
        .get(server.at("/export/accepted.csv"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(csv.contains("syn-1,ICD-10-CM,E11.9"), "{csv}");
    assert!(csv.contains("syn-1,ICD-10-CM,R07.9"), "{csv}");
    assert!(
        csv.contains(&format!("syn-2,ICD-10-CM,{first_code}"))
            || csv.contains(&format!("syn-2,CPT,{first_code}")),
        "{csv}"
    );
    assert!(!csv.contains(",I10,"), "{csv}");
}
