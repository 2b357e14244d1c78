"""Exact L-inf separation of labelled data (closer_look §3 / Table 1, cake §5 / Table 2).

For a query point with label y, its *separation* is the L-inf distance to the nearest reference
point with a label other than y. ``Train-Train`` uses the training set as queries and references
(a point is never its own neighbour since labels differ); ``Test-Train`` uses test queries. The
papers report the minimum over queries, which is 2r in the r-separation definition.

Everything is computed on uint8 pixels, so distances are exact integers k and the reported
values are k / 255 (images scaled like torchvision's ``ToTensor``).

Algorithm: exact brute force over int16 blocks sized to stay in cache, with one pruning rule
that cannot change the answer: a block of references is skipped for a block of queries when a
lower bound on every distance in it (the L-inf distance between 4x4 max- and min-pooled images,
which never exceeds the true distance) is already >= the best distance each query has found.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .errors import ConfigError


def _flat_uint8(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.dtype != torch.uint8:
        raise ConfigError(f"{name} must be uint8 pixels (got {x.dtype})")
    return x.reshape(len(x), -1)


def _features(x: torch.Tensor, side: int | None, pool: int) -> torch.Tensor:
    """Max- and min-pooled images (float): each coordinate is 1-Lipschitz in L-inf, so |phi(q) - phi(r)| <= d(q, r)."""
    if side is None or side * side != x.shape[1] or side % pool:
        return x.float()
    img = x.view(len(x), 1, side, side).float()
    return torch.cat([F.max_pool2d(img, pool).flatten(1), (-F.max_pool2d(-img, pool)).flatten(1)], 1)


def nearest_other_label(queries: torch.Tensor, q_labels: torch.Tensor, refs: torch.Tensor,
                        r_labels: torch.Tensor, *, q_block: int = 16,
                        r_block: int = 2048, progress: bool = True,
                        desc: str = "separation") -> tuple[torch.Tensor, torch.Tensor]:
    """Exact L-inf distance (uint8 units) from each query to the nearest reference of another label.

    Returns ``(dist, index)``: int64 tensors of length ``len(queries)``; ``index`` points into ``refs``.
    A query with no reference of another label gets distance 256 and index -1. For the minimum alone,
    :func:`min_separation` is much faster.
    """
    q = _flat_uint8(queries, "queries")
    r = _flat_uint8(refs, "refs")
    if q.shape[1] != r.shape[1]:
        raise ConfigError(f"queries have {q.shape[1]} features but refs have {r.shape[1]}")
    if len(q_labels) != len(q) or len(r_labels) != len(r):
        raise ConfigError("labels must have one entry per point")
    side = int(round(q.shape[1] ** 0.5))
    best = torch.full((len(q),), 256, dtype=torch.int64)
    best_idx = torch.full((len(q),), -1, dtype=torch.int64)
    q16, r16 = q.to(torch.int16), r.to(torch.int16)
    # Integer lower-bound features (pooled values of uint8 pixels are integers, so int16 is exact).
    qp, rp = _features(q, side, 4).to(torch.int16), _features(r, side, 4).to(torch.int16)
    q_labels, r_labels = q_labels.long(), r_labels.long()
    # Sort queries by label so that a query block mostly shares one label.
    order = torch.argsort(q_labels, stable=True)
    for start in tqdm(range(0, len(q), q_block), desc=desc, disable=not progress, mininterval=2):
        qi = order[start:start + q_block]
        qb, qpb, qyb = q16[qi], qp[qi], q_labels[qi]
        bb, bi = best[qi].clone(), best_idx[qi].clone()
        for rs in range(0, len(r), r_block):
            rb, ryb = r16[rs:rs + r_block], r_labels[rs:rs + r_block]
            other = qyb[:, None] != ryb[None, :]                       # (Q, R) valid pairs
            lb = (qpb[:, None, :] - rp[None, rs:rs + r_block, :]).abs_().amax(2)
            need = other & (lb < bb[:, None])
            if not need.any():
                continue
            cols = need.any(0).nonzero().squeeze(1)
            d = (qb[:, None, :] - rb[None, cols, :]).abs_().amax(2).long()
            d = torch.where(need[:, cols], d, torch.full_like(d, 256))
            m, j = d.min(1)
            better = m < bb
            bb = torch.where(better, m, bb)
            bi = torch.where(better, cols[j] + rs, bi)
        best[qi], best_idx[qi] = bb, bi
    return best, best_idx


def _violation_codes(phi: torch.Tensor, threshold: int, levels: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """0/1 codes A, B with A(q) . B(r) = number of (feature, level) pairs proving d(q, r) > threshold.

    For a level L, phi_i(q) > threshold + L together with phi_i(r) <= L forces phi_i(q) - phi_i(r) > threshold.
    """
    above = torch.cat([(phi > threshold + lv) for lv in levels], 1).float()
    below = torch.cat([(phi <= lv) for lv in levels], 1).float()
    return torch.cat([above, below], 1), torch.cat([below, above], 1)


def min_separation(queries: torch.Tensor, q_labels: torch.Tensor, refs: torch.Tensor, r_labels: torch.Tensor, *,
                   sample: int = 256, levels: int = 4, pool: int = 4, q_block: int = 2048, r_block: int = 8192,
                   progress: bool = True, desc: str = "min separation", seed: int = 0) -> tuple[int, int, int]:
    """Exact minimum over queries of the distance to another label: ``(k, query index, ref index)``.

    1. An upper bound U from the exact nearest neighbours of a random sample of queries.
    2. A filter that keeps every pair that could be closer than U, as one matrix product per block:
       counts of "violations" between pooled features at a few levels (zero for every pair with d < U).
    3. Exact distances for the surviving pairs only. Nothing closer than U can be missed.
    """
    q, r = _flat_uint8(queries, "queries"), _flat_uint8(refs, "refs")
    if q.shape[1] != r.shape[1]:
        raise ConfigError(f"queries have {q.shape[1]} features but refs have {r.shape[1]}")
    q_labels, r_labels = q_labels.long(), r_labels.long()
    g = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(q), generator=g)[:sample]
    d, j = nearest_other_label(q[pick], q_labels[pick], r, r_labels, progress=False)
    best, bi, bj = int(d.min()), int(pick[d.argmin()]), int(j[d.argmin()])
    threshold = best - 1
    if threshold < 0:
        return best, bi, bj
    side = int(round(q.shape[1] ** 0.5))
    lv = sorted({int(v) for v in torch.linspace(0, max(0, 254 - threshold), levels).round()})
    phi_r = _features(r, side, pool)
    _, code_r = _violation_codes(phi_r, threshold, lv)
    code_r = code_r.T.contiguous()
    for qs in tqdm(range(0, len(q), q_block), desc=desc, disable=not progress, mininterval=2):
        code_q, _ = _violation_codes(_features(q[qs:qs + q_block], side, pool), threshold, lv)
        qy = q_labels[qs:qs + q_block]
        for rs in range(0, len(r), r_block):
            counts = code_q @ code_r[:, rs:rs + r_block]
            cand = ((counts == 0) & (qy[:, None] != r_labels[None, rs:rs + r_block])).nonzero()
            if len(cand) == 0:
                continue
            for cs in range(0, len(cand), 65536):
                ci, cj = cand[cs:cs + 65536, 0] + qs, cand[cs:cs + 65536, 1] + rs
                dist = (q[ci].to(torch.int16) - r[cj].to(torch.int16)).abs_().amax(1)
                k = int(dist.argmin())
                if int(dist[k]) < best:
                    best, bi, bj = int(dist[k]), int(ci[k]), int(cj[k])
    return best, bi, bj


def brute_force(queries: np.ndarray, q_labels: np.ndarray, refs: np.ndarray, r_labels: np.ndarray) -> np.ndarray:
    """Reference implementation (numpy, O(n m d) memory per query): used by the tests."""
    q = queries.reshape(len(queries), -1).astype(np.int64)
    r = refs.reshape(len(refs), -1).astype(np.int64)
    out = np.full(len(q), 256, dtype=np.int64)
    for k in range(len(q)):
        mask = r_labels != q_labels[k]
        if mask.any():
            out[k] = np.abs(r[mask] - q[k]).max(1).min()
    return out
