"""A tiny DOM over html.parser: enough to read a page's tables and attributes in tests."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node | str"] = field(default_factory=list)

    def text(self) -> str:
        """The text inside, whitespace collapsed."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(
        self, tag: str | None = None, class_: str | None = None, **attrs: str
    ) -> list["Node"]:
        """Descendants matching the tag, a class and exact attribute values (data_x -> data-x)."""
        wanted = {key.replace("_", "-"): value for key, value in attrs.items()}
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (
                (tag is None or child.tag == tag)
                and (class_ is None or class_ in child.classes())
                and all(child.attrs.get(k) == v for k, v in wanted.items())
            ):
                found.append(child)
            found.extend(child.find_all(tag, class_, **attrs))
        return found

    def find(self, tag: str | None = None, class_: str | None = None, **attrs: str) -> "Node":
        found = self.find_all(tag, class_, **attrs)
        assert found, f"no <{tag} class={class_} {attrs}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: bytes | str) -> Node:
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    return builder.root


def table_rows(node: Node) -> list[list[str]]:
    """The text of each cell of each body row."""
    return [
        [cell.text() for cell in row.find_all() if cell.tag in {"td", "th"}]
        for row in node.find("tbody").find_all("tr")
    ]
