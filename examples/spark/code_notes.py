"""Code a DataFrame of notes with medcode in Spark, two ways.

* ``with_python``: ``mapInPandas`` with the ``medcode`` Python package, one engine per executor
  process (loaded on the first batch it sees), batches coded in parallel with the GIL released.
* ``with_binary``: ``RDD.pipe`` to the ``medcode`` binary, NDJSON in and out: no Python package
  on the executors, only the binary.

Both give one row per suggestion: note id, code, system, status, confidence and the first
evidence span (bytes and characters); a note with no suggestion gets one row with no code. Run it on a JSONL file of ``{"id", "text"}`` records::

    spark-submit examples/spark/code_notes.py notes.jsonl out.parquet [--binary target/release/medcode]
"""

import json
import sys

from pyspark.sql import SparkSession
from pyspark.sql import types as T

SCHEMA = T.StructType(
    [
        T.StructField("note_id", T.StringType()),
        T.StructField("code", T.StringType()),
        T.StructField("system", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("confidence", T.DoubleType()),
        T.StructField("byte_start", T.LongType()),
        T.StructField("byte_end", T.LongType()),
        T.StructField("char_start", T.LongType()),
        T.StructField("char_end", T.LongType()),
    ]
)

_ENGINE = None


def _engine():
    """One engine per executor process, loaded once."""
    global _ENGINE
    if _ENGINE is None:
        import medcode

        _ENGINE = medcode.Engine()
    return _ENGINE


def rows(report):
    """The suggestion rows of one report; a note with no suggestion gets one row with no code,
    so that every note is accounted for."""
    if not report["suggestions"]:
        yield (report["note_id"], None, None, None, None, None, None, None, None)
    for s in report["suggestions"]:
        e = s["evidence"][0]
        yield (
            report["note_id"],
            s["code"],
            s["system"],
            s["status"],
            float(s["confidence"]),
            e["span"]["start"],
            e["span"]["end"],
            e["chars"]["start"],
            e["chars"]["end"],
        )


def _code_batches(batches):
    import pandas as pd

    engine = _engine()
    for batch in batches:
        records = [{"id": str(i), "text": t} for i, t in zip(batch["id"], batch["text"])]
        # Rows straight from Rust (no JSON), one thread per worker: Spark runs a worker per core.
        out = engine.suggest_rows(records, threads=1)
        yield pd.DataFrame(out, columns=SCHEMA.fieldNames())


def with_python(notes):
    """Notes (columns ``id``, ``text``) to suggestion rows, with the Python package."""
    return notes.select("id", "text").mapInPandas(_code_batches, schema=SCHEMA)


def with_binary(spark, notes, binary):
    """Notes to suggestion rows, piping NDJSON through the medcode binary."""
    lines = notes.select("id", "text").rdd.map(
        lambda r: json.dumps({"id": str(r["id"]), "text": r["text"]})
    )
    # One coding thread per piped process: Spark already runs a task per core.
    reports = lines.pipe(
        f"{binary} suggest --format json --input-format jsonl -q -",
        env={"RAYON_NUM_THREADS": "1"},
    )
    return spark.createDataFrame(
        reports.flatMap(lambda line: list(rows(json.loads(line)))), schema=SCHEMA
    )


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    source, target = argv[1], argv[2]
    spark = SparkSession.builder.appName("medcode").getOrCreate()
    notes = spark.read.json(source)
    if "--binary" in argv:
        out = with_binary(spark, notes, argv[argv.index("--binary") + 1])
    else:
        out = with_python(notes)
    out.write.mode("overwrite").parquet(target)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
