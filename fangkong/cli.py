"""The `fangkong` console script: fangkong's own commands and every Django management command."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fangkong", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
