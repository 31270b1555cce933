"""Choosing the StyleCLIP method per prompt, and saying why.

Order (cheapest first, as in StyleCLIP's discussion of the three methods):
1. a latent mapper, when an installed one was trained for this prompt (an alias, or CLIP text
   similarity of the sentences above a threshold);
2. a global direction, when the text direction moves a sensible number of StyleSpace channels at some β
   (StyleCLIP's notes: ~10–20 channels for colour, ~100–200 for shape; its inference script searches β
   for more than 20); the search starts at β = 0.15 and walks the grid toward the range;
3. latent optimization otherwise.

A released mapper that a prompt names but that is not installed yet is noted in `Route.pending_mapper`
(the editor asks for it to be fetched) while the next method serves the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.editing.global_direction import DEFAULT_BETA, DirectionTables
from engine.editing.registry import MapperRegistry
from engine.editing.text import TextEncoder
from engine.errors import NoRoute
from engine.values import METHOD_NAMES, Instruction, Method, MethodChoice

DEFAULT_NEUTRAL = "face"  # StyleCLIP's demo neutral text
BETA_GRID = (0.30, 0.25, 0.20, 0.18, 0.15, 0.13, 0.12, 0.11, 0.10, 0.09, 0.08)


@dataclass(frozen=True)
class Route:
    """The router's choice and why."""

    method: Method
    reason: str
    mapper: str | None = None
    similarity: float | None = None
    beta: float | None = None
    num_channels: int | None = None
    pending_mapper: str | None = None  # a known mapper that would serve this prompt but is not installed yet

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method(self.method))


class Router:
    """Pick mapper / global direction / optimization for an instruction (see module docstring).

    Args:
        text: cached CLIP text embeddings (needed for similarity matching and global directions).
        mappers: installed mappers, or None.
        tables: global-direction tables of the generator, or None.
        similarity_threshold: cosine of CLIP sentence embeddings above which a mapper matches.
        min_channels, max_channels: the channel counts a global direction may move.
    """

    def __init__(
        self,
        text: TextEncoder | None,
        mappers: MapperRegistry | None = None,
        tables: DirectionTables | None = None,
        similarity_threshold: float = 0.9,
        min_channels: int = 10,
        max_channels: int = 300,
        beta: float = DEFAULT_BETA,
        beta_grid: tuple[float, ...] = BETA_GRID,
    ) -> None:
        if min_channels < 1 or max_channels < min_channels:
            raise ValueError(f"need 1 <= min_channels <= max_channels, got {min_channels}, {max_channels}")
        self.text = text
        self.mappers = mappers
        self.tables = tables
        self.similarity_threshold = similarity_threshold
        self.min_channels = min_channels
        self.max_channels = max_channels
        self.beta = beta
        self.beta_grid = tuple(sorted(set(beta_grid) | {beta}, reverse=True))

    def route(self, instruction: Instruction, method: MethodChoice = "auto") -> Route:
        """Choose the method for `instruction`; `Route.reason` says why, for the person and for tests.

        Args:
            method: "auto" for the cheapest method that fits, or a method to insist on ("mapper",
                "global_direction", "optimization"); `NoRoute` when the insisted one cannot serve.
        """
        route = self._route(instruction, method)
        if method == "auto" and route.method is not Method.MAPPER:
            pending = self._pending_mapper(instruction)
            if pending is not None:
                route = replace(route, pending_mapper=pending)
        return route

    def _route(self, instruction: Instruction, method: MethodChoice) -> Route:
        if method != "auto" and method not in METHOD_NAMES:
            raise ValueError(f"unknown method {method!r}")
        if method == "optimization":
            return Route(Method.OPTIMIZATION, "optimization: asked for")
        notes = []
        if method in ("auto", "mapper"):
            mapper = self._match_mapper(instruction)
            if mapper is not None:
                return mapper
            installed = self.mappers is not None and len(self.mappers)
            notes.append("no installed mapper matches" if installed else "no mappers installed")
            if method == "mapper":
                raise NoRoute("mapper: " + notes[-1])
        if self.tables is None or self.text is None:
            notes.append("no global-direction tables for this generator")
        else:
            neutral = instruction.neutral or DEFAULT_NEUTRAL
            dt = self.text.direction(instruction.target, neutral)
            beta, count, tried = self._search_beta(dt)
            if beta is not None:
                reason = f"global direction: {count} channels at β={beta:g}"
                return Route(Method.GLOBAL_DIRECTION, reason, beta=beta, num_channels=count)
            notes.append(self._why_no_direction(tried))
        if method == "global_direction":
            raise NoRoute("global direction: " + notes[-1])
        return Route(Method.OPTIMIZATION, "optimization: " + "; ".join(notes))

    def _match_mapper(self, instruction: Instruction) -> Route | None:
        if self.mappers is None or not len(self.mappers):
            return None
        spec = self.mappers.by_alias(instruction.target)
        if spec is not None:
            return Route(Method.MAPPER, f"mapper '{spec.name}': '{instruction.target}' names it", mapper=spec.name)
        if self.text is None:
            return None
        prompt = self.text.plain(instruction.target)
        best_name, best = None, -1.0
        for name in self.mappers.names():
            similarity = float(prompt @ self.text.plain(self.mappers.specs[name].text))
            if similarity > best:
                best_name, best = name, similarity
        if best_name is not None and best >= self.similarity_threshold:
            text = self.mappers.specs[best_name].text
            return Route(
                Method.MAPPER,
                f"mapper '{best_name}': text similarity {best:.2f} ≥ {self.similarity_threshold:g} to '{text}'",
                mapper=best_name,
                similarity=best,
            )
        return None

    def _pending_mapper(self, instruction: Instruction) -> str | None:
        """The known, not installed mapper this prompt names (its name or an alias). Only by name: a 130 MB
        download is not started on a loose resemblance of two sentences."""
        if self.mappers is None or not self.mappers.missing:
            return None
        spec = self.mappers.missing_by_alias(instruction.target)
        return spec.name if spec is not None else None

    def _search_beta(self, dt) -> tuple[float | None, int, list[tuple[float, int]]]:
        """Start at the default β and walk the grid toward [min_channels, max_channels] (the count falls as
        β rises). Returns (β, count, every (β, count) tried); β is None when no β fits."""
        tried = [(self.beta, self.tables.count(dt, self.beta))]
        count = tried[0][1]
        if self.min_channels <= count <= self.max_channels:
            return self.beta, count, tried
        if count < self.min_channels:
            grid = [b for b in self.beta_grid if b < self.beta]
        else:
            grid = [b for b in reversed(self.beta_grid) if b > self.beta]
        for beta in grid:
            count = self.tables.count(dt, beta)
            tried.append((beta, count))
            if self.min_channels <= count <= self.max_channels:
                return beta, count, tried
            if (count < self.min_channels) != (tried[0][1] < self.min_channels):
                break   # jumped over the range: no β in between fits
        return None, count, tried

    def _why_no_direction(self, tried: list[tuple[float, int]]) -> str:
        if all(count < self.min_channels for _, count in tried):
            beta, count = min(tried)
            return f"the global direction moves only {count} channels even at β={beta:g} (needs {self.min_channels})"
        if all(count > self.max_channels for _, count in tried):
            beta, count = max(tried)
            return (f"the global direction moves {count} channels even at β={beta:g} "
                    f"(too entangled, at most {self.max_channels})")
        (b1, c1), (b2, c2) = sorted(tried[-2:])
        return (f"the global direction moves {c1} channels at β={b1:g} and {c2} at β={b2:g}, "
                f"never {self.min_channels}–{self.max_channels}")
