"""What a model was fitted on: the dataset, labels and trials of its training data.

:func:`~mne_mmvsstma.finetune` records them (``dataset_``, ``event_id_``,
``fit_trials_``); :func:`~mne_mmvsstma.evaluate` checks test data against
them, so that no trial a model was fitted on is scored as a test trial.
"""

from __future__ import annotations

import numpy as np
from mne.utils import _on_missing

from ..features._inputs import _as_recordings


def _identity(data):
    """``(data, dataset, event_id)`` of recordings or Epochs (folders are read once)."""
    from ..features._inputs import _is_epochs

    recs = _as_recordings(data, "X")
    if recs is not None:
        datasets = sorted({str(r.dataset) for r in recs})
        if len(datasets) > 1:
            raise ValueError(f"X mixes recordings of several datasets ({datasets})")
        event_id = getattr(recs[0], "event_id", None)
        return recs, datasets[0], None if event_id is None else dict(event_id)
    if _is_epochs(data):
        return data, None, dict(data.event_id)
    return data, None, None


def _trials_of(data):
    """The trials ``data`` holds, per recording: ``[{dataset, subject, session, trials}]``.

    Known for recordings (and folders) and for Epochs whose metadata has
    ``subject``, ``session`` and ``trial`` columns (the readers' Epochs);
    ``None`` for arrays, whose trials cannot be told apart from another
    recording's. Trials are the 0-based ids of the recordings.
    """
    from ..features._inputs import _is_epochs

    recs = _as_recordings(data, "X")
    if recs is not None:
        parts = [(str(r.dataset), int(r.subject), int(r.session), r.trial_ids) for r in recs]
    elif _is_epochs(data) and data.metadata is not None and \
            {"subject", "session", "trial"} <= set(data.metadata.columns):
        meta = data.metadata
        parts = []
        for (sub, ses), rows in meta.groupby(["subject", "session"], sort=True):
            name = str(rows["dataset"].iloc[0]) if "dataset" in rows.columns else None
            parts.append((name, int(sub), int(ses), rows["trial"].to_numpy()))
    else:
        return None
    out = {}
    for dataset, subject, session, trials in parts:
        key = (dataset, subject, session)
        old = out.get(key, [])
        out[key] = sorted(set(old) | {int(t) for t in np.unique(trials)})
    return [dict(dataset=d, subject=sub, session=ses, trials=t)
            for (d, sub, ses), t in out.items()]


def _format_trials(trials):
    """Trials (0-based ids) as the files number them: ``1-16, 18``."""
    nums = sorted(int(t) + 1 for t in trials)
    runs, start = [], None
    for i, n in enumerate(nums):
        if start is None:
            start = n
        if i + 1 == len(nums) or nums[i + 1] != n + 1:
            runs.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(runs)


def _fitted_trials(model, dataset, subject, session):
    """The trials (0-based ids) of one recording a classifier was fitted on, or None.

    Parameters
    ----------
    model : EmotionClassifier
        A classifier fitted by :func:`~mne_mmvsstma.finetune` (its ``fit_trials_``).
    dataset : str | None
        Dataset of the recording (``None``: any).
    subject, session : int
        The recording.

    Returns
    -------
    trials : list of int | None
        ``None`` when the classifier does not know the trials it was
        fitted on (array inputs), an empty list when it was not fitted on
        this recording.
    """
    record = getattr(model, "fit_trials_", None)
    if record is None:
        return None
    out = set()
    for r in record:
        same = dataset is None or r["dataset"] is None or str(r["dataset"]) == str(dataset)
        if same and int(r["subject"]) == int(subject) and int(r["session"]) == int(session):
            out |= {int(t) for t in r["trials"]}
    return sorted(out)


def _check_not_fitted_on(models, test, on_fitted_trials):
    """Refuse to score trials a classifier was fitted on as test trials (names them)."""
    if test is None:
        return
    for k, model in enumerate(models):
        for part in test:
            fitted = _fitted_trials(model, part["dataset"], part["subject"], part["session"])
            both = sorted(set(fitted or ()) & set(part["trials"]))
            if not both:
                continue
            who = "The classifier" if len(models) == 1 else f"Member {k} of the ensemble"
            name = f"{part['dataset'] or ''} sub-{part['subject']} ses-{part['session']}"
            _on_missing(
                on_fitted_trials,
                f"{who} was fitted on trials {_format_trials(fitted)} of {name.strip()}, and X "
                f"holds windows of trials {_format_trials(both)} of them: a score on trials "
                "a classifier was fitted on is not a test score. Evaluate the other trials "
                "(e.g. split_recording with the number of training trials the classifier was "
                "fitted with), or pass on_fitted_trials='ignore' to score them anyway.",
                name="on_fitted_trials")


def _check_identity(model, dataset, event_id):
    """Refuse data of another dataset / label coding than the model's (names both)."""
    mine = getattr(model, "dataset_", None)
    my_ids = getattr(model, "event_id_", None)
    if mine is not None and dataset is not None and mine != dataset:
        raise ValueError(
            f"The classifier was fitted on {mine} data (event_id {my_ids}) but X is {dataset} "
            f"data (event_id {event_id}); a classifier only predicts the dataset and "
            "emotion coding it was fitted on")
    if my_ids is not None and event_id is not None and \
            {str(k): int(v) for k, v in my_ids.items()} != \
            {str(k): int(v) for k, v in event_id.items()}:
        raise ValueError(
            f"The classifier was fitted with event_id {my_ids} ({mine or 'unknown dataset'}) "
            f"but X has event_id {event_id} ({dataset or 'unknown dataset'}); the label "
            "codes mean other emotions")

