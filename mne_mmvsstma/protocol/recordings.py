"""The recordings of a protocol run: reading, the split into training and test trials, and
the pretraining corpus.

For every (subject, session) recording the first ``n_train_trials`` trials
(SEED-IV 16, SEED-V 9, SEED 9) are the training part and the remaining trials
the test part (:func:`split_recording`); NaN eye features are filled in each
part separately, so that no test statistic fills a training value.

Pretraining data: the extractors are pretrained on the unlabeled *training
parts* of all recordings of a run, never on test trials; the EEG extractors
can learn from another DE family of the same training windows
(:func:`pretraining_parts`, :func:`resolve_pretrain_feature`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..utils import check_option, fill_doc, logger

DEFAULT_TRAIN_TRIALS = {"SEED-IV": 16, "SEED-V": 9, "SEED": 9}


def default_n_train_trials(dataset):
    """Number of training trials per session of the paper's protocol."""
    if dataset not in DEFAULT_TRAIN_TRIALS:
        raise ValueError(
            f"No default number of training trials for dataset {dataset!r}; pass n_train_trials"
        )
    return DEFAULT_TRAIN_TRIALS[dataset]


def subset_recording(rec, mask):
    """Return a copy of a FeatureRecording with the windows where ``mask`` is True."""
    mask = np.asarray(mask, dtype=bool)
    return dataclasses.replace(
        rec,
        eeg=None if rec.eeg is None else rec.eeg[mask],
        eye=None if rec.eye is None else rec.eye[mask],
        labels=rec.labels[mask],
        trial_ids=rec.trial_ids[mask],
    )


def split_recording(rec, n_train_trials=None, *, fill_eye=None):
    """Split a recording into its first ``n_train_trials`` trials and the rest.

    Parameters
    ----------
    rec : FeatureRecording
        One subject-session.
    n_train_trials : int | None
        Number of training trials (``None``: the dataset's default, 16 for
        SEED-IV, 9 for SEED-V and SEED). Trials are ordered by trial id.
    fill_eye : str | None
        If given, NaN eye features of each part are filled separately
        (:func:`~mne_mmvsstma.features.fill_eye_nan` method, within trials).

    Returns
    -------
    train, test : FeatureRecording
    """
    from ..features._inputs import check_fill_eye

    check_fill_eye(fill_eye)
    if n_train_trials is None:
        n_train_trials = default_n_train_trials(rec.dataset)
    trials = np.unique(rec.trial_ids)
    if not 1 <= n_train_trials < len(trials):
        raise ValueError(
            f"{rec!r}: n_train_trials={n_train_trials} must be between 1 and the number of "
            f"trials minus one ({len(trials) - 1})"
        )
    train_mask = np.isin(rec.trial_ids, trials[:n_train_trials])
    parts = [subset_recording(rec, train_mask), subset_recording(rec, ~train_mask)]
    if fill_eye is not None:
        parts = _fill_eye(parts, fill_eye)
    return parts[0], parts[1]


def _fill_eye(recs, fill_eye):
    from ..features import fill_eye_nan
    from ..features._inputs import check_fill_eye, check_recording_finite

    check_fill_eye(fill_eye)
    out = []
    for rec in recs:
        if rec.eye is not None and not np.isfinite(rec.eye).all():
            if fill_eye is None:
                check_recording_finite(rec, "eye")
            n_bad = int((~np.isfinite(rec.eye)).sum())
            logger.debug(f"{rec!r}: filling {n_bad} NaN eye values ({fill_eye})")
            rec = dataclasses.replace(rec, eye=fill_eye_nan(rec.eye, rec.trial_ids,
                                                            method=fill_eye))
        out.append(rec)
    return out


@fill_doc
def read_recordings(root, *, dataset=None, subjects=None, sessions=None, fill_eye=None,
                    allow_partial=False, feature=None):
    """Read the feature recordings of a dataset folder.

    Parameters
    ----------
    root : path-like
        Dataset folder.
    dataset : str | None
        Dataset name (``None``: detected).
    subjects, sessions : list of int | None
        Selection (``None``: all).
    fill_eye : str | None
        :func:`~mne_mmvsstma.features.fill_eye_nan` method applied to whole
        recordings; ``None`` keeps NaN (fill the training and test parts
        separately with :func:`split_recording`'s ``fill_eye``, as
        :func:`run_protocol` does, so that no test statistic fills a
        training value).
    %(allow_partial)s
    feature : str | None
        EEG feature family of SEED and SEED-IV files (e.g. ``"de_movingAve"``;
        ``None``: the readers' default, ``"de_LDS"``). SEED-V files hold one
        DE family: a feature other than ``None`` is an error there.

    Returns
    -------
    recordings : list of FeatureRecording
    """
    from ..datasets import read_features
    from ..utils import check_path

    root = check_path(root, kind="Dataset folder", is_dir=True)  # missing vs a file
    kwargs = {}
    if subjects is not None:
        kwargs["subjects"] = list(subjects)
    if sessions is not None:
        kwargs["sessions"] = list(sessions)
    if feature is not None:
        from ..datasets._read import _normalize_dataset, detect_dataset

        name = detect_dataset(root) if dataset is None else _normalize_dataset(dataset)
        if name == "SEED-V":
            raise ValueError(f"feature={feature!r}: SEED-V files hold one DE feature family "
                             "(EEG_DE_features/); leave feature=None")
        kwargs["feature"] = feature
    # NaN eye values are counted and handled here (the reader's notice is silenced)
    recs = read_features(root, dataset=dataset, allow_partial=allow_partial, verbose="error",
                         **kwargs)
    if not recs:
        raise ValueError(f"No recordings found in {root} (subjects={subjects}, "
                         f"sessions={sessions})")
    n_nan = sum(int(np.isnan(r.eye).sum()) for r in recs if r.eye is not None)
    if n_nan:
        logger.info(f"{recs[0].dataset}: {n_nan} NaN eye-feature values in {len(recs)} "
                    "recordings")
    return recs if fill_eye is None else _fill_eye(recs, fill_eye)


