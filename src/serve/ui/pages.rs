//! The review screens as HTML strings. Every piece of note text, id, code, reason and query
//! goes through [`escape`]; there is no inline script or style (the Content-Security-Policy
//! forbids it): behaviour is in `/assets/app.js`, keyed on `data-` attributes.

use std::fmt::Write;

use super::super::store::{
    Action, Decision, QueueFilter, QueuePage, ReviewState, StoredNote, current,
};
use crate::code::CodeSystem;
use crate::explain::Explanation;
use crate::report::html::escape;
use crate::report::{Status, Suggestion};

/// Reasons offered when a code is rejected (the reviewer may add words).
pub const REJECT_REASONS: [&str; 7] = [
    "not documented as a current condition",
    "negated or ruled out",
    "history only",
    "integral to a confirmed diagnosis",
    "uncertain (outpatient)",
    "wrong specificity: another code fits",
    "other",
];

/// Notes per queue page.
pub const PAGE_SIZE: u64 = 50;

/// The page frame: head, header bar and `body`.
pub fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} · medcode</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script></head><body>\
         <header><a href=\"/\" class=\"brand\">medcode</a> <span>review workbench</span>\
         <span class=\"keys\">press <kbd>?</kbd> for keys</span></header>\
         <main>{body}</main>{}</body></html>\n",
        escape(title),
        KEY_HELP
    )
}

const KEY_HELP: &str = "<dialog id=\"keys\"><h2>Keys</h2><table>\
<tr><td><kbd>j</kbd> <kbd>k</kbd></td><td>next / previous suggestion</td></tr>\
<tr><td><kbd>a</kbd></td><td>accept the selected suggestion</td></tr>\
<tr><td><kbd>r</kbd></td><td>reject it (type a reason, Enter)</td></tr>\
<tr><td><kbd>c</kbd></td><td>change its code (search, Enter)</td></tr>\
<tr><td><kbd>n</kbd></td><td>add a missed code for the selected text</td></tr>\
<tr><td><kbd>e</kbd></td><td>explain the selected suggestion</td></tr>\
<tr><td><kbd>]</kbd> <kbd>[</kbd></td><td>next / previous note</td></tr>\
<tr><td><kbd>?</kbd></td><td>this help</td></tr></table>\
<form method=\"dialog\"><button>Close</button></form></dialog>";

/// The hidden CSRF field of every form.
fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(csrf)
    )
}

/// The queue: progress, filters, one page of notes, imports and exports.
pub fn queue(
    page: &QueuePage,
    filter: &QueueFilter,
    number: u64,
    csrf: &str,
    reviewer: &str,
) -> String {
    let mut out = String::new();
    progress(&mut out, page);
    filters(&mut out, filter);
    rows(&mut out, page);
    pager(&mut out, page, filter, number);
    imports(&mut out, csrf, reviewer);
    layout("Queue", &out)
}

fn progress(out: &mut String, page: &QueuePage) {
    let p = &page.progress;
    let percent = (p.done * 100).checked_div(p.notes).unwrap_or(0);
    let _ = write!(
        out,
        "<section class=\"progress\"><h1>Queue</h1><p id=\"progress\">{} notes: {} done, {} in \
         progress, {} not started ({percent}% done)</p><progress max=\"{}\" value=\"{}\"></progress>\
         </section>",
        p.notes,
        p.done,
        p.in_progress,
        p.unreviewed,
        p.notes.max(1),
        p.done
    );
}

fn filters(out: &mut String, filter: &QueueFilter) {
    let selected = |on: bool| if on { " selected" } else { "" };
    let _ = write!(
        out,
        "<form class=\"filters\" method=\"get\" action=\"/\">\
         <label>Note id <input name=\"q\" value=\"{}\"></label>\
         <label>Review <select name=\"review\"><option value=\"\">any</option>\
         <option value=\"yes\"{}>needs review</option><option value=\"no\"{}>no review flag</option>\
         </select></label><label>System <select name=\"system\"><option value=\"\">any</option>",
        escape(filter.note_id.as_deref().unwrap_or("")),
        selected(filter.needs_review == Some(true)),
        selected(filter.needs_review == Some(false)),
    );
    for system in CodeSystem::ALL {
        let _ = write!(
            out,
            "<option value=\"{0}\"{1}>{0}</option>",
            system.name(),
            selected(filter.system == Some(system))
        );
    }
    let _ = write!(
        out,
        "</select></label><label>Confidence below <input name=\"below\" type=\"number\" \
         min=\"0\" max=\"1\" step=\"0.05\" value=\"{}\"></label>\
         <label>Status <select name=\"state\"><option value=\"\">any</option>",
        filter
            .below_confidence
            .map(|c| c.to_string())
            .unwrap_or_default()
    );
    for state in ReviewState::ALL.iter().copied() {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            state.name(),
            selected(filter.state == Some(state)),
            state.name().replace('_', " ")
        );
    }
    out.push_str("</select></label><button>Filter</button> <a href=\"/\">clear</a></form>");
}

