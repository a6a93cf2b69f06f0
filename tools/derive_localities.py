"""Derive bot/vietnamese/data/localities.tsv from the vietnamadminunits dataset.

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau
    unzip -o /tmp/vau/vietnamadminunits-1.0.4-py3-none-any.whl -d /tmp/vau
    python tools/derive_localities.py /tmp/vau/vietnamadminunits/data/dataset.db

vietnamadminunits (MIT licence, by Hieu Tran) ships both eras in one SQLite file: the 63-era
table ``admin_units_legacy`` (province, district, ward) and the 34-era table ``admin_units``
(province, ward). The package itself needs shapely and geopy, so diemtin ships only the names it
matches in articles: the 63-era districts and towns (thị trấn), and the 34-era communes, wards
and special zones, each with the slug of its province in bot/vietnamese/data/provinces.toml.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.vietnamese.gazetteer import Gazetteer  # noqa: E402

OUT = ROOT / "bot" / "vietnamese" / "data" / "localities.tsv"
SOURCE = "vietnamadminunits 1.0.4 (MIT), data/dataset.db"

# (era, table, type column, name column, kinds kept): rows are (kind, short name, province).
QUERIES = (
    ("district", "SELECT DISTINCT districtType, districtShort, provinceShort FROM admin_units_legacy",
     {"Huyện", "Quận", "Thị xã", "Thành phố"}),
    ("town", "SELECT DISTINCT wardType, wardShort, provinceShort FROM admin_units_legacy",
     {"Thị trấn"}),
    ("commune", "SELECT DISTINCT wardType, wardShort, provinceShort FROM admin_units",
     {"Xã", "Phường", "Đặc khu"}),
)


def derive(db_path: Path, gazetteer: Gazetteer) -> list[tuple[str, str, str, str]]:
    rows: set[tuple[str, str, str, str]] = set()
    with sqlite3.connect(db_path) as db:
        for level, query, kinds in QUERIES:
            for kind, name, province in db.execute(query):
                if kind not in kinds or not name:
                    continue
                unit = gazetteer.resolve(province).unit
                if unit is None:
                    raise SystemExit(f"no unit for province {province!r}")
                rows.add((level, kind.lower(), name.strip(), unit.slug))
    order = {"district": 0, "town": 1, "commune": 2}
    return sorted(rows, key=lambda r: (order[r[0]], r[3], r[2], r[1]))


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    rows = derive(Path(sys.argv[1]), Gazetteer.load(with_localities=False))
    lines = [
        f"# Derived by tools/derive_localities.py from {SOURCE}; do not edit by hand.",
        "# level: district (63-era huyện/quận/thị xã/thành phố), town (63-era thị trấn),",
        "#        commune (34-era xã/phường/đặc khu); province: a slug of provinces.toml.",
        "level\tkind\tname\tprovince",
        *("\t".join(row) for row in rows),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} localities → {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
