"""A YAML loader for configuration that a mistake or a hostile file cannot get past.

libyaml parses (events, in C); this module composes the node tree from those events in a
loop with its own stack, which is both faster than the C composer (it resolves tags
through the same Python resolver, once per scalar) and bounded:
- a key written twice in one mapping is an error naming both lines (a second partner with
  the same id would otherwise silently replace the first);
- aliases may repeat a block (a ladder shared by processes) but not expand: all of them
  together may add at most `MAX_ALIAS_NODES` values, so a "billion laughs" file is refused
  at its first few lines instead of taking minutes and gigabytes;
- nesting deeper than `MAX_DEPTH` is refused before anything recurses;
- the file's size is bounded before it is read;
- a scalar YAML reads as a date but no calendar has (2027-13-01, 2027-04-31) is refused
  with its key path, where PyYAML would raise a bare ValueError while constructing.
Every refusal is a `StrictYamlError` carrying a line number and one line of text.
"""

from __future__ import annotations

import gc
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 10 * 1024 * 1024  # a 30,000-partner file; the shipped trust's files are 4 KB
MAX_DEPTH = 64  # the configuration's own shape is 8 deep
MAX_ALIAS_NODES = 10_000  # the shipped calendar's shared ladder adds 48
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class StrictYamlError(Exception):
    """A file refused by the strict loader: where (the key path, if any, and the 1-based
    line, if known) and a one-line reason."""

    def __init__(self, line: int | None, message: str, path: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.path = path


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


class _Frame:
    """A collection being composed: its node, its key path and, for a mapping, the keys
    seen so far (value -> line) and the key waiting for its value."""

    __slots__ = ("node", "path", "keys", "key", "anchor", "start")

    def __init__(self, node: Node, path: str, anchor: str | None, start: int) -> None:
        self.node = node
        self.path = path
        self.anchor = anchor
        self.start = start  # the node count when this collection opened
        self.keys: dict[Any, int | None] | None = {} if isinstance(node, MappingNode) else None
        self.key: ScalarNode | None = None


class StrictLoader(_BaseLoader):  # type: ignore[misc]
    """`yaml.CSafeLoader` (or SafeLoader) with the composition above."""

    def get_single_node(self) -> Node | None:
        """The one document of the stream, composed with the checks above."""
        self.get_event()  # StreamStartEvent
        node = None
        if not self.check_event(StreamEndEvent):
            self.get_event()  # DocumentStartEvent
            node = self._compose()
            self.get_event()  # DocumentEndEvent
        if not self.check_event(StreamEndEvent):
            event = self.get_event()
            raise StrictYamlError(_line(event.start_mark), "a file holds one document, not two")
        self.get_event()
        return node

    def _compose(self) -> Node:
        stack: list[_Frame] = []
        anchors: dict[str, tuple[Node, int]] = {}  # name -> (node, values it holds)
        count = aliased = 0  # values composed, and how many of them aliases repeated
        while True:
            event = self.get_event()
            if isinstance(event, (SequenceEndEvent, MappingEndEvent)):
                done = stack.pop()
                done.node.end_mark = event.end_mark
                if done.anchor is not None:
                    anchors[done.anchor] = (done.node, count - done.start)
                if not stack:
                    return done.node
                continue
            if isinstance(event, AliasEvent):
                node, size = self._alias(event, anchors, stack)
                aliased += size
                if aliased > MAX_ALIAS_NODES:
                    raise StrictYamlError(
                        _line(event.start_mark),
                        f"aliases expand to more than {MAX_ALIAS_NODES:,} values "
                        f"(at *{event.anchor}): write them out",
                        _next_path(stack),
                    )
                count += size
            else:
                node = self._node(event)
                count += 1
            path = self._attach(stack, node) if stack else ""
            if isinstance(node, ScalarNode) and node.tag == _TIMESTAMP:
                self._real_date(node, path)
            if isinstance(event, CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise StrictYamlError(
                        _line(event.start_mark), f"nested more than {MAX_DEPTH} levels deep"
                    )  # no path: it would be as long as the nesting
                stack.append(_Frame(node, path, event.anchor, count))
            elif event.anchor is not None and not isinstance(event, AliasEvent):
                anchors[event.anchor] = (node, 1)
            if not stack:
                return node

    def _real_date(self, node: ScalarNode, path: str) -> None:
        try:
            self.construct_yaml_timestamp(node)
        except ValueError as exc:
            raise StrictYamlError(
                _line(node.start_mark), f"{node.value} is not a date: {exc}", path
            ) from None

    @staticmethod
    def _alias(
        event: AliasEvent, anchors: dict[str, tuple[Node, int]], stack: list[_Frame]
    ) -> tuple[Node, int]:
        if event.anchor not in anchors:
            inside = any(f.anchor == event.anchor for f in stack)
            raise StrictYamlError(
                _line(event.start_mark),
                f"alias *{event.anchor} " + ("refers to itself" if inside else "is not defined"),
                _next_path(stack),
            )
        return anchors[event.anchor]

    def _node(self, event: Any) -> Node:
        tag = event.tag
        if isinstance(event, ScalarEvent):
            if tag is None or tag == "!":
                tag = self.resolve(ScalarNode, event.value, event.implicit)
            return ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        kind = SequenceNode if isinstance(event, SequenceStartEvent) else MappingNode
        if tag is None or tag == "!":
            tag = self.resolve(kind, None, event.implicit)
        assert isinstance(event, (SequenceStartEvent, MappingStartEvent))
        return kind(tag, [], event.start_mark, None, flow_style=event.flow_style)

    def _attach(self, stack: list[_Frame], node: Node) -> str:
        """Add `node` to the collection on top of the stack; return its key path."""
        top = stack[-1]
        if top.keys is None:  # a sequence
            where = _next_path(stack)
            top.node.value.append(node)
            return where
        if top.key is None:  # a mapping's key
            if not isinstance(node, ScalarNode):
                raise StrictYamlError(
                    _line(node.start_mark), "a key must be a plain value", top.path
                )
            value = self._key_value(node)
            where = _child(top.path, node.value)
            if value in top.keys:
                raise StrictYamlError(
                    _line(node.start_mark),
                    f"duplicate key {node.value!r} on line {_line(node.start_mark)} "
                    f"(first on line {top.keys[value]})",
                    where,
                )
            top.keys[value] = _line(node.start_mark)
            top.key = node
            return where
        where = _next_path(stack)
        top.node.value.append((top.key, node))
        top.key = None
        return where

    def _key_value(self, node: ScalarNode) -> Any:
        # Duplicates as the constructed dict would see them: `on` and `true` are one key.
        construct = self.yaml_constructors.get(node.tag)
        try:
            return construct(self, node) if construct else node.value
        except (yaml.YAMLError, ValueError, TypeError):
            return node.value


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _next_path(stack: list[_Frame]) -> str:
    """The key path of the next node the collection on top of the stack receives."""
    if not stack:
        return ""
    top = stack[-1]
    if top.keys is None:
        return f"{top.path}[{len(top.node.value)}]"
    return _child(top.path, top.key.value) if top.key is not None else top.path


def load(text: str) -> Any:
    """The data of one YAML document, or `StrictYamlError` / `yaml.YAMLError` (with marks)."""
    if len(text) > MAX_BYTES:
        raise StrictYamlError(None, f"is larger than {MAX_BYTES // (1024 * 1024)} MB")
    loader = StrictLoader(text)
    # Trap: the cyclic garbage collector runs again and again while thousands of nodes are
    # made, and costs more than the parse itself (3x on a 5,000-partner file). Nodes hold
    # no cycles, so it is paused for the load.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
        if was_enabled:
            gc.enable()