fn rows(out: &mut String, page: &QueuePage) {
    let _ = write!(
        out,
        "<table class=\"queue\"><thead><tr><th>Note</th><th>Setting</th><th>Codes</th>\
         <th>Needs review</th><th>Decided</th><th>Lowest confidence</th><th>Systems</th>\
         <th>Status</th></tr></thead><tbody>"
    );
    for row in &page.rows {
        let systems: Vec<&str> = row.systems.iter().map(|s| s.name()).collect();
        let _ = write!(
            out,
            "<tr class=\"{state}\"><td><a href=\"/notes/{}\">{}</a></td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            row.key,
            escape(&row.note_id),
            row.setting,
            row.suggestions,
            row.needs_review,
            row.decided,
            row.suggestions,
            row.lowest_confidence
                .map(|c| format!("{c:.2}"))
                .unwrap_or_default(),
            systems.join(", "),
            row.state.name().replace('_', " "),
            state = row.state.name(),
        );
    }
    if page.rows.is_empty() {
        out.push_str("<tr><td colspan=\"8\">No notes match. Import some below.</td></tr>");
    }
    out.push_str("</tbody></table>");
}

/// The query string of a filter, for page links.
pub fn filter_query(filter: &QueueFilter) -> String {
    let mut parts = Vec::new();
    let mut push = |name: &str, value: &str| {
        let encoded: String = form_urlencoded_value(value);
        parts.push(format!("{name}={encoded}"));
    };
    if let Some(q) = &filter.note_id {
        push("q", q);
    }
    if let Some(review) = filter.needs_review {
        push("review", if review { "yes" } else { "no" });
    }
    if let Some(system) = filter.system {
        push("system", system.name());
    }
    if let Some(below) = filter.below_confidence {
        push("below", &below.to_string());
    }
    if let Some(state) = filter.state {
        push("state", state.name());
    }
    parts.join("&")
}

/// Percent-encodes a query value (everything but unreserved characters).
fn form_urlencoded_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn pager(out: &mut String, page: &QueuePage, filter: &QueueFilter, number: u64) {
    let pages = page.total.div_ceil(PAGE_SIZE).max(1);
    let query = filter_query(filter);
    let link = |n: u64| {
        format!(
            "/?{query}{}page={n}",
            if query.is_empty() { "" } else { "&" }
        )
    };
    let _ = write!(out, "<nav class=\"pager\">");
    if number > 1 {
        let _ = write!(
            out,
            "<a rel=\"prev\" href=\"{}\">← previous</a> ",
            escape(&link(number - 1))
        );
    }
    let _ = write!(out, "page {number} of {pages} ({} notes)", page.total);
    if number < pages {
        let _ = write!(
            out,
            " <a rel=\"next\" href=\"{}\">next →</a>",
            escape(&link(number + 1))
        );
    }
    out.push_str("</nav>");
}