def resolve_pretrain_feature(feature, dataset, recipe="default"):
    """The EEG feature family of a pretraining corpus, ``None`` for the classifiers' own.

    ``feature=None`` takes the recipe's ``pretrain_feature``; ``"de_LDS"``
    (the classifiers' features) gives ``None``. SEED-V files hold one DE
    family: the recipe's setting is ignored there (logged) and a given
    feature is an error.
    """
    from ..training.recipe import PRETRAIN_FEATURES, get_recipe

    given = feature is not None
    feature = get_recipe(recipe)["pretrain_feature"] if feature is None else feature
    if feature is None:
        return None
    check_option("pretrain_feature", feature, PRETRAIN_FEATURES)
    if dataset == "SEED-V":
        if given:
            raise ValueError(f"pretrain_feature={feature!r}: SEED-V files hold one DE feature "
                             "family; leave pretrain_feature=None")
        logger.info(f"SEED-V has one DE feature family: pretraining on it (the recipe's "
                    f"{feature} is for SEED and SEED-IV)")
        return None
    return None if feature == "de_LDS" else feature


@fill_doc
def pretraining_parts(root, recs, n_train_trials=None, *, feature, allow_partial=False):
    """The training parts of ``recs`` read with another EEG feature family.

    The EEG extractors can be pretrained on other features of the same
    windows than the ones the classifiers see (e.g. ``de_movingAve``, which
    varies within trials, for classifiers of ``de_LDS``). The windows, trials
    and labels must be those of ``recs``: a file whose ``feature`` trials do
    not match is an error naming it. The default recipe of
    :func:`~mne_mmvsstma.protocol.run_protocol` pretrains its EEG extractors
    on ``pretraining_parts(root, recs, feature="de_movingAve")``; pass them
    to :func:`~mne_mmvsstma.pretrain` to do the same by hand.

    Parameters
    ----------
    root : path-like
        The dataset folder of ``recs``.
    recs : list of FeatureRecording
        The recordings of the run (as read by :func:`read_recordings`).
    n_train_trials : int | None
        Training trials per recording (see :func:`split_recording`).
    feature : ``"de_LDS"`` | ``"de_movingAve"``
        EEG feature family.
    %(allow_partial)s

    Returns
    -------
    parts : list of FeatureRecording
        The training part of every recording, EEG only, in the order of
        ``recs``; no test window is read into them.
    """
    from ..features._inputs import check_recording_finite
    from ..training.recipe import PRETRAIN_FEATURES

    check_option("pretrain_feature", feature, PRETRAIN_FEATURES)
    other = read_recordings(root, dataset=recs[0].dataset,
                            subjects=sorted({r.subject for r in recs}),
                            sessions=sorted({r.session for r in recs}),
                            allow_partial=allow_partial, feature=feature)
    by_key = {(r.subject, r.session): r for r in other}
    parts = []
    for rec in recs:
        alt = by_key.get((rec.subject, rec.session))
        if alt is None or alt.eeg is None or alt.eeg.shape != rec.eeg.shape or not (
                np.array_equal(alt.trial_ids, rec.trial_ids)
                and np.array_equal(alt.labels, rec.labels)):
            what = "is missing" if alt is None else (
                "has no EEG" if alt.eeg is None else
                f"has {alt.eeg.shape} windows x channels x bands and "
                f"{len(np.unique(alt.trial_ids))} trials, the classifiers' features "
                f"{rec.eeg.shape} and {len(np.unique(rec.trial_ids))}")
            raise ValueError(f"{rec!r}: its {feature} features (pretraining corpus) {what}; "
                             "they must hold the same windows and trials")
        train = split_recording(dataclasses.replace(alt, eye=None), n_train_trials)[0]
        check_recording_finite(train, "eeg", part=f"training trials ({feature})")
        parts.append(train)
    return parts

