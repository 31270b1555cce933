"""Which latent mappers exist, what text each was trained for, and which phrasings mean it.

The 14 mappers released with StyleCLIP (one checkpoint per prompt, `<name>.pt`); `MapperRegistry`
knows which of them (or any other mapper file) are installed in a folder and loads them on demand.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.editing.mapper import LevelsMapper, read_mapper_checkpoint


@dataclass(frozen=True)
class MapperSpec:
    name: str                    # file stem of the released checkpoint
    text: str                    # what it was trained for, as a sentence CLIP can score
    aliases: tuple[str, ...] = ()
    fine: bool = True            # whether it has a fine sub-mapper (hair and expression ones do not)


# name: (trained text, has a fine sub-mapper, aliases). Hair and expression mappers were trained without
# the fine sub-mapper (StyleCLIP's mapper notebook); the identity ones with all three.
_RELEASED = {
    "afro": ("afro hairstyle", False, ("afro", "an afro", "afro hair", "give him an afro", "give her an afro")),
    "angry": ("angry face", False, ("angry", "make him angry", "make her angry", "make it angry", "look angry")),
    "beyonce": ("Beyonce", True, ("beyonce", "like beyonce", "make her look like beyonce")),
    "bobcut": ("bob cut hairstyle", False, ("bobcut", "bob cut", "a bob cut", "bob haircut", "give her a bob cut")),
    "bowlcut": ("bowl cut hairstyle", False, ("bowlcut", "bowl cut", "a bowl cut", "bowl haircut",
                                             "give him a bowl cut")),
    "curly_hair": ("curly hair", False, ("curly hair", "curly", "curls", "curly hairstyle", "make the hair curly",
                                          "face with curly hair")),
    "depp": ("Johnny Depp", True, ("depp", "johnny depp", "like johnny depp", "make him look like johnny depp")),
    "hilary_clinton": ("Hillary Clinton", True, ("hillary clinton", "hilary clinton", "clinton",
                                                 "make her look like hillary clinton")),
    "mohawk": ("mohawk hairstyle", False, ("mohawk", "a mohawk", "mohawk haircut", "give him a mohawk",
                                           "give her a mohawk")),
    "purple_hair": ("purple hair", True, ("purple hair", "make the hair purple", "dye the hair purple",
                                            "face with purple hair")),
    "surprised": ("surprised face", False, ("surprised", "surprise", "look surprised", "make him surprised",
                                            "make her surprised")),
    "taylor_swift": ("Taylor Swift", True, ("taylor swift", "like taylor swift", "make her look like taylor swift")),
    "trump": ("Donald Trump", True, ("trump", "donald trump", "like trump", "make him look like trump")),
    "zuckerberg": ("Mark Zuckerberg", True, ("zuckerberg", "mark zuckerberg", "like zuckerberg",
                                            "make him look like mark zuckerberg")),
}
RELEASED_MAPPERS: dict[str, MapperSpec] = {
    name: MapperSpec(name, text, aliases, fine) for name, (text, fine, aliases) in _RELEASED.items()
}


def normalize_prompt(text: str) -> str:
    """Lower case, punctuation dropped, spaces collapsed: how prompts are compared to aliases."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


class MapperRegistry:
    """Installed mappers: name → checkpoint path, with the specs (text, aliases) that describe them.

    `known` mappers that are not installed are kept in `missing`: the router notices a prompt one of
    them would serve, and `request` hands its name to `fetch` (set by whoever can download it), which
    calls `install` once the file is whole, so the next such prompt uses it.
    """

    def __init__(
        self,
        paths: dict[str, Path],
        specs: dict[str, MapperSpec] | None = None,
        known: Mapping[str, MapperSpec] | None = None,
    ) -> None:
        specs = dict(RELEASED_MAPPERS if specs is None else specs)
        for name in paths:
            specs.setdefault(name, MapperSpec(name, name.replace("_", " ")))
        self.paths = {name: Path(p) for name, p in paths.items()}
        self.specs = {name: specs[name] for name in self.paths}
        self._aliases: dict[str, str] = {}
        for spec in self.specs.values():
            self._add_aliases(spec)
        self.missing = {name: spec for name, spec in (known or {}).items() if name not in self.paths}
        self.fetch: Callable[[str], object] | None = None
        self._loaded: dict[str, LevelsMapper] = {}

    def _add_aliases(self, spec: MapperSpec) -> None:
        for phrase in (spec.name.replace("_", " "), spec.text, *spec.aliases):
            self._aliases.setdefault(normalize_prompt(phrase), spec.name)

    @classmethod
    def from_folder(
        cls,
        folder: str | os.PathLike,
        specs: dict[str, MapperSpec] | None = None,
        known: Mapping[str, MapperSpec] | None = None,
    ) -> MapperRegistry:
        """Every `*.pt` in `folder` is a mapper named by its file stem (`mohawk.pt` → "mohawk")."""
        folder = Path(folder)
        paths = {p.stem: p for p in sorted(folder.glob("*.pt"))} if folder.is_dir() else {}
        return cls(paths, specs, known)

    @classmethod
    def in_memory(cls, mappers: dict[str, LevelsMapper], specs: dict[str, MapperSpec] | None = None) -> MapperRegistry:
        """Mappers built in this process (demo models, tests) rather than read from files."""
        registry = cls({name: Path(f"<in memory: {name}>") for name in mappers}, specs)
        registry._loaded.update(mappers)
        return registry

    def __contains__(self, name: str) -> bool:
        return name in self.paths

    def __len__(self) -> int:
        return len(self.paths)

    def names(self) -> list[str]:
        return sorted(self.paths)

    def by_alias(self, prompt: str) -> MapperSpec | None:
        """The installed mapper a prompt names exactly (after `normalize_prompt`), if any."""
        name = self._aliases.get(normalize_prompt(prompt))
        return self.specs[name] if name else None

    def missing_by_alias(self, prompt: str) -> MapperSpec | None:
        """The known, not installed mapper a prompt names exactly, if any."""
        wanted = normalize_prompt(prompt)
        for spec in self.missing.values():
            if wanted in {normalize_prompt(p) for p in (spec.name.replace("_", " "), spec.text, *spec.aliases)}:
                return spec
        return None

    def request(self, name: str) -> None:
        """Ask for a missing mapper to be fetched (a no-op when nothing can fetch, or it is installed)."""
        if name in self.missing and self.fetch is not None:
            self.fetch(name)

    def install(self, name: str, path: Path) -> None:
        """Add a mapper whose file has just arrived; the next prompt for it uses it."""
        spec = self.missing.pop(name, None) or self.specs.get(name) or MapperSpec(name, name.replace("_", " "))
        self.specs[name] = spec
        self._add_aliases(spec)
        self.paths[name] = Path(path)

    def load(self, name: str, device: str = "cpu") -> LevelsMapper:
        """Load (once) and return the mapper called `name`."""
        if name not in self.paths:
            raise KeyError(f"no mapper named {name!r} is installed (installed: {', '.join(self.names()) or 'none'})")
        if name not in self._loaded:
            mapper, info = read_mapper_checkpoint(self.paths[name])
            if info.description and name not in RELEASED_MAPPERS:
                spec = self.specs[name]
                self.specs[name] = MapperSpec(name, info.description, spec.aliases, spec.fine)
            self._loaded[name] = mapper
        return self._loaded[name].to(device)
