"""medcode: rule-based ICD-10-CM, CPT and HCPCS Level II code suggestions with evidence.

    >>> import medcode
    >>> engine = medcode.Engine()
    >>> report = engine.suggest("ASSESSMENT: Type 2 diabetes mellitus.")
    >>> [s["code"] for s in report["suggestions"]]
    ['E11.9']

Every report is the JSON of ``medcode suggest --format json`` as a dict (its JSON Schema is
``medcode report-schema``). Suggestions are for a coder to review, never final codes.
"""

from ._medcode import Engine, __version__

__all__ = ["Engine", "__version__"]