fn imports(out: &mut String, csrf: &str, reviewer: &str) {
    let csrf = csrf_field(csrf);
    let _ = write!(
        out,
        "<section class=\"imports\"><h2>Add notes</h2>\
         <form method=\"post\" action=\"/import/note\">{csrf}<label>Note id \
         <input name=\"id\" placeholder=\"note-1\"></label> <label>Setting \
         <select name=\"setting\"><option>outpatient</option><option>inpatient</option></select>\
         </label><textarea name=\"text\" rows=\"6\" placeholder=\"Paste a note\" required></textarea>\
         <button>Code and add</button></form>\
         <form method=\"post\" action=\"/import/file\" enctype=\"multipart/form-data\">{csrf}\
         <label>JSONL or text file <input type=\"file\" name=\"file\" required></label>\
         <button>Import file</button></form>\
         <form method=\"post\" action=\"/import/path\">{csrf}<label>File or directory on the \
         server <input name=\"path\" size=\"40\" required></label><button>Import</button></form>\
         </section><section class=\"exports\"><h2>Export accepted codes</h2>\
         <a href=\"/export/accepted.csv\" download>CSV</a> · \
         <a href=\"/export/accepted.jsonl\" download>JSONL (gold_dev shape)</a> · \
         <a href=\"/export/fhir.ndjson\" download>FHIR R4 Bundles (NDJSON)</a></section>\
         <section class=\"reviewer\"><form method=\"post\" action=\"/reviewer\">{csrf}\
         <label>Reviewer <input name=\"reviewer\" value=\"{}\" required></label>\
         <button>Save</button></form></section>",
        escape(reviewer)
    );
}

