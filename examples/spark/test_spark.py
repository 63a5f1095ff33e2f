"""Spark local mode on 1,000 corpus notes: both routes give every note its result, equal to the
CLI's. Skipped without pyspark, Java, the medcode package or the corpus (MEDCODE_DATA_DIR)."""

import csv
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

pyspark = pytest.importorskip("pyspark")
pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
medcode = pytest.importorskip("medcode")

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import code_notes  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The embedded starter dictionary everywhere (the CLI, Spark's pipes, medcode.Engine()): no
# imported dictionary from the user's data directory. Set before Spark starts its JVM.
os.environ["MEDCODE_HOME"] = "/nonexistent-medcode-home"
BINARY = os.environ.get("MEDCODE_BIN", str(ROOT / "target" / "release" / "medcode"))
DATA = os.environ.get("MEDCODE_DATA_DIR")
NOTES = 1000

pytestmark = [
    pytest.mark.skipif(not DATA, reason="MEDCODE_DATA_DIR is not set: no corpus"),
    pytest.mark.skipif(shutil.which("java") is None, reason="no Java"),
    pytest.mark.skipif(not os.path.exists(BINARY), reason="no medcode binary"),
]


def corpus_records():
    csv.field_size_limit(1 << 30)
    path = pathlib.Path(DATA) / "notes" / "mtsamples_dev.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))[:NOTES]
    return [{"id": str(i), "text": r["transcription"]} for i, r in enumerate(rows)]


@pytest.fixture(scope="module")
def spark():
    session = (
        pyspark.sql.SparkSession.builder.master("local[2]")
        .appName("medcode-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    # The workers unpickle functions of this module: ship it to them.
    session.sparkContext.addPyFile(code_notes.__file__)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def records():
    return corpus_records()


@pytest.fixture(scope="module")
def cli_rows(records, tmp_path_factory):
    """The CLI's suggestions for the same notes: the reference."""
    path = tmp_path_factory.mktemp("cli") / "notes.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    started = time.perf_counter()
    out = subprocess.run(
        [BINARY, "suggest", "--format", "json", "-q", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    print(f"CLI: {NOTES} notes in {time.perf_counter() - started:.2f} s")
    reports = [json.loads(line) for line in out.splitlines()]
    assert len(reports) == NOTES
    return sorted((row for report in reports for row in code_notes.rows(report)), key=repr)


def collected(frame):
    return sorted((tuple(r) for r in frame.collect()), key=repr)


def test_map_in_pandas_equals_the_cli(spark, records, cli_rows):
    notes = spark.createDataFrame(records).repartition(2)
    started = time.perf_counter()
    rows = collected(code_notes.with_python(notes))
    print(f"mapInPandas: {NOTES} notes in {time.perf_counter() - started:.2f} s")
    assert len({r[0] for r in rows}) == NOTES, "every note has its result"
    assert rows == cli_rows


def test_pipe_to_the_binary_equals_the_cli(spark, records, cli_rows):
    notes = spark.createDataFrame(records).repartition(2)
    started = time.perf_counter()
    rows = collected(code_notes.with_binary(spark, notes, BINARY))
    print(f"RDD.pipe: {NOTES} notes in {time.perf_counter() - started:.2f} s")
    assert len({r[0] for r in rows}) == NOTES, "every note has its result"
    assert rows == cli_rows


def test_parquet_output(spark, records, tmp_path):
    notes = spark.createDataFrame(records[:50])
    out = tmp_path / "out.parquet"
    code_notes.with_python(notes).write.parquet(str(out))
    back = spark.read.parquet(str(out))
    assert back.count() > 0
    assert set(back.columns) == set(code_notes.SCHEMA.fieldNames())
