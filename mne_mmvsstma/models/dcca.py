"""Deep canonical correlation analysis (DCCA) loss (Andrew et al. 2013)."""

from __future__ import annotations

import torch

__all__ = ["dcca_loss"]


def _inv_sqrt_psd(mat: torch.Tensor, eps: float) -> torch.Tensor:
    """``mat^(-1/2)`` of a symmetric positive definite matrix via :func:`torch.linalg.eigh`."""
    evals, evecs = torch.linalg.eigh(mat)
    evals = evals.clamp_min(eps)
    return (evecs * evals.rsqrt().unsqueeze(0)) @ evecs.transpose(-2, -1)


def _sample_span(x: torch.Tensor) -> torch.Tensor:
    """Coordinates ``x Q`` of ``(n, d)`` samples in an orthonormal basis ``Q`` of their span.

    ``Q`` (``d x n``, from a QR factorisation without gradient) spans the rows
    of ``x``, so ``x Q Q^T = x``; ``x`` is returned unchanged when ``d <= n``.
    """
    n, d = x.shape
    if d <= n:
        return x
    with torch.no_grad():
        q = torch.linalg.qr(x.T).Q  # (d, n), orthonormal columns, also for rank-deficient x
    return x @ q


def dcca_loss(
    h1: torch.Tensor,
    h2: torch.Tensor,
    *,
    reg: float = 1e-3,
    out_dim: int | None = None,
    eps: float = 1e-12,
    method: str = "cholesky",
) -> torch.Tensor:
    r"""Negative total canonical correlation of two views (DCCA loss).

    Following Andrew et al. (2013), with centred views :math:`\bar H_1,
    \bar H_2` of ``n`` samples,

    .. math::

        \Sigma_{11} = \tfrac{1}{n-1}\bar H_1^\top \bar H_1 + r I,\quad
        \Sigma_{22} = \tfrac{1}{n-1}\bar H_2^\top \bar H_2 + r I,\quad
        \Sigma_{12} = \tfrac{1}{n-1}\bar H_1^\top \bar H_2,

    :math:`T = \Sigma_{11}^{-1/2}\Sigma_{12}\Sigma_{22}^{-1/2}`, and the
    total correlation is the sum of the (top ``out_dim``) singular values of
    :math:`T`. The loss is minus that sum: ``-min(d1, d2)`` for perfectly
    (linearly) correlated views when ``reg`` is negligible, about 0 for
    independent ones.

    Everything is computed in float64 (autocast disabled) with
    :mod:`torch.linalg`; the singular values are the square roots of the
    eigenvalues (:func:`torch.linalg.eigvalsh`) of :math:`T^\top T` (or
    :math:`T T^\top`, the smaller one). A view wider than the batch
    (``d > n``) is first expressed in an orthonormal basis of the span of its
    ``n`` samples (a QR factorisation computed without gradient): the
    covariances then are ``n x n`` instead of ``d x d`` and the loss and its
    gradient are unchanged, because both depend on a view only through the
    Gram matrix of its samples (the gradient with respect to a view lies in
    the span of its samples). ``method`` selects how the whitening is done:

    ``"eigh"``
        :math:`\Sigma^{-1/2}` from :func:`torch.linalg.eigh`, i.e. literally
        :math:`T` above. Its gradient involves ``1 / (lambda_i - lambda_j)``
        and is NaN when an auto-covariance has repeated eigenvalues (e.g.
        several constant features, where :math:`\Sigma = rI`).
    ``"cholesky"`` (default)
        :math:`T' = L_1^{-1}\Sigma_{12}L_2^{-\top}` with the Cholesky
        factors :math:`\Sigma = LL^\top`. Since :math:`L^{-1} =
        Q\Sigma^{-1/2}` for an orthogonal :math:`Q`, :math:`T'` and
        :math:`T` have the same singular values, so the loss is the same,
        and its gradient stays finite for degenerate covariances.

    Parameters
    ----------
    h1 : torch.Tensor, shape (n_samples, d1)
        Features of the first view (e.g. EEG).
    h2 : torch.Tensor, shape (n_samples, d2)
        Features of the second view (e.g. eye movements), same samples.
    reg : float
        Ridge ``r`` added to both auto-covariances (1e-3 by default).
    out_dim : int | None
        Number of canonical correlations summed (the largest ones); ``None``
        sums all ``min(d1, d2)``.
    eps : float
        Floor of the eigenvalues before inverse square roots and square
        roots (keeps gradients finite).
    method : ``"cholesky"`` | ``"eigh"``
        Whitening of the views, see above.

    Returns
    -------
    torch.Tensor
        Scalar loss with the dtype of the inputs promoted to at least float32
        (float64 inputs give a float64 loss).

    References
    ----------
    .. [1] Andrew, G., Arora, R., Bilmes, J., Livescu, K. (2013). Deep
       canonical correlation analysis. ICML 2013, 1247-1255.
    """
    if not isinstance(h1, torch.Tensor) or not isinstance(h2, torch.Tensor):
        raise TypeError(
            f"dcca_loss: h1 and h2 must be tensors, got {type(h1).__name__}, {type(h2).__name__}"
        )
    if h1.ndim != 2 or h2.ndim != 2:
        raise ValueError(
            f"dcca_loss: h1 and h2 must be 2-D (n_samples, n_features), got shapes "
            f"{tuple(h1.shape)} and {tuple(h2.shape)}"
        )
    n = h1.shape[0]
    if h2.shape[0] != n:
        raise ValueError(
            f"dcca_loss: h1 and h2 must have the same number of samples, got {n} and {h2.shape[0]}"
        )
    if n < 2:
        raise ValueError(f"dcca_loss: at least 2 samples are needed, got {n}")
    if reg < 0:
        raise ValueError(f"dcca_loss: reg must be >= 0, got {reg}")
    if method not in ("cholesky", "eigh"):
        raise ValueError(f"dcca_loss: method must be 'cholesky' or 'eigh', got {method!r}")
    k = min(h1.shape[1], h2.shape[1])
    if out_dim is not None and not 1 <= int(out_dim) <= k:
        raise ValueError(f"dcca_loss: out_dim must be in [1, {k}] or None, got {out_dim}")
    out_dtype = torch.promote_types(torch.promote_types(h1.dtype, h2.dtype), torch.float32)
    with torch.autocast(device_type=h1.device.type, enabled=False):
        x1 = h1.to(torch.float64)
        x2 = h2.to(torch.float64)
        x1 = _sample_span(x1 - x1.mean(dim=0, keepdim=True))
        x2 = _sample_span(x2 - x2.mean(dim=0, keepdim=True))
        eye1 = torch.eye(x1.shape[1], dtype=torch.float64, device=x1.device)
        eye2 = torch.eye(x2.shape[1], dtype=torch.float64, device=x2.device)
        s11 = x1.T @ x1 / (n - 1) + reg * eye1
        s22 = x2.T @ x2 / (n - 1) + reg * eye2
        s12 = x1.T @ x2 / (n - 1)
        if method == "eigh":
            t = _inv_sqrt_psd(s11, eps) @ s12 @ _inv_sqrt_psd(s22, eps)
        else:
            l1 = torch.linalg.cholesky(s11 + eps * eye1)
            l2 = torch.linalg.cholesky(s22 + eps * eye2)
            t = torch.linalg.solve_triangular(l1, s12, upper=False)  # L1^-1 S12
            t = torch.linalg.solve_triangular(l2, t.T, upper=False).T  # (L2^-1 S21 L1^-T)^T
        gram = t @ t.T if t.shape[0] <= t.shape[1] else t.T @ t
        gram = 0.5 * (gram + gram.T)
        sq_sing = torch.linalg.eigvalsh(gram)  # ascending
        n_sum = k if out_dim is None else int(out_dim)
        sq_sing = sq_sing[-n_sum:]
        # correlations dropped with the null spaces of wide views are 0 (floored at eps)
        corr = sq_sing.clamp_min(eps).sqrt().sum() + (n_sum - len(sq_sing)) * eps**0.5
    return (-corr).to(out_dtype)
