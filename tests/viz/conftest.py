"""Rendering pictures with Graphviz's ``dot`` and reading the SVG back as XML."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ElementTree
from collections import Counter

import pytest

SVG = "{http://www.w3.org/2000/svg}"
NUMBER_PAIR = re.compile(r"(-?\d+(?:\.\d+)?)[, ](-?\d+(?:\.\d+)?)")


GRAPH_NODE = re.compile(r"^n\d+$")


class Picture:
    """An SVG drawn by ``dot``: its node and cluster groups by their titles (node
    ids, cluster names), and its edge groups as (``tail->head``, group) pairs.
    Only the graph's own nodes (``n0``, ``n1``, …) and the edges between them
    count; the legend, the verdict box and layout helpers are kept apart."""

    def __init__(self, svg: bytes):
        self.root = ElementTree.fromstring(svg)
        nodes = dict(self._groups("node"))
        self.nodes = {title: g for title, g in nodes.items() if GRAPH_NODE.match(title)}
        self.verdict = nodes.get("verdict")
        clusters = dict(self._groups("cluster"))
        self.legend = clusters.pop("cluster_legend", None)
        self.clusters = clusters
        self.all_edges = self._groups("edge")
        self.edges = [(title, g) for title, g in self.all_edges
                      if all(GRAPH_NODE.match(end) for end in title.split("->"))]

    def _groups(self, kind: str) -> list:
        return [(g.findtext(f"{SVG}title"), g) for g in self.root.iter(f"{SVG}g") if g.get("class") == kind]

    @staticmethod
    def text(group) -> str:
        return " ".join((t.text or "").strip() for t in group.iter(f"{SVG}text"))

    def graph_text(self) -> str:
        """The text drawn outside every node and cluster (the graph's label)."""
        graph = next(g for g in self.root.iter(f"{SVG}g") if g.get("class") == "graph")
        return " ".join((t.text or "").strip() for t in graph.findall(f"{SVG}text"))

    def legend_samples(self) -> dict:
        """The legend: each entry's text -> the stroke attributes of its line sample."""
        if self.legend is None:
            return {}
        groups = {title: g for title, g in self._groups("node") + self.all_edges}
        samples = {}
        for title, g in self.all_edges:
            tail, _, head = title.partition("->")
            if tail.startswith("legend") and tail.endswith("a") and head.startswith("legend"):
                path = self.line(g)
                samples[self.text(groups[head])] = {k: path.get(k) for k in ("stroke", "stroke-dasharray")}
        return samples

    def node(self, fragment: str) -> str:
        """The id of the one node whose text contains ``fragment``."""
        found = [title for title, g in self.nodes.items() if fragment in self.text(g)]
        assert len(found) == 1, f"{len(found)} nodes contain {fragment!r}"
        return found[0]

    def label(self, fragment: str) -> str:
        """The text of the one node whose text contains ``fragment``."""
        return self.text(self.nodes[self.node(fragment)])

    def cluster(self, fragment: str) -> str:
        found = [title for title, g in self.clusters.items() if fragment in self.text(g)]
        assert len(found) == 1, f"{len(found)} clusters contain {fragment!r}"
        return found[0]

    def inside(self, node: str, cluster: str) -> bool:
        """Whether ``dot`` drew the node within the cluster's outline."""
        first_text = next(self.nodes[node].iter(f"{SVG}text"))
        x, y = float(first_text.get("x")), float(first_text.get("y"))
        outline = next(e for e in self.clusters[cluster] if e.tag in (f"{SVG}path", f"{SVG}polygon"))
        points = NUMBER_PAIR.findall(outline.get("d") or outline.get("points"))
        xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
        return min(xs) < x < max(xs) and min(ys) < y < max(ys)

    def edge_colours(self) -> Counter:
        """How many edges are stroked in each colour."""
        return Counter(self.line(g).get("stroke") for _, g in self.edges)

    @staticmethod
    def line(edge):
        """The path element that draws an edge."""
        return next(edge.iter(f"{SVG}path"))

    def fill(self, node: str) -> str:
        shape = next(e for e in self.nodes[node].iter() if e.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse"))
        return shape.get("fill")


@pytest.fixture
def render():
    """``render(digraph)``: the picture as ``dot`` draws it, as a :class:`Picture`."""
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz dot program is not installed")
    return lambda graph: Picture(graph.pipe(format="svg"))
