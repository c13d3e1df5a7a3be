"""Load YAML into plain Python data plus 1-based line/column marks for every node.

PyYAML's composer gives node marks; we convert nodes ourselves so that we can
- reject duplicate keys (at their second occurrence),
- keep ``version`` scalars as their raw text (unquoted ``1.10`` must not become ``1.1``),
- survive hostile input: alias bombs, recursive aliases, huge numbers, deep nesting.

Hostile input is bounded *while* parsing: libyaml's C composer recurses once per nesting level
and overflows the C stack (a segfault, not an exception) on a few thousand nested ``[``, and it
builds every node of a huge flat list before anyone can count them. So the node tree is composed
here from libyaml's event stream, which its parser produces iteratively, with the depth and the
node count checked at every event: a hostile document stops at the first node over a limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import yaml

from os_tooling.core.findings import Finding, format_location

try:  # libyaml is ~10x faster; fall back to the pure-Python parser where it is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 200_000  # after alias expansion; a real manifest has a few hundred
MAX_DEPTH = 64  # nesting levels; a Release CR needs 5, a manifest 4
RAW_TEXT_KEYS = frozenset({"version", "name"})  # read as written: `name: on` is not a bool

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class YamlError(Exception):
    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


@dataclass
class Document:
    data: object
    file: str
    text: str
    # path tuple -> (line, column) of the value node, and of the key node for mapping entries
    value_marks: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def mark(self, path: tuple, *, key: bool = False) -> tuple[int | None, int | None]:
        if key and path in self.key_marks:
            return self.key_marks[path]
        while path:
            if path in self.value_marks:
                return self.value_marks[path]
            path = path[:-1]
        return self.value_marks.get((), (None, None))

    def finding(self, path: tuple, message: str, *, key: bool = False,
                severity: str = "error") -> Finding:
        line, column = self.mark(path, key=key)
        return Finding(message, self.file, line, column, format_location(path), severity)

    def lines(self) -> list[str]:
        return self.text.splitlines()


def load(text: str, file: str) -> Document:
    """Parse one YAML document; raises YamlError carrying a Finding."""
    try:
        node = _compose_bounded(text, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise YamlError(Finding(f"YAML syntax error: {problem}", file, line, column)) from None
    except yaml.reader.ReaderError as exc:
        raise YamlError(Finding(f"YAML error: unacceptable character #x{exc.character:04x} at "
                                f"position {exc.position}: {exc.reason}", file)) from None
    except yaml.YAMLError as exc:
        raise YamlError(Finding("YAML error: " + " ".join(str(exc).split()), file)) from None
    except RecursionError:
        raise YamlError(Finding("YAML nesting is too deep", file)) from None
    doc = Document(data=None, file=file, text=text)
    if node is None:
        return doc
    builder = _Builder(doc)
    try:
        doc.data = builder.build(node, (), raw=False)
    except RecursionError:
        raise YamlError(Finding("YAML nesting is too deep", file)) from None
    return doc


def _limit_error(file: str, mark: yaml.Mark, message: str) -> YamlError:
    return YamlError(Finding(message, file, mark.line + 1, mark.column + 1))


def _compose_bounded(text: str, file: str) -> yaml.Node | None:
    """PyYAML's composer, without recursion, checking depth and node count at every event.

    Only one document is read (a second one is an error, as ``yaml.compose`` says); anchors
    and aliases behave as in PyYAML (an alias shares its anchor's node; ``_Builder`` then
    counts the expansion against MAX_NODES and refuses recursive ones)."""
    loader = _Loader(text)
    try:
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # DocumentStart
        anchors: dict[str, yaml.Node] = {}
        # each open collection: (node, pending mapping key or None)
        stack: list[list] = []
        root: yaml.Node | None = None
        count = 0
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.DocumentEndEvent):
                break
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                finished = stack.pop()[0]
                finished.end_mark = event.end_mark
                continue
            count += 1
            if count > MAX_NODES:
                raise _limit_error(file, event.start_mark,
                                   f"document too large (more than {MAX_NODES} nodes)")
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise yaml.composer.ComposerError(None, None, f"found undefined alias "
                                                      f"{event.anchor!r}", event.start_mark)
                node = anchors[event.anchor]
            elif isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                       style=event.style)
            else:  # a collection starts
                if len(stack) >= MAX_DEPTH:
                    raise _limit_error(file, event.start_mark,
                                       f"YAML nesting is too deep (more than {MAX_DEPTH} levels)")
                if isinstance(event, yaml.SequenceStartEvent):
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = loader.resolve(yaml.SequenceNode, None, event.implicit)
                    node = yaml.SequenceNode(tag, [], event.start_mark, None,
                                             flow_style=event.flow_style)
                else:
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = loader.resolve(yaml.MappingNode, None, event.implicit)
                    node = yaml.MappingNode(tag, [], event.start_mark, None,
                                            flow_style=event.flow_style)
            anchor = getattr(event, "anchor", None)
            if anchor is not None and not isinstance(event, yaml.AliasEvent):
                anchors[anchor] = node
            _attach(stack, node)
            if root is None:
                root = node
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                stack.append([node, None])
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise yaml.composer.ComposerError("expected a single document in the stream",
                                              None, "but found another document",
                                              event.start_mark)
        return root
    finally:
        loader.dispose()


def _attach(stack: list[list], node: yaml.Node) -> None:
    if not stack:
        return
    parent = stack[-1]
    if isinstance(parent[0], yaml.SequenceNode):
        parent[0].value.append(node)
    elif parent[1] is None:
        parent[1] = node  # a mapping key, waiting for its value
    else:
        parent[0].value.append((parent[1], node))
        parent[1] = None


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.count = 0
        self.active: set[int] = set()

    def _fail(self, node: yaml.Node, message: str) -> YamlError:
        return YamlError(Finding(message, self.doc.file, node.start_mark.line + 1,
                                 node.start_mark.column + 1))

    def build(self, node: yaml.Node, path: tuple, *, raw: bool) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(node, f"document too large (more than {MAX_NODES} nodes after aliases)")
        self.doc.value_marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return node.value if raw else _scalar(node)
        if id(node) in self.active:
            raise self._fail(node, "recursive YAML alias")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i), raw=False) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise self._fail(node, "unsupported YAML node")  # pragma: no cover

    def _mapping(self, node: yaml.MappingNode, path: tuple) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._fail(key_node, "YAML merge keys (<<) are not supported here")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._fail(key_node, "mapping keys must be plain strings")
            key = key_node.value
            if key in out:
                raise self._fail(key_node, f"duplicate key {key!r} (first at line "
                                           f"{self.doc.key_marks[(*path, key)][0]})")
            child = (*path, key)
            self.doc.key_marks[child] = (key_node.start_mark.line + 1,
                                         key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child, raw=key in RAW_TEXT_KEYS)
        return out


def _scalar(node: yaml.ScalarNode) -> object:
    """JSON-like value of a scalar by its resolved tag; anything unusual stays text."""
    tag, value = node.tag, node.value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() in ("yes", "true", "on", "y")
    if tag == _INT:
        text = value.replace("_", "")
        if len(text) > 40:  # absurd: keep it a number for type checks, without converting
            return math.inf
        try:
            sign = -1 if text.startswith("-") else 1
            text = text.lstrip("+-")
            if text.startswith("0x"):
                return sign * int(text[2:], 16)
            if text.startswith("0o"):
                return sign * int(text[2:], 8)
            if text.startswith("0b"):
                return sign * int(text[2:], 2)
            if ":" in text:  # YAML 1.1 sexagesimal
                return sign * sum(int(p) * 60**i for i, p in enumerate(reversed(text.split(":"))))
            if len(text) > 1 and text.startswith("0"):
                return sign * int(text, 8)
            return sign * int(text)
        except ValueError:
            return math.inf
    if tag == _FLOAT:
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return math.nan
    return value  # str, timestamps, binary and custom tags: their text
