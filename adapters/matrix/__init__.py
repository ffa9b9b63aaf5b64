"""The Matrix adapter: matrix-nio's AsyncClient, `/sync` in, HTML messages out."""

from __future__ import annotations

from adapters.matrix._rooms import MatrixCommunity
from adapters.matrix._setup import communities_of, matrix_platform
from adapters.matrix.adapter import MatrixAdapter

__all__ = ["MatrixAdapter", "MatrixCommunity", "communities_of", "matrix_platform"]