/// One note: the highlighted text beside its suggestions, decisions and checks.
pub fn note(
    note: &StoredNote,
    highlighted: &str,
    csrf: &str,
    reviewer: &str,
    error: Option<&str>,
) -> String {
    let mut out = String::new();
    note_header(&mut out, note);
    if let Some(error) = error {
        let _ = write!(
            out,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    let _ = write!(
        out,
        "<div class=\"workspace\"><pre id=\"text\" tabindex=\"-1\">{highlighted}</pre>\
         <div class=\"panel\">"
    );
    let decided = current(&note.decisions);
    for (status, heading) in [
        (Status::NeedsReview, "Needs review"),
        (Status::Suggested, "Suggested"),
    ] {
        let group: Vec<(usize, &Suggestion)> = (note.report.suggestions.iter().enumerate())
            .filter(|(_, s)| s.status == status)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = write!(out, "<h2>{heading} ({})</h2>", group.len());
        for (n, suggestion) in group {
            let decision = decided
                .iter()
                .find(|d| d.system == suggestion.system && d.code == suggestion.code);
            suggestion_card(&mut out, note, n, suggestion, decision.copied(), csrf);
        }
    }
    added(&mut out, &decided);
    add_form(&mut out, note, csrf);
    rejected(&mut out, note);
    checks(&mut out, note);
    audit(&mut out, &note.decisions);
    let _ = write!(
        out,
        "<p class=\"reviewer-line\">Reviewing as <strong>{}</strong> (<a href=\"/\">change</a>)</p>\
         </div></div>",
        escape(reviewer)
    );
    layout(&note.note_id, &out)
}

fn note_header(out: &mut String, note: &StoredNote) {
    let _ = write!(out, "<nav class=\"notenav\">");
    match note.previous {
        Some(key) => {
            let _ = write!(
                out,
                "<a id=\"prev-note\" href=\"/notes/{key}\">← previous</a>"
            );
        }
        None => out.push_str("<span></span>"),
    }
    let _ = write!(
        out,
        "<h1>{} <small>{}{}</small></h1>",
        escape(&note.note_id),
        note.setting,
        note.date_of_service
            .as_deref()
            .map(|d| format!(", {}", escape(d)))
            .unwrap_or_default()
    );
    match note.next {
        Some(key) => {
            let _ = write!(out, "<a id=\"next-note\" href=\"/notes/{key}\">next →</a>");
        }
        None => out.push_str("<a id=\"next-note\" href=\"/\">queue</a>"),
    }
    let _ = write!(
        out,
        "</nav><p class=\"links\"><a href=\"/\">queue</a> · <a href=\"/notes/{0}/fhir.json\">FHIR \
         bundle</a> · <a href=\"/notes/{0}/explain\">explain all</a></p>",
        note.key
    );
}

fn suggestion_card(
    out: &mut String,
    note: &StoredNote,
    n: usize,
    s: &Suggestion,
    decision: Option<&Decision>,
    csrf: &str,
) {
    let state = decision.map(|d| d.action.name()).unwrap_or("open");
    let _ = write!(
        out,
        "<article class=\"card {state}\" data-s=\"{n}\" data-code=\"{code}\" tabindex=\"0\" id=\"s{n}\">\
         <h3><span class=\"code\">{code}</span> <small>{system}</small> {title}</h3>\
         <p class=\"why\">{reason} <span class=\"conf\">confidence {conf:.2}</span> · rule {rule}</p>",
        code = escape(&s.code),
        system = s.system,
        title = escape(&s.title),
        reason = escape(&s.reason),
        conf = s.confidence,
        rule = escape(&s.rule),
    );
    out.push_str("<ul class=\"evidence\">");
    for evidence in &s.evidence {
        let _ = write!(
            out,
            "<li>“{}” <small>line {}, {}</small></li>",
            escape(&evidence.text),
            evidence.start.line,
            evidence.section
        );
    }
    for flag in &s.flags {
        let _ = write!(out, "<li class=\"flag\">{}</li>", escape(flag));
    }
    out.push_str("</ul>");
    if let Some(d) = decision {
        decision_badge(out, d);
    }
    decision_forms(out, note, s, csrf);
    out.push_str("</article>");
}

fn decision_badge(out: &mut String, d: &Decision) {
    let what = match d.action {
        Action::Accept => "accepted".to_string(),
        Action::Reject => format!("rejected: {}", d.reason.as_deref().unwrap_or("")),
        Action::Change => format!("changed to {}", d.new_code.as_deref().unwrap_or("")),
        Action::Add => "added".to_string(),
    };
    let _ = write!(
        out,
        "<p class=\"decision\">{} by {} at {}</p>",
        escape(&what),
        escape(&d.reviewer),
        escape(&d.decided_at)
    );
}

fn decision_forms(out: &mut String, note: &StoredNote, s: &Suggestion, csrf: &str) {
    let hidden = format!(
        "{}<input type=\"hidden\" name=\"system\" value=\"{}\"><input type=\"hidden\" \
         name=\"code\" value=\"{}\">",
        csrf_field(csrf),
        s.system.name(),
        escape(&s.code)
    );
    let action = format!("/notes/{}/decisions", note.key);
    let _ = write!(
        out,
        "<div class=\"actions\"><form method=\"post\" action=\"{action}\" class=\"accept\">{hidden}\
         <input type=\"hidden\" name=\"action\" value=\"accept\"><button>Accept</button></form>\
         <form method=\"post\" action=\"{action}\" class=\"reject\">{hidden}\
         <input type=\"hidden\" name=\"action\" value=\"reject\"><select name=\"reason\">"
    );
    for reason in REJECT_REASONS {
        let _ = write!(out, "<option>{reason}</option>");
    }
    let _ = write!(
        out,
        "</select><input name=\"reason_text\" placeholder=\"more (optional)\"><button>Reject</button>\
         </form><form method=\"post\" action=\"{action}\" class=\"change\">{hidden}\
         <input type=\"hidden\" name=\"action\" value=\"change\"><input name=\"new_code\" \
         class=\"code-search\" list=\"code-list\" placeholder=\"new code or words\" autocomplete=\"off\" \
         required><button>Change</button></form>\
         <a class=\"explain\" href=\"/notes/{}/explain?code={}\">explain</a></div>",
        note.key,
        escape(&form_urlencoded_value(&s.code))
    );
}

fn added(out: &mut String, decided: &[&Decision]) {
    let adds: Vec<&&Decision> = decided.iter().filter(|d| d.action == Action::Add).collect();
    if adds.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h2>Added by reviewers ({})</h2><ul class=\"added\">",
        adds.len()
    );
    for d in adds {
        let _ = write!(
            out,
            "<li><span class=\"code\">{}</span> <small>{}</small> by {}</li>",
            escape(&d.code),
            d.system,
            escape(&d.reviewer)
        );
    }
    out.push_str("</ul>");
}

fn add_form(out: &mut String, note: &StoredNote, csrf: &str) {
    let _ = write!(
        out,
        "<h2>Add a missed code</h2><form method=\"post\" action=\"/notes/{}/decisions\" \
         id=\"add-form\" class=\"add\">{}<input type=\"hidden\" name=\"action\" value=\"add\">\
         <input type=\"hidden\" name=\"start\" id=\"add-start\"><input type=\"hidden\" \
         name=\"end\" id=\"add-end\"><p id=\"add-selection\" class=\"hint\">Select the evidence \
         in the note text, then enter the code.</p><input name=\"code\" id=\"add-code\" \
         class=\"code-search\" list=\"code-list\" placeholder=\"code or words\" autocomplete=\"off\" \
         required><button>Add</button></form><datalist id=\"code-list\"></datalist>",
        note.key,
        csrf_field(csrf)
    );
}

fn rejected(out: &mut String, note: &StoredNote) {
    if note.report.rejected.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details class=\"rejected\"><summary>Rejected candidates ({})</summary><ul>",
        note.report.rejected.len()
    );
    for (n, r) in note.report.rejected.iter().enumerate() {
        let _ = write!(
            out,
            "<li data-r=\"{n}\"><span class=\"code\">{}</span> “{}”: {} \
             <a href=\"/notes/{}/explain?code={}\">explain</a></li>",
            escape(&r.code),
            escape(&r.evidence.text),
            escape(&r.reason),
            note.key,
            escape(&form_urlencoded_value(&r.code))
        );
    }
    out.push_str("</ul></details>");
}

