"""What the project says of the article it follows is what the article says.

The article: 《通过 Serverless 平台构建实时消息传递系统的方法》, JavaScript中文网,
https://www.javascriptcn.com/post/649fb53548841e9894c11660. The project quotes it only in
「corner brackets」: its five headings, and the short phrases below. Where its text is at hand
(``WSLAB_ARTICLE_TEXT``, or ``../shared/article/article.zh.txt`` beside the checkout), every
quotation is checked against it; everywhere, every quotation must be one of these, every file
that quotes it must cite its link, and no numbered heading (一、二、...) may appear: the
article's headings are not numbered, and a map that numbers them maps another article.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINK = "https://www.javascriptcn.com/post/649fb53548841e9894c11660"
TITLE = "通过 Serverless 平台构建实时消息传递系统的方法"
HEADINGS = ("架构", "WebSocket API", "Lambda 函数", "DynamoDB", "总结")
PHRASES = (
    "Lambda 函数的名称",
    "WebSocket 连接和用户的绑定关系",
    '例如 "/message"',
    "Use Lambda Proxy integration",
    "Route Request",
    "一个简单的 Node.js Lambda",
    "可以是 JSON 或其他消息格式",
    "发送到所有搜索到的连接",
    "AWS SDK for JavaScript",
    "单击 “Create” 完成 WebSocket API 的部署",
)

QUOTE = re.compile(r"「([^」]+)」")
NUMBERED_HEADING = re.compile(r"[一二三四五六七八九十]+、")
# Things the article does not have. A sentence that names the article and one of these must
# say it leaves it out (or that it has none): "the article leaves this out".
NOT_IN_THE_ARTICLE = re.compile(
    r"AmazonDynamoDBFullAccess|onConnect|onDisconnect|sendMessage|OnMessage|wscat|"
    r"`\$connect`|`\$disconnect`|`\$default`|`sendmessage`|IAM role|IAM 角色|\bpastes?\b"
)
MENTIONS_THE_ARTICLE = re.compile(r"\bthe article\b|\barticle's\b|文章", re.IGNORECASE)
NEGATION = re.compile(
    r"\bleaves?\b|\bleft out\b|\bnot\b|\bno\b|\bnone\b|\bnor\b|\bwithout\b|没有|不|未",
    re.IGNORECASE,
)


def _notebook_text(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join(
        cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for cell in cells
    )


def _documents() -> dict[str, str]:
    """Every notebook (all cells) and every Markdown page of the project, by path."""
    found = {
        str(path.relative_to(ROOT)): _notebook_text(path)
        for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
    }
    for pattern in ("*.md", "*/*.md"):
        for path in sorted(ROOT.glob(pattern)):
            if not path.relative_to(ROOT).parts[0].startswith("."):  # caches
                found[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return found


DOCUMENTS = _documents()


def _chinese_section() -> str:
    readme = DOCUMENTS["README.md"]
    return readme.split("## 中文快速入门", 1)[1].split("\n## ", 1)[0]


def _article_map() -> str:
    text = DOCUMENTS["notebooks/00_overview.ipynb"]
    return text.split("## The article this tutorial follows", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_quotation_is_the_articles(name: str) -> None:
    for quoted in QUOTE.findall(DOCUMENTS[name]):
        assert quoted in HEADINGS + PHRASES, f"{name} quotes 「{quoted}」, not the article's"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_no_numbered_heading(name: str) -> None:
    found = NUMBERED_HEADING.search(DOCUMENTS[name])
    numbered = found and found.group()
    assert found is None, f"{name}: {numbered!r}: the article's headings are not numbered"


@pytest.mark.parametrize("name", sorted(name for name in DOCUMENTS if "「" in DOCUMENTS[name]))
def test_a_page_that_quotes_the_article_cites_it(name: str) -> None:
    assert LINK in DOCUMENTS[name], f"{name} quotes the article without its link"


MAPS = [("notebook 00", _article_map()), ("the README's 中文 section", _chinese_section())]


@pytest.mark.parametrize("where, text", MAPS)
def test_the_map_has_the_five_headings_in_order_each_with_its_notebooks(
    where: str, text: str
) -> None:
    assert LINK in text and TITLE in text, f"{where} must name and link the article"
    quoted = [heading for heading in QUOTE.findall(text) if heading in HEADINGS]
    assert list(dict.fromkeys(quoted)) == list(HEADINGS), where
    for heading in HEADINGS:
        rows = [line for line in text.splitlines() if line.startswith(f"| 「{heading}」 |")]
        assert len(rows) == 1, f"{where}: one table row for 「{heading}」"
        assert re.search(r"`\d\d`", rows[0]), f"{where}: 「{heading}」 maps to no notebook"


def _sentences(text: str) -> list[str]:
    # Ends of sentences, Chinese ones (U+3002, U+FF1B) included; paragraphs; list items.
    ends = r"(?<=[.!?;\u3002\uff1b])\s+|\n\s*\n|\n[-*|] "
    return [sentence for sentence in re.split(ends, text) if sentence.strip()]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_nothing_is_attributed_to_the_article_that_it_does_not_say(name: str) -> None:
    """A sentence that speaks of the article and names something it does not have says that
    the article leaves it out."""
    attributed = [
        sentence
        for sentence in _sentences(DOCUMENTS[name])
        if MENTIONS_THE_ARTICLE.search(sentence)
        and NOT_IN_THE_ARTICLE.search(sentence)
        and not NEGATION.search(sentence)
    ]
    assert attributed == [], name


def _article_text() -> str | None:
    given = os.environ.get("WSLAB_ARTICLE_TEXT")
    path = Path(given) if given else ROOT.parent / "shared" / "article" / "article.zh.txt"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def test_the_quotations_are_in_the_articles_text() -> None:
    text = _article_text()
    if text is None:
        pytest.skip("the article's text is not here: set WSLAB_ARTICLE_TEXT to check quotations")
    lines = {line.strip() for line in text.splitlines()}
    for heading in HEADINGS:
        assert heading in lines, f"「{heading}」 is not a heading of the article"
    for phrase in PHRASES:
        assert phrase in text, f"「{phrase}」 is not in the article"
    assert LINK in text
