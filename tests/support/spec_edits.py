"""Building blocks of generated spec edits (hypothesis): where a key can be changed, and values of the wrong kind."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def key_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key of a loaded YAML document, as a path of keys and list indexes."""
    paths: list[tuple] = []
    if isinstance(node, dict):
        for key, value in node.items():
            paths.append((*prefix, key))
            paths.extend(key_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths.extend(key_paths(value, (*prefix, index)))
    return paths


def parent_of(root: Any, path: tuple) -> Any:
    for part in path[:-1]:
        root = root[part]
    return root


junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), st.text(max_size=12),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=2),
)
"""Values of every YAML kind: most are the wrong type wherever they land."""
