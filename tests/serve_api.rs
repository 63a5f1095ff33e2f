//! The HTTP API and the review forms against a real `medcode serve` on an ephemeral port.

#![cfg(feature = "serve")]

mod serve;

use serde_json::{Value, json};
use serve::{Server, agent, csrf_of, queue_file, temp_dir};

fn body(response: ureq::http::Response<ureq::Body>) -> String {
    response.into_body().read_to_string().unwrap()
}

fn post_json(server: &Server, path: &str, value: &Value) -> (u16, String, String) {
    let response = agent().post(server.at(path)).send_json(value).unwrap();
    let status = response.status().as_u16();
    let kind = (response.headers().get("content-type"))
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, body(response))
}

fn get(server: &Server, path: &str) -> (u16, String) {
    let response = agent().get(server.at(path)).call().unwrap();
    (response.status().as_u16(), body(response))
}

#[test]
fn suggest_answers_what_the_command_line_does() {
    let dir = temp_dir("serve-suggest");
    let server = Server::start(&dir.join("server"), &[]);
    let text = "ASSESSMENT:\n1. Type 2 diabetes mellitus.\n2. Essential hypertension.\nDenies chest pain.\n";
    let note = dir.join("visit-1.txt");
    std::fs::write(&note, text).unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(["suggest", "--format", "json"])
        .arg(&note)
        .output()
        .unwrap();
    assert!(cli.status.success());
    let expected: Value = serde_json::from_slice(&cli.stdout).unwrap();
    let (status, kind, answer) = post_json(
        &server,
        "/v1/suggest",
        &json!({"text": text, "id": note.display().to_string()}),
    );
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/json"),
        "{answer}"
    );
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer, expected);
    let schema: Value = serde_json::from_str(include_str!("../schema/report.schema.json")).unwrap();
    assert!(jsonschema::is_valid(&schema, &answer));
}

#[test]
fn bad_requests_are_problem_details_in_the_command_lines_words() {
    let server = Server::start(&temp_dir("serve-bad"), &["--max-note-size", "1000"]);
    let cases = [
        (
            json!({"text": "x", "setting": "clinic"}),
            400,
            "expected \"inpatient\" or \"outpatient\"",
        ),
        (
            json!({"text": "x", "date_of_service": "2026-02-30"}),
            400,
            "not a date of service",
        ),
        (
            json!({"text": "x", "systems": "icd9"}),
            400,
            "unknown code system `icd9`",
        ),
        (
            json!({"text": "x", "min_confidence": 2.0}),
            400,
            "outside 0 to 1",
        ),
        (json!({"text": "x", "mrn": "1"}), 422, "unknown field `mrn`"),
        (json!({"id": "no text"}), 422, "missing field `text`"),
        (
            json!({"text": "x".repeat(1001)}),
            413,
            "over the limit of 1000 bytes",
        ),
    ];
    for (request, status, words) in cases {
        let (got, kind, answer) = post_json(&server, "/v1/suggest", &request);
        assert_eq!(got, status, "{request}: {answer}");
        assert_eq!(kind, "application/problem+json", "{request}");
        let problem: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(problem["status"], status);
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(words), "{request}: {detail}");
    }
    let response = agent()
        .post(server.at("/v1/suggest"))
        .header("content-type", "application/json")
        .send("{not json")
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

#[test]
fn batches_stream_ndjson_in_input_order_with_meta() {
    let server = Server::start(&temp_dir("serve-batches"), &[]);
    let mut input = String::new();
    for n in 0..300 {
        let text = if n % 2 == 0 {
            "ASSESSMENT: Hypertension."
        } else {
            "IMPRESSION: Asthma."
        };
        input.push_str(&json!({"id": n, "text": text, "mrn": format!("m{n}")}).to_string());
        input.push('\n');
        if n == 150 {
            input.push_str("{not json\n");
        }
    }
    let response = agent()
        .post(server.at("/v1/batches?setting=inpatient"))
        .header("content-type", "application/x-ndjson")
        .send(input.as_str())
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = body(response);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 301);
    let mut n = 0;
    for line in &lines {
        if let Some(error) = line.get("error") {
            assert_eq!(line["record"], 152);
            assert!(error["detail"].as_str().unwrap().contains("not valid JSON"));
            continue;
        }
        assert_eq!(line["note_id"], n.to_string());
        assert_eq!(line["meta"]["mrn"], format!("m{n}"));
        assert_eq!(line["setting"], "inpatient");
        let code = if n % 2 == 0 { "I10" } else { "J45.909" };
        assert!(
            line["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["code"] == code),
            "{n}: {line}"
        );
        n += 1;
    }
}

