"""Feeds built from the real sample digest, for tests and benchmarks."""

from __future__ import annotations

import html
from pathlib import Path

SAMPLE_TXT = Path(__file__).parent / "data" / "diem-tin-2022-tuan-19.txt"


def sample_text() -> str:
    return SAMPLE_TXT.read_text(encoding="utf-8")


def digest_html(text: str | None = None) -> str:
    """The sample digest as the HTML a CMS would put in an RSS description."""
    text = sample_text() if text is None else text
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs[1:])


def rss(entries: list[dict], *, title: str = "Bộ TT&TT - Điểm tin", encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 document; each entry dict has guid, title, html, link, pub_date."""
    items = "".join(
        f"""<item><title>{html.escape(e['title'])}</title>
<link>{html.escape(e.get('link', 'https://mic.gov.vn/diem-tin'))}</link>
<guid isPermaLink="false">{html.escape(e['guid'])}</guid>
<pubDate>{e.get('pub_date', 'Fri, 13 May 2022 09:00:00 +0700')}</pubDate>
<description>{html.escape(e['html'])}</description></item>"""
        for e in entries
    )
    doc = f"""<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>{html.escape(title)}</title>
<link>https://mic.gov.vn</link><description>Điểm tin</description>{items}</channel></rss>"""
    return doc.encode(encoding)


def sample_rss(guid: str = "diem-tin-2022-19") -> bytes:
    return rss([{
        "guid": guid,
        "title": "Điểm tin địa phương - ngành Thông tin và Truyền thông",
        "html": digest_html(),
        "link": "https://mic.gov.vn/diem-tin-dia-phuong-tuan-19.htm",
    }])


def archive_rss(entries: int) -> bytes:
    """An RSS feed of ``entries`` weekly digests, a portal's archive: each the sample digest with
    its week, its lead provinces and its bullets' ends changed, so that every item is distinct."""
    names = ["Hà Giang", "Kon Tum", "Bến Tre", "Cà Mau", "Nghệ An", "Huế", "Bắc Ninh", "Gia Lai"]
    leads = ["Sóc Trăng", "Lâm Đồng", "Thanh Hóa", "Quảng Trị", "Lạng Sơn"]
    out = []
    for n in range(entries):
        lines = [line.strip() for line in sample_text().split("\n") if line.strip()]
        text = "\n".join(lines[:4] + [f"{line} (Bản tin số {n}.)" for line in lines[4:]])
        text = text.replace("tuần 19", f"tuần {n % 52 + 1}")
        for k, lead in enumerate(leads):
            text = text.replace(lead, names[(n + k) % len(names)])
        out.append({"guid": f"archive-{n}", "title": f"Điểm tin địa phương số {n}",
                    "html": digest_html(text), "link": f"https://mic.gov.vn/diem-tin/{n}.htm"})
    return rss(out)
