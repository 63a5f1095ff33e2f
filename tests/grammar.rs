//! Table-driven tests of the note grammar: tokens, sentence boundaries, sections, and the
//! document invariants on arbitrary input (proptest).

mod common;

use medcode::document::{Document, SentenceKind, TokenKind};
use medcode::sections::{SectionCatalogue, SectionCategory};
use medcode::tokenize::Tokenizer;
use proptest::prelude::*;

/// (name, input, expected tokens)
type TokenCase<'a> = (&'a str, &'a str, &'a [(&'a str, TokenKind)]);
/// (name, input, expected sections as category and heading)
type SectionCase<'a> = (&'a str, &'a str, &'a [(SectionCategory, Option<&'a str>)]);

fn tokenizer() -> Tokenizer {
    Tokenizer::new(SectionCatalogue::builtin().unwrap())
}

fn tokens_of<'t>(doc: &Document<'t>) -> Vec<(&'t str, TokenKind)> {
    doc.tokens
        .iter()
        .map(|t| (doc.slice(t.span), t.kind))
        .collect()
}

#[test]
fn tokens_by_kind() {
    use TokenKind::*;
    let cases: &[TokenCase] = &[
        ("hyphenated word", "follow-up", &[("follow-up", Word)]),
        ("apostrophe", "patient's", &[("patient's", Word)]),
        ("age", "45-year-old", &[("45-year-old", Word)]),
        ("ordinal", "3rd", &[("3rd", Word)]),
        ("number", "12", &[("12", Number)]),
        ("thousands", "10,000", &[("10,000", Number)]),
        ("decimal", "2.5", &[("2.5", Decimal)]),
        ("leading decimal", ".5", &[(".5", Decimal)]),
        ("range", "3-4", &[("3-4", Range)]),
        ("ratio", "1/2", &[("1/2", Number)]),
        ("mg", "5 mg", &[("5 mg", Measurement)]),
        ("cm decimal", "2.5 cm", &[("2.5 cm", Measurement)]),
        ("temperature", "98.6 F", &[("98.6 F", Measurement)]),
        (
            "blood pressure",
            "120/80 mmHg",
            &[("120/80 mmHg", Measurement)],
        ),
        ("percent", "95%", &[("95%", Measurement)]),
        ("compound unit", "10 mg/kg", &[("10 mg/kg", Measurement)]),
        ("micrograms", "50 µg", &[("50 µg", Measurement)]),
        ("range with unit", "2-3 cm", &[("2-3 cm", Measurement)]),
        (
            "no unit for months",
            "5 months",
            &[("5", Number), ("months", Word)],
        ),
        ("us date", "03/14/2024", &[("03/14/2024", Date)]),
        ("iso date", "2024-03-14", &[("2024-03-14", Date)]),
        ("month/year", "03/2024", &[("03/2024", Date)]),
        ("time", "14:30", &[("14:30", Time)]),
        ("time am", "8:15 a.m.", &[("8:15 a.m.", Time)]),
        ("icd code", "E11.22", &[("E11.22", Code)]),
        ("icd 7th character", "S52.501A", &[("S52.501A", Code)]),
        ("cpt code", "99213", &[("99213", Code)]),
        ("hcpcs code", "J1885", &[("J1885", Code)]),
        ("title", "Dr.", &[("Dr.", Abbreviation)]),
        ("dotted", "b.i.d.", &[("b.i.d.", Abbreviation)]),
        ("dotted digits", "q.6h.", &[("q.6h.", Abbreviation)]),
        ("slash abbreviation", "s/p", &[("s/p", Abbreviation)]),
        (
            "and/or",
            "and/or",
            &[("and", Word), ("/", Punct), ("or", Word)],
        ),
        (
            "punctuation",
            "(x),",
            &[("(", Punct), ("x", Word), (")", Punct), (",", Punct)],
        ),
        ("ellipsis", "...", &[("...", Punct)]),
        ("accented", "café", &[("café", Word)]),
        ("symbol", "≥ 5", &[("≥", Punct), ("5", Number)]),
        ("emoji catch-all", "🙂", &[("🙂", Punct)]),
        ("control catch-all", "\u{1}", &[("\u{1}", Other)]),
    ];
    let tokenizer = tokenizer();
    for (name, input, expected) in cases {
        let doc = tokenizer.tokenize(input).unwrap();
        assert_eq!(tokens_of(&doc), *expected, "{name}: {input:?}");
    }
}

#[test]
fn sentence_boundaries() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "simple",
            "No fever. Has cough.",
            &["No fever.", "Has cough."],
        ),
        (
            "title",
            "Seen by Dr. Smith today.",
            &["Seen by Dr. Smith today."],
        ),
        (
            "vs.",
            "Viral vs. bacterial. Start fluids.",
            &["Viral vs. bacterial.", "Start fluids."],
        ),
        (
            "e.g.",
            "Avoid NSAIDs, e.g. ibuprofen.",
            &["Avoid NSAIDs, e.g. ibuprofen."],
        ),
        (
            "b.i.d. mid sentence",
            "Take 1 tab b.i.d. for pain.",
            &["Take 1 tab b.i.d. for pain."],
        ),
        (
            "b.i.d. at the end",
            "Take 1 tab b.i.d. Return in a week.",
            &["Take 1 tab b.i.d.", "Return in a week."],
        ),
        (
            "q.6h.",
            "Tylenol q.6h. as needed.",
            &["Tylenol q.6h. as needed."],
        ),
        (
            "decimal",
            "Creatinine 2.5 today.",
            &["Creatinine 2.5 today."],
        ),
        (
            "code",
            "Coded as E11.9 before.",
            &["Coded as E11.9 before."],
        ),
        (
            "initials",
            "Seen by John A. Smith.",
            &["Seen by John A. Smith."],
        ),
        (
            "E. coli",
            "Grew E. coli in urine.",
            &["Grew E. coli in urine."],
        ),
        (
            "vitamin D.",
            "Low vitamin D. Start supplement.",
            &["Low vitamin D.", "Start supplement."],
        ),
        (
            "hepatitis C.",
            "Hepatitis C. Refer to GI.",
            &["Hepatitis C.", "Refer to GI."],
        ),
        (
            "date",
            "Seen 03/14/2024. Stable.",
            &["Seen 03/14/2024.", "Stable."],
        ),
        ("question", "Fever? No.", &["Fever?", "No."]),
        (
            "closing paren",
            "(Stable.) Next visit.",
            &["(Stable.)", "Next visit."],
        ),
        (
            "wrapped line",
            "Denies chest pain and\nshortness of breath.",
            &["Denies chest pain and\nshortness of breath."],
        ),
        (
            "new line capital",
            "Stable\nReturn in 2 weeks",
            &["Stable", "Return in 2 weeks"],
        ),
        (
            "blank line",
            "Stable\n\nreturn in 2 weeks",
            &["Stable", "return in 2 weeks"],
        ),
        (
            "list items",
            "1. Diabetes.\n2) Hypertension\n- GERD\n* Asthma",
            &["1. Diabetes.", "2) Hypertension", "- GERD", "* Asthma"],
        ),
        (
            "label lines",
            "Fever: No. Chest pain: yes.",
            &["Fever: No.", "Chest pain: yes."],
        ),
        (
            "crlf",
            "No fever.\r\nHas cough.",
            &["No fever.", "Has cough."],
        ),
    ];
    let tokenizer = tokenizer();
    for (name, input, expected) in cases {
        let doc = tokenizer.tokenize(input).unwrap();
        common::check_invariants(&doc).unwrap();
        let got: Vec<&str> = doc.sentences.iter().map(|s| doc.slice(s.span)).collect();
        assert_eq!(got, *expected, "{name}");
    }
}

