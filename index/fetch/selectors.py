"""The site adapter's selectors, in one table: a CMS redesign is a one-line fix here.

The CMS family of the notes (nhandan.vn, tienphong.vn, baohatinh.vn …). Selectors are a
small CSS subset — `tag.class.class[attr=value]`, descendants by spaces, alternatives by
commas — compiled to XPath because lxml's CSS support needs an extra package.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lxml import etree

SELECTORS: dict[str, str] = {
    # A page is the CMS's when both of these match.
    "title": ".article__title.cms-title, h1.article__title",
    "body": ".article__body.cms-body, .article__body.zce-content-body, .article__body",
    "lede": ".article__sapo, .cms-desc",
    "topics": "div.article__tag a, .article__tag a",
    "section": ".breadcrumb a, .article__cate a",
    "time": ".article__meta time[datetime], time.time[datetime]",
    "time_text": ".article__meta time, .article__meta .time, .article__time",
    "caption": "figcaption, .PhotoCMS_Caption, .image-caption, .article__caption, td.caption",
    # Removed from the body before reading it: related boxes, share bars, ads, credits, scripts.
    "drop": ("script, style, noscript, iframe, form, button, ins, template, "
             ".article__related, .related, .box-related, .cms-related, .article__readmore, .box-readmore, "
             ".article__share, .share, .social, .article__social, .article__tag, .article__author, "
             ".ads, .ad, .advertisement, .banner, .adsbygoogle, .photo-credit, .article__photo-credit"),
}

_COMPOUND = re.compile(r"^([a-zA-Z][\w-]*)?((?:\.[\w-]+)*)(?:\[([\w:-]+)(?:=\"?([^\]\"]*)\"?)?\])?$")


def _xpath_step(compound: str) -> str:
    m = _COMPOUND.match(compound)
    if not m:
        raise ValueError(f"unsupported selector {compound!r}")
    tag, classes, attr, value = m.groups()
    tests = [f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in classes.split(".") if c]
    if attr:
        tests.append(f"@{attr}='{value}'" if value is not None else f"@{attr}")
    return (tag or "*") + "".join(f"[{t}]" for t in tests)


@functools.cache
def compile_selector(selector: str) -> etree.XPath:
    """CSS subset → one XPath matching in document order."""
    alternatives = [".//" + "//".join(_xpath_step(part) for part in alt.split()) for alt in selector.split(",")]
    return etree.XPath(" | ".join(alternatives))


def select(node: Any, name: str) -> list[Any]:
    """Elements under `node` matching the table's selector `name`, in document order."""
    return list(compile_selector(SELECTORS[name])(node))


def select_first(node: Any, name: str) -> Any | None:
    found = select(node, name)
    return found[0] if found else None
