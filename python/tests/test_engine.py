"""The Python package against the CLI and the report schema. Notes here are made up."""

import json
import os
import pathlib
import subprocess

import jsonschema
import pytest

import medcode

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text())
NOTE = (
    "CHIEF COMPLAINT: Follow-up.\n"
    "HISTORY OF PRESENT ILLNESS: Denies chest pain. Possible pneumonia.\n"
    "ASSESSMENT:\n1. Type 2 diabetes mellitus with diabetic chronic kidney disease.\n"
    "2. Hypertension.\n"
)


@pytest.fixture(scope="module")
def engine():
    return medcode.Engine()


def codes(report):
    return [s["code"] for s in report["suggestions"]]


def test_suggest_returns_a_report_that_validates(engine):
    report = engine.suggest(NOTE, id="n1")
    jsonschema.validate(report, SCHEMA)
    assert report["note_id"] == "n1"
    assert "I12.9" in codes(report)
    assert report["rules_fingerprint"] == engine.rules_fingerprint
    rejected = {r["code"] for r in report["rejected"]}
    assert "R07.9" in rejected  # "Denies chest pain" is negated


def test_setting_and_systems(engine):
    outpatient = engine.suggest(NOTE)
    inpatient = engine.suggest(NOTE, setting="INPATIENT")
    assert "J18.9" not in codes(outpatient)
    assert "J18.9" in codes(inpatient)
    only_cpt = engine.suggest(NOTE, systems=["cpt"])
    assert only_cpt["suggestions"] == []
    with pytest.raises(ValueError, match="not a date of service"):
        engine.suggest(NOTE, date_of_service="2026-02-30")
    with pytest.raises(ValueError, match="inpatient"):
        engine.suggest(NOTE, setting="ward")


def test_suggest_many_keeps_order_and_meta(engine):
    records = [
        {"id": 7, "text": "ASSESSMENT: Asthma.", "mrn": "A-1"},
        "ASSESSMENT: Hypertension.",
        {"text": NOTE, "setting": "inpatient", "encounter": {"n": 2}},
    ]
    reports = engine.suggest_many(records, threads=2)
    assert [r["note_id"] for r in reports] == ["7", "1", "2"]
    assert reports[0]["meta"] == {"mrn": "A-1"}
    assert "meta" not in reports[1]
    assert reports[2]["meta"] == {"encounter": {"n": 2}}
    assert reports[2]["setting"] == "inpatient"
    for report in reports:
        jsonschema.validate(report, SCHEMA)
    one_by_one = engine.suggest(NOTE, id="2", setting="inpatient")
    assert codes(reports[2]) == codes(one_by_one)


def test_rows_equal_the_reports(engine):
    records = [{"id": "a", "text": NOTE}, {"id": "b", "text": "PLAN: Rest."}]
    rows = engine.suggest_rows(records, threads=1)
    reports = engine.suggest_many(records, threads=1)
    expected = []
    for report in reports:
        if not report["suggestions"]:
            expected.append((report["note_id"],) + (None,) * 8)
        for s in report["suggestions"]:
            e = s["evidence"][0]
            expected.append((report["note_id"], s["code"], s["system"], s["status"], s["confidence"],
                             e["span"]["start"], e["span"]["end"], e["chars"]["start"], e["chars"]["end"]))
    assert rows == expected
    assert rows[-1] == ("b",) + (None,) * 8


def test_explain(engine):
    steps = engine.explain(NOTE, code="I129")
    assert steps[0]["code"] == "I12.9"
    assert steps[0]["status"] == "suggested"


def test_bad_input_is_a_python_error():
    with pytest.raises(OSError, match="no such rule pack"):
        medcode.Engine(rules=["/nonexistent/pack.yaml"])
    with pytest.raises(ValueError, match="expected a dict"):
        medcode.Engine().suggest_many([42])


def medcode_binary():
    path = os.environ.get("MEDCODE_BIN", str(ROOT / "target" / "release" / "medcode"))
    return path if os.path.exists(path) else None


@pytest.mark.skipif(medcode_binary() is None, reason="no medcode binary (set MEDCODE_BIN)")
def test_same_report_as_the_cli(engine, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    env = dict(os.environ, MEDCODE_HOME=str(tmp_path))  # no imported dictionary: the starter one
    out = subprocess.run(
        [medcode_binary(), "suggest", "--format", "json", str(note)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    cli = json.loads(out)
    assert engine.suggest(NOTE, id=str(note)) == cli
