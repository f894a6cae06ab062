"""PLACEHOLDER — being written by a helper."""
from dataclasses import dataclass, field

KINDS = ("units", "roster")


class ImportRefused(Exception):
    pass


@dataclass
class ImportResult:
    ok: bool = True
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)


def run_import(actor, kind, fileobj, filename, *, within=None, dry_run=False):
    raise ImportRefused("not yet")