fn checks(out: &mut String, note: &StoredNote) {
    if note.report.checks.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h2>Dictionary checks</h2><pre class=\"checks\">{}</pre>",
        escape(&crate::dictionary::cli_support::format_checks(
            &note.report.checks
        ))
    );
}

fn audit(out: &mut String, decisions: &[Decision]) {
    if decisions.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details class=\"audit\"><summary>Decision history ({})</summary><ol>",
        decisions.len()
    );
    for d in decisions {
        let _ = write!(
            out,
            "<li>{} {} {}{}{} — {} at {} (medcode {}, rules {})</li>",
            d.action.name(),
            d.system,
            escape(&d.code),
            d.new_code
                .as_deref()
                .map(|c| format!(" → {}", escape(c)))
                .unwrap_or_default(),
            d.reason
                .as_deref()
                .map(|r| format!(" ({})", escape(r)))
                .unwrap_or_default(),
            escape(&d.reviewer),
            escape(&d.decided_at),
            escape(&d.medcode_version),
            escape(&d.rules_fingerprint)
        );
    }
    out.push_str("</ol></details>");
}

/// Explanations of one note's codes, each a numbered chain.
pub fn explanations(note: &StoredNote, explanations: &[Explanation]) -> String {
    let mut out = format!(
        "<nav class=\"notenav\"><a href=\"/notes/{}\">← back to {}</a></nav><h1>Why</h1>",
        note.key,
        escape(&note.note_id)
    );
    if explanations.is_empty() {
        out.push_str("<p>Nothing was suggested or rejected for this note.</p>");
    }
    for e in explanations {
        let _ = write!(
            out,
            "<section class=\"explanation\"><h2><span class=\"code\">{}</span> {} — {}</h2><ol>",
            escape(&e.code),
            escape(e.title.as_deref().unwrap_or("")),
            escape(&e.status)
        );
        for step in &e.steps {
            let _ = write!(out, "<li>{}</li>", escape(step));
        }
        out.push_str("</ol></section>");
    }
    layout("Explain", &out)
}

/// The outcome of an import.
pub fn imported(added: usize, skipped: &[String], errors: &[String]) -> String {
    let mut out =
        format!("<h1>Imported</h1><p id=\"imported\">{added} note(s) added to the queue.</p>");
    if !skipped.is_empty() {
        let _ = write!(
            out,
            "<p>{} already in the queue, left as they were: {}</p>",
            skipped.len(),
            escape(
                &skipped
                    .iter()
                    .take(20)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
    }
    if !errors.is_empty() {
        let _ = write!(
            out,
            "<p>{} could not be read:</p><ul class=\"errors\">",
            errors.len()
        );
        for error in errors.iter().take(50) {
            let _ = write!(out, "<li>{}</li>", escape(error));
        }
        out.push_str("</ul>");
    }
    out.push_str("<p><a href=\"/\">Back to the queue</a></p>");
    layout("Imported", &out)
}

/// An error page for the browser.
pub fn error(status: u16, detail: &str) -> String {
    layout(
        "Error",
        &format!(
            "<h1>{status}</h1><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\">Back to the \
             queue</a></p>",
            escape(detail)
        ),
    )
}
