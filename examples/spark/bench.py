"""Throughput of the Spark routes against the CLI on the same machine: the corpus repeated
``--times`` times, coded by ``medcode suggest`` on a JSONL file, by ``mapInPandas`` with the
Python package and by ``RDD.pipe`` to the binary, in Spark local mode on every core.

    MEDCODE_DATA_DIR=../shared/data python3 examples/spark/bench.py [--times 3]

The notes are read and partitioned once and cached; each Spark figure is one full pass that
counts its results, after a warm-up pass on a small slice of every partition so that every
executor and its engine are loaded. The CLI figure includes reading its JSONL file.
"""

import csv
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from pyspark.sql import SparkSession

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import code_notes  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("MEDCODE_BIN", str(ROOT / "target" / "release" / "medcode"))


def main():
    times = int(sys.argv[sys.argv.index("--times") + 1]) if "--times" in sys.argv else 3
    csv.field_size_limit(1 << 30)
    path = pathlib.Path(os.environ["MEDCODE_DATA_DIR"]) / "notes" / "mtsamples_dev.csv"
    with open(path, newline="") as f:
        texts = [r["transcription"] for r in csv.DictReader(f)]
    records = [{"id": str(i), "text": t} for i, t in enumerate(texts * times)]
    cores = os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = pathlib.Path(tmp) / "notes.jsonl"
        jsonl.write_text("".join(json.dumps(r) + "\n" for r in records))
        started = time.perf_counter()
        subprocess.run([BINARY, "suggest", "--format", "json", "-q", "-o", os.devnull, str(jsonl)], check=True)
        cli = len(records) / (time.perf_counter() - started)
        spark = (
            SparkSession.builder.master(f"local[{cores}]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        spark.sparkContext.addPyFile(code_notes.__file__)
        spark.sparkContext.setLogLevel("ERROR")
        # Read and partitioned once: the figures are coding throughput, not Spark's JSON reader.
        notes = spark.read.json(str(jsonl)).repartition(cores).cache()
        notes.count()
        figures = {"CLI": cli}
        for name, run in [
            ("mapInPandas", lambda df: code_notes.with_python(df)),
            ("RDD.pipe", lambda df: code_notes.with_binary(spark, df, BINARY)),
        ]:
            # Warm-up on a slice of every partition (`limit` would run one task, leaving the
            # other executors' engines to load inside the measured pass).
            run(notes.sample(fraction=0.02, seed=1)).count()
            started = time.perf_counter()
            run(notes).count()
            figures[name] = len(records) / (time.perf_counter() - started)
        spark.stop()
    print(f"{len(records)} notes ({times} x the corpus), {cores} cores")
    for name, rate in figures.items():
        print(f"{name:12} {rate:8.0f} notes/s  {rate / cli:6.0%} of the CLI")


if __name__ == "__main__":
    main()
