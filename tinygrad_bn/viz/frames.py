"""The frames of a picture: which regions are drawn around the nodes, and their titles.

Every region (:mod:`tinygrad_bn.annotations`) can be a frame, with three exceptions
that would only add borders:

- a container's region (``Sequential``, ``ModuleList``, ``ModuleDict``): its layers
  have frames of their own;
- a region whose only content is one inner region is drawn as one frame with it,
  titled with both (``1 · BatchNorm1d`` around ``batch_norm · composite`` is
  ``1 · BatchNorm1d · composite``);
- a region whose only content is one folded region: the fold takes its title;
- a module's region around one op and nothing else (a ReLU layer): the op takes its title.

Leaves (inputs, parameters) are drawn in the innermost frame that holds all their
consumers, so they follow their consumers out of a frame that is not drawn.
Frames of a recorded backward (kind ``"backward"``) are always drawn.

A module's region is titled with the module's path (``features.1 · BatchNorm2d``):
its path in ``model`` when the picture has one, else its name inside the module
whose forward called it.
"""

from __future__ import annotations

from collections import defaultdict

from tinygrad_bn.nn import Module, ModuleDict, ModuleList, Sequential

CONTAINERS = (Sequential, ModuleList, ModuleDict)


def module_paths(model) -> dict:
    """``{module: path}`` for ``model`` and every module inside it ({} without one)."""
    return {} if model is None else {module: path for path, module in model.named_modules()}


def _module_path(region, outer: tuple, paths: dict) -> str:
    """The path of the module that opened ``region``, inside the regions ``outer``."""
    owner = region.owner
    if owner in paths:
        return paths[owner]
    for depth in range(len(outer) - 1, -1, -1):
        parent = outer[depth].owner
        if isinstance(parent, Module):
            name = next((name for name, child in parent._modules.items() if child is owner), None)
            if name is None:
                return ""
            prefix = _module_path(outer[depth], outer[:depth], paths)
            return f"{prefix}.{name}" if prefix else name
    return ""


def own_title(region, outer: tuple, paths: dict) -> str:
    """A region's title by itself: its label, after its module's path for a module's."""
    if isinstance(region.owner, Module):
        path = _module_path(region, outer, paths)
        return f"{path} · {region.label}" if path else region.label
    return region.label


def _inner_title(region) -> str:
    """What an inner region adds to the title of the frame it shares: its label
    without its kind, which the outer title says already."""
    return "" if region.label == region.kind else region.label.removeprefix(f"{region.kind} · ")


class Frames:
    """The frames drawn for a picture's placements (see the module docstring).

    ``placements`` maps each node id to the regions around it, outermost first
    (None: not drawn); ``kinds`` gives each node id's kind (``"op"``, ``"fold"``,
    a leaf's). ``drawn[placement]`` is the regions drawn as frames around that
    placement; ``titles`` holds the title of each drawn frame, of each fold and of
    each op that took its frame's title."""

    def __init__(self, placements: dict, kinds: dict, folds: dict, paths: dict):
        self.paths = paths
        self.titles = {}
        self.outer = {region: placement[:depth] for placement in placements.values() if placement is not None
                      for depth, region in enumerate(placement)}  # a region -> the regions around it
        kept = {node_id: self._shown(placement) for node_id, placement in placements.items()
                if placement is not None}
        merged = self._merged(kept, kinds, folds)
        for node_id, fold in folds.items():
            self.titles.setdefault(fold, own_title(fold, placements[node_id] or (), paths))
        self.drawn = {placements[node_id]: tuple(region for region in placement if region not in merged)
                      for node_id, placement in kept.items()}

    @staticmethod
    def _shown(placement: tuple) -> tuple:
        return tuple(region for region in placement if not isinstance(region.owner, CONTAINERS))

    def _merged(self, kept: dict, kinds: dict, folds: dict) -> set:
        """The regions not drawn because their one content (an inner region, a
        fold or an op; leaves follow their consumers) takes their title."""
        contents = defaultdict(set)  # a region -> the inner regions, ops and folds directly in it
        with_leaves = set()  # the regions some leaf is drawn in
        for node_id, placement in kept.items():
            for depth, region in enumerate(placement):
                if depth + 1 < len(placement):
                    contents[region].add(placement[depth + 1])
                elif kinds[node_id] in ("op", "fold"):
                    contents[region].add(node_id)
                else:
                    with_leaves.add(region)
        merged = set()
        for region in sorted(contents.keys() | with_leaves, key=lambda r: len(self.outer[r])):  # outermost first
            title = self.titles.get(region) or own_title(region, self.outer[region], self.paths)
            only = next(iter(contents[region])) if len(contents[region]) == 1 else None
            inner = only if only in self.outer else folds.get(only, only)
            alone = inner is not None and (inner in self.outer or inner in folds.values()
                                           or (region.kind == "module" and region not in with_leaves))
            if not alone or "backward" in (region.kind, getattr(inner, "kind", None)):
                self.titles[region] = title
                continue
            merged.add(region)
            extra = _inner_title(inner) if inner in self.outer or inner in folds.values() else ""
            self.titles[inner] = " · ".join(filter(None, [title, extra]))
        return merged
