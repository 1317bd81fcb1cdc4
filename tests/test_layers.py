"""The product's layers: the platform, the apps on it, the site on top.

A module may import its own layer or a lower one, never a higher one. The imports are
read from the source (module-level and inside functions), not by importing it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.paths import REPO_ROOT

PLATFORM, APPS, SITE = 0, 1, 2
LAYER_NAMES = {PLATFORM: "platform", APPS: "apps", SITE: "site"}

#: Top-level packages of the product (``tests`` and ``docs`` are not part of it).
PACKAGES = ("synapse", "projects", "timesheets", "support", "surveys")
#: The layer of each package or module: a module takes the layer of its longest listed
#: prefix, so everything else under ``synapse`` is the platform.
LAYERS = {
    "projects": APPS,
    "timesheets": APPS,
    "support": APPS,
    "surveys": APPS,
    "synapse.dashboards": SITE,
    "synapse.api": SITE,
    "synapse.exchange": SITE,
    "synapse.demo": SITE,
    "synapse.bench": SITE,
    # The entry points wire the apps and the site into one project.
    "synapse.urls": SITE,
    "synapse.asgi": SITE,
    "synapse.wsgi": SITE,
    "synapse": PLATFORM,
}

# Why an upward import stays for now, one reason per group of ALLOWED.
API = (
    "the app's API builds on the site's API base classes (filters, serializers, "
    "permissions, viewsets), which call the apps' policies back: moving them into the "
    "platform means passing each policy in"
)

#: Imports from a lower layer into a higher one that stay for now, as (importing module,
#: imported module): reason. The list may only shrink.
ALLOWED: dict[tuple[str, str], str] = {
    ("projects.api.filters", "synapse.api.filters"): API,
    ("projects.api.serializers", "synapse.api.serializers"): API,
    ("projects.api.views", "synapse.api.permissions"): API,
    ("projects.api.views", "synapse.api.viewsets"): API,
    ("support.api.filters", "synapse.api.filters"): API,
    ("support.api.serializers", "synapse.api.serializers"): API,
    ("support.api.views", "synapse.api.permissions"): API,
    ("support.api.views", "synapse.api.viewsets"): API,
    ("surveys.api.filters", "synapse.api.filters"): API,
    ("surveys.api.serializers", "synapse.api.serializers"): API,
    ("surveys.api.views", "synapse.api.permissions"): API,
    ("surveys.api.views", "synapse.api.viewsets"): API,
    ("timesheets.api.serializers", "synapse.api.permissions"): API,
    ("timesheets.api.serializers", "synapse.api.serializers"): API,
    ("timesheets.api.views", "synapse.api.permissions"): API,
    ("timesheets.api.views", "synapse.api.viewsets"): API,
}


def layer_of(module: str) -> int | None:
    """Return the layer of a dotted module name; None for one outside the product."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:end]))
        if layer is not None:
            return layer
    return None


def product_modules() -> Iterator[tuple[str, Path]]:
    """Yield (dotted name, path) of every Python module of the product."""
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def imported_modules(module: str, path: Path, known: set[str]) -> Iterator[str]:
    """Yield every module ``module`` imports, anywhere in its source.

    ``from package import name`` counts as importing ``package.name`` when that is a
    module of the product, else ``package``.
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                name = f"{base}.{alias.name}"
                yield name if name in known else base


def upward_imports() -> dict[tuple[str, str], str]:
    """Return every import of a higher layer, keyed (importer, imported)."""
    modules = dict(product_modules())
    found = {}
    for module, path in modules.items():
        own = layer_of(module)
        for imported in imported_modules(module, path, set(modules)):
            target = layer_of(imported)
            if target is not None and target > own:
                found[(module, imported)] = f"{LAYER_NAMES[own]} → {LAYER_NAMES[target]}"
    return found


def test_the_layers_cover_every_module_of_the_product():
    assert [module for module, _ in product_modules() if layer_of(module) is None] == []


def test_no_layer_imports_a_higher_one():
    found = upward_imports()
    assert sorted(set(found) - set(ALLOWED)) == []


def test_the_allow_list_only_names_imports_that_still_exist():
    assert sorted(set(ALLOWED) - set(upward_imports())) == []