#[test]
fn list_items_and_labels_are_marked() {
    let doc = tokenizer()
        .tokenize("1. Diabetes.\nFever: No.\nHEENT: Normal.")
        .unwrap();
    let kinds: Vec<SentenceKind> = doc.sentences.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SentenceKind::ListItem,
            SentenceKind::Text,
            SentenceKind::Text
        ]
    );
    let labels: Vec<Option<&str>> = doc
        .sentences
        .iter()
        .map(|s| s.label.map(|l| doc.slice(l)))
        .collect();
    assert_eq!(labels, [None, Some("Fever"), Some("HEENT")]);
}

#[test]
fn sections() {
    use SectionCategory::*;
    let cases: &[SectionCase] = &[
        (
            "own line caps",
            "HISTORY OF PRESENT ILLNESS:\nPain.",
            &[(Hpi, Some("HISTORY OF PRESENT ILLNESS"))],
        ),
        (
            "inline",
            "ASSESSMENT: Diabetes.",
            &[(Assessment, Some("ASSESSMENT"))],
        ),
        (
            "title case",
            "Past Medical History: Asthma.",
            &[(PastMedicalHistory, Some("Past Medical History"))],
        ),
        (
            "numbered",
            "1. CHIEF COMPLAINT: Cough.",
            &[(ChiefComplaint, Some("CHIEF COMPLAINT"))],
        ),
        ("roman numbered", "II. PLAN: Rest.", &[(Plan, Some("PLAN"))]),
        (
            "no colon on own line",
            "Assessment\nDiabetes.",
            &[(Assessment, Some("Assessment"))],
        ),
        (
            "unknown caps header",
            "WOUND CLASSIFICATION: clean.",
            &[(Other, Some("WOUND CLASSIFICATION"))],
        ),
        (
            "a longer heading named as other is not split at the known heading inside it",
            "SPECIMENS SENT TO PATHOLOGY: gallbladder.",
            &[(Other, Some("SPECIMENS SENT TO PATHOLOGY"))],
        ),
        (
            "a heading joined to the previous line by a comma",
            "PREOPERATIVE DIAGNOSIS:\n1. Herniated disc.,PROCEDURES\n1. Discectomy.",
            &[
                (Diagnoses, Some("PREOPERATIVE DIAGNOSIS")),
                (Procedure, Some("PROCEDURES")),
            ],
        ),
        (
            "capitals after a comma inside a sentence are not a heading",
            "ASSESSMENT: Pain in the knee, PLAN\nRest.",
            &[(Assessment, Some("ASSESSMENT"))],
        ),
        (
            "pathology states diagnoses",
            "SURGICAL PATHOLOGY: benign.",
            &[(Diagnoses, Some("SURGICAL PATHOLOGY"))],
        ),
        (
            "text before first header",
            "Seen today.\nPLAN: Rest.",
            &[(Unlabeled, None), (Plan, Some("PLAN"))],
        ),
        ("no headers", "Seen today for cough.", &[(Unlabeled, None)]),
        (
            "pre-op diagnosis",
            "PREOPERATIVE DIAGNOSIS: Cholelithiasis.\nPOSTOPERATIVE DIAGNOSES: Same.",
            &[
                (Diagnoses, Some("PREOPERATIVE DIAGNOSIS")),
                (Diagnoses, Some("POSTOPERATIVE DIAGNOSES")),
            ],
        ),
        (
            "run-together transcription",
            "SUBJECTIVE:,  Cough.,MEDICATIONS: , None.,ASSESSMENT:,  Bronchitis.",
            &[
                (Hpi, Some("SUBJECTIVE")),
                (Medications, Some("MEDICATIONS")),
                (Assessment, Some("ASSESSMENT")),
            ],
        ),
        (
            "subheading is not a section",
            "PHYSICAL EXAMINATION:\nHEENT: Normal.\nLungs: Clear.",
            &[(PhysicalExam, Some("PHYSICAL EXAMINATION"))],
        ),
        (
            "title case label is not a section",
            "PLAN:\nBlood transfusion: No.",
            &[(Plan, Some("PLAN"))],
        ),
        (
            "family history",
            "FAMILY HISTORY: Mother had breast cancer.",
            &[(FamilyHistory, Some("FAMILY HISTORY"))],
        ),
        (
            "discharge diagnoses",
            "DISCHARGE DIAGNOSES:\n1. Pneumonia.",
            &[(DischargeDiagnoses, Some("DISCHARGE DIAGNOSES"))],
        ),
    ];
    let tokenizer = tokenizer();
    for (name, input, expected) in cases {
        let doc = tokenizer.tokenize(input).unwrap();
        common::check_invariants(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: Vec<(SectionCategory, Option<&str>)> = doc
            .sections
            .iter()
            .map(|s| (s.category, s.heading.map(|h| doc.slice(h))))
            .collect();
        assert_eq!(got, *expected, "{name}");
    }
}

#[test]
fn spans_point_into_the_original_text() {
    let text = "CC:\tCafé-au-lait spots, 5 µg ≥ 2.\r\nPLAN: Follow-up.";
    let doc = tokenizer().tokenize(text).unwrap();
    common::check_invariants(&doc).unwrap();
    let cafe = doc
        .tokens
        .iter()
        .find(|t| doc.slice(t.span).starts_with("Caf"))
        .unwrap();
    assert_eq!(&text[cafe.span.start..cafe.span.end], "Café-au-lait");
    assert_eq!(doc.position(cafe.span.start).to_string(), "1:5");
    let plan = doc.sections[1].heading.unwrap();
    assert_eq!(doc.position(plan.start).to_string(), "2:1");
}

#[test]
fn byte_order_mark_is_skipped() {
    let text = "\u{FEFF}ASSESSMENT: Asthma.";
    let doc = tokenizer().tokenize(text).unwrap();
    common::check_invariants(&doc).unwrap();
    assert_eq!(doc.sections[0].category, SectionCategory::Assessment);
    assert_eq!(doc.tokens[0].span.start, 3);
}

#[test]
fn empty_and_blank_notes() {
    let tokenizer = tokenizer();
    for input in ["", "   ", "\n\n\r\n", "\t"] {
        let doc = tokenizer.tokenize(input).unwrap();
        assert!(doc.tokens.is_empty() && doc.sentences.is_empty() && doc.sections.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn any_text_tokenizes_with_valid_spans(text in any::<String>()) {
        let doc = tokenizer().tokenize(&text).unwrap();
        prop_assert!(common::check_invariants(&doc).is_ok(), "{:?}", common::check_invariants(&doc));
    }

    #[test]
    fn note_like_text_tokenizes_with_valid_spans(
        text in r"([A-Z ]{0,12}:|[a-zA-Z]{1,8}|[0-9./%-]{1,6}|[ \t\r\n]{1,3}|[.,;:()/-]|Dr\.|e\.g\.|µg|é|≥|[0-9]{1,3} mg){0,60}"
    ) {
        let doc = tokenizer().tokenize(&text).unwrap();
        prop_assert!(common::check_invariants(&doc).is_ok(), "{:?}", common::check_invariants(&doc));
    }
}