#[test]
fn explain_codes_search_and_health() {
    let server = Server::start(&temp_dir("serve-lookups"), &[]);
    let (status, _, answer) = post_json(
        &server,
        "/v1/explain",
        &json!({"text": "ASSESSMENT: Hypertension.", "code": "i10"}),
    );
    assert_eq!(status, 200, "{answer}");
    let explanations: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(explanations[0]["code"], "I10");
    assert_eq!(explanations[0]["status"], "suggested");

    let (status, answer) = get(&server, "/v1/codes/e119");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap()["entry"]["code"],
        "E11.9"
    );
    let (status, answer) = get(&server, "/v1/codes/E11.99999");
    assert_eq!(status, 404);
    let problem: Value = serde_json::from_str(&answer).unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("unknown code"),
        "{problem}"
    );

    let (status, answer) = get(&server, "/v1/search?q=hypertension&limit=5");
    assert_eq!(status, 200);
    let hits: Value = serde_json::from_str(&answer).unwrap();
    assert!(hits.as_array().unwrap().len() <= 5);
    assert!(
        hits.as_array().unwrap().iter().any(|h| h["code"] == "I10"),
        "{hits}"
    );
    let (status, _) = get(&server, "/v1/search");
    assert_eq!(status, 400);

    let (status, answer) = get(&server, "/healthz");
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["medcode_version"], env!("CARGO_PKG_VERSION"));
    // A server logs each request at info by default, in plain text when not on a terminal.
    let log = server.log();
    assert!(log.contains("path=\"/healthz\" status=200"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes in a log file: {log}"
    );
}

#[test]
fn openapi_document_is_served_and_checked_in() {
    let generated = medcode::serve::openapi::document();
    assert_eq!(
        generated,
        include_str!("../schema/openapi.json"),
        "schema/openapi.json is stale: run `cargo run -- serve --openapi > schema/openapi.json`"
    );
    let server = Server::start(&temp_dir("serve-openapi"), &[]);
    let (status, served) = get(&server, "/v1/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(served, generated);
    let document: Value = serde_json::from_str(&served).unwrap();
    for path in [
        "/v1/suggest",
        "/v1/batches",
        "/v1/explain",
        "/v1/codes/{code}",
        "/v1/search",
        "/healthz",
    ] {
        assert!(document["paths"].get(path).is_some(), "{path}");
    }
}

#[test]
fn off_loopback_needs_a_token_and_every_request_carries_it() {
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(["serve", "--addr", "0.0.0.0:0", "--db"])
        .arg(temp_dir("serve-token-refused").join("db"))
        .env_remove("MEDCODE_TOKEN")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("not a loopback address"), "{message}");

    let server = Server::start_with_env(
        &temp_dir("serve-token"),
        &[],
        &[("MEDCODE_TOKEN", "s3cret")],
    );
    let (status, _) = get(&server, "/healthz");
    assert_eq!(status, 401);
    let ok = agent()
        .get(server.at("/healthz"))
        .header("authorization", "Bearer s3cret")
        .call()
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let wrong = agent()
        .get(server.at("/healthz"))
        .header("authorization", "Bearer s3cre7")
        .call()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let login = agent().get(server.at("/?token=s3cret")).call().unwrap();
    assert_eq!(login.status().as_u16(), 303);
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = agent()
        .get(server.at("/"))
        .header("cookie", "medcode_token=s3cret")
        .call()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
}

#[test]
fn every_response_carries_the_security_headers() {
    let server = Server::start(&temp_dir("serve-headers"), &[]);
    for path in [
        "/",
        "/healthz",
        "/v1/codes/nope",
        "/assets/app.js",
        "/notes/999",
    ] {
        let response = agent().get(server.at(path)).call().unwrap();
        let csp = response
            .headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(
            response.headers().get("x-content-type-options").unwrap(),
            "nosniff"
        );
        assert_eq!(response.headers().get("x-frame-options").unwrap(), "DENY");
    }
}

