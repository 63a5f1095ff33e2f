from os import PathLike
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

__version__: str

Report = dict[str, Any]
Record = Union[str, Mapping[str, Any]]

class Engine:
    """A loaded medcode engine (rule packs, context, dictionary); load once, share freely."""

    def __init__(
        self,
        rules: Optional[Sequence[Union[str, PathLike[str]]]] = None,
        dictionary: Optional[Union[str, PathLike[str]]] = None,
    ) -> None: ...
    def suggest(
        self,
        text: str,
        id: str = "note",
        setting: Optional[str] = None,
        date_of_service: Optional[str] = None,
        systems: Optional[Sequence[str]] = None,
        trace: bool = False,
        dictionary_candidates: bool = True,
    ) -> Report: ...
    def suggest_many(
        self,
        records: Iterable[Record],
        threads: Optional[int] = None,
        setting: Optional[str] = None,
        date_of_service: Optional[str] = None,
        systems: Optional[Sequence[str]] = None,
        dictionary_candidates: bool = True,
    ) -> list[Report]: ...
    def suggest_rows(
        self,
        records: Iterable[Record],
        threads: Optional[int] = None,
        setting: Optional[str] = None,
        date_of_service: Optional[str] = None,
        systems: Optional[Sequence[str]] = None,
        dictionary_candidates: bool = True,
    ) -> list[tuple[str, Optional[str], Optional[str], Optional[str], Optional[float], Optional[int], Optional[int], Optional[int], Optional[int]]]: ...
    def explain(
        self,
        text: str,
        code: Optional[str] = None,
        id: str = "note",
        setting: Optional[str] = None,
    ) -> list[dict[str, Any]]: ...
    @property
    def rules_fingerprint(self) -> str: ...