#[test]
fn review_forms_keep_decisions_across_restarts_and_export_them() {
    let dir = temp_dir("serve-review");
    let queue = queue_file(&dir);
    let mut server = Server::start(&dir.join("s"), &["--queue", queue.to_str().unwrap()]);
    let (status, page) = get(&server, "/");
    assert_eq!(status, 200);
    assert!(page.contains("3 notes: 0 done"), "{page}");
    let csrf = csrf_of(&page);
    let form = |fields: &[(&str, &str)]| {
        agent()
            .post(server.at("/notes/1/decisions"))
            .header("cookie", "medcode_reviewer=ana")
            .send_form(fields.iter().copied())
            .unwrap()
    };
    let refused = form(&[
        ("action", "accept"),
        ("system", "ICD-10-CM"),
        ("code", "I10"),
    ]);
    assert_eq!(
        refused.status().as_u16(),
        403,
        "a form without its CSRF token"
    );
    for fields in [
        vec![
            ("action", "accept"),
            ("system", "ICD-10-CM"),
            ("code", "E11.9"),
        ],
        vec![
            ("action", "reject"),
            ("system", "ICD-10-CM"),
            ("code", "I10"),
            ("reason", "history only"),
            ("reason_text", "old"),
        ],
        vec![
            ("action", "add"),
            ("code", "r07.9"),
            ("start", "0"),
            ("end", "10"),
        ],
    ] {
        let mut fields = fields;
        fields.push(("csrf", &csrf));
        let response = form(&fields);
        assert_eq!(
            response.status().as_u16(),
            303,
            "{fields:?}: {}",
            body(response)
        );
    }
    let bad = form(&[("csrf", &csrf), ("action", "add"), ("code", "R07.9")]);
    assert_eq!(
        bad.status().as_u16(),
        400,
        "an added code needs its evidence"
    );
    assert!(body(bad).contains("select the evidence"));

    // Restart on the same database: the decisions are still there.
    drop(server);
    server = Server::start(&dir.join("s"), &[]);
    let (_, note) = get(&server, "/notes/1");
    assert!(note.contains("accepted by ana"), "{note}");
    assert!(note.contains("rejected: history only: old by ana"));
    let csv = get(&server, "/export/accepted.csv").1;
    assert!(csv.contains("syn-1,ICD-10-CM,E11.9"), "{csv}");
    assert!(csv.contains("R07.9"));
    assert!(
        !csv.contains(",I10,"),
        "a rejected code is not exported: {csv}"
    );
    let jsonl = get(&server, "/export/accepted.jsonl").1;
    let record: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(record["note"], "syn-1");
    assert_eq!(record["icd10cm"][0]["code"], "E11.9");
    // The reviewers' codes as a gold set: medcode eval gold scores medcode against them.
    let gold = dir.join("gold");
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(["serve", "--db"])
        .arg(dir.join("s/review.sqlite3"))
        .arg("--export-gold")
        .arg(&gold)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let eval = std::process::Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(["eval", "gold", "--format", "json"])
        .arg(&gold)
        .output()
        .unwrap();
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let scores: Value = serde_json::from_slice(&eval.stdout).unwrap();
    let icd = &scores["all"]["systems"]["ICD-10-CM"]["code"];
    assert_eq!(scores["all"]["notes"], 1, "{scores}");
    assert_eq!(
        (icd["gold"].as_u64(), icd["found"].as_u64()),
        (Some(2), Some(1)),
        "{icd}"
    );

    let bundle: Value = serde_json::from_str(&get(&server, "/notes/1/fhir.json").1).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    let entry = &bundle["entry"][0]["resource"];
    assert_eq!(entry["resourceType"], "Condition");
    assert_eq!(
        entry["code"]["coding"][0]["system"],
        "http://hl7.org/fhir/sid/icd-10-cm"
    );
}

#[test]
fn note_text_is_escaped_and_never_logged_at_info() {
    let dir = temp_dir("serve-escape");
    let queue = queue_file(&dir);
    let server = Server::start_with_env(
        &dir.join("s"),
        &["--queue", queue.to_str().unwrap()],
        &[("RUST_LOG", "medcode=info")],
    );
    let (_, page) = get(&server, "/notes/3");
    assert!(!page.contains("<script>alert"), "raw script in the page");
    assert!(!page.contains("<img"), "raw markup in the page");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    let marker = "zebra-quokka-marker";
    let (status, _, _) = post_json(
        &server,
        "/v1/suggest",
        &json!({"text": format!("ASSESSMENT: {marker} hypertension.")}),
    );
    assert_eq!(status, 200);
    let log = server.log();
    assert!(log.contains("request"), "info logging is on: {log}");
    assert!(!log.contains(marker), "note text in the log: {log}");
    assert!(!log.contains("Community acquired"), "note text in the log");
}

#[test]
fn batches_answer_each_chunk_before_the_input_ends() {
    use std::io::{BufRead, BufReader, Write};
    let server = Server::start(&temp_dir("serve-stream"), &[]);
    let address = server.url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /v1/batches HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-ndjson\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    )
    .unwrap();
    let chunk = |stream: &mut std::net::TcpStream, text: &str| {
        write!(stream, "{:x}\r\n{text}\r\n", text.len()).unwrap();
        stream.flush().unwrap();
    };
    chunk(
        &mut stream,
        "{\"id\": \"first\", \"text\": \"ASSESSMENT: Hypertension.\"}\n",
    );
    // The input is still open; its first report must already come back.
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    while !line.contains("\"note_id\"") {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the server closed early"
        );
    }
    assert!(line.contains("\"first\""), "{line}");
    chunk(
        &mut stream,
        "{\"id\": \"second\", \"text\": \"IMPRESSION: Asthma.\"}\n",
    );
    chunk(&mut stream, "");
    let mut rest = String::new();
    while !rest.contains("\"second\"") {
        let mut more = String::new();
        assert!(reader.read_line(&mut more).unwrap() > 0, "no second report");
        rest.push_str(&more);
    }
}
