"""Training recipes: the benchmarked default and the paper's hyperparameters.

The ``"default"`` recipe is the one chosen on the real SEED-IV features of two
development sessions with ``benchmarks/real_accuracy.py`` (``doc/recipe.rst``)
at a size a CPU affords; the defaults of :class:`~mne_mmvsstma.Pretrainer`,
:class:`~mne_mmvsstma.EmotionClassifier`, :func:`~mne_mmvsstma.pretrain`,
:func:`~mne_mmvsstma.finetune`, :func:`~mne_mmvsstma.protocol.run_protocol` and
the command line are its values. ``"paper"`` holds the published
hyperparameters (6 + 6 hybrid blocks, 100 pretraining epochs at 1.5e-4, mask
ratio 0.3, end-to-end fine-tuning), which need a GPU.
"""

from __future__ import annotations

import copy

from ..utils import check_option

# architecture of the default recipe: 1 encoder + 1 decoder hybrid block, one head of width
# 16, one feature vector per channel (the mean of its tokens over the window)
CPU_ARCH = dict(emb_dim=16, n_layers=1, n_decoder_layers=1, n_heads=1, head_dim=16,
                pool="channels")
PAPER_ARCH = dict(emb_dim=16, n_layers=6, n_decoder_layers=6, n_heads=6, head_dim=16,
                  pool="channels")
SMALL_ARCH = dict(emb_dim=16, n_layers=2, n_decoder_layers=2, n_heads=4, head_dim=8,
                  pool="channels")
#: the network sizes a command line's ``--model-size`` names
MODEL_SIZES = {"paper": PAPER_ARCH, "small": SMALL_ARCH, "demo": CPU_ARCH}

#: shrinkage of a Pretrainer's feature whitening with ``whitening="auto"``, per modality
#: (chosen on the real SEED-IV development sessions, ``benchmarks/README.md``)
AUTO_WHITENING = {"eeg": 0.1, "eye": 3.0}

#: what a Pretrainer's masked channels are compared with (its ``target``)
PRETRAIN_TARGETS = ("self", "stimulus", "teacher")

#: EEG feature families a pretraining corpus can be read from (SEED and SEED-IV files hold
#: both smoothings of the differential entropy; the classifiers always see de_LDS)
PRETRAIN_FEATURES = ("de_LDS", "de_movingAve")

RECIPES = {
    "default": dict(
        model_kwargs=CPU_ARCH,
        pretrain_epochs=3,
        pretrain_mask_ratio=0.7,
        pretrain_target="self",
        pretrain_lr=1e-3,
        pretrain_batch_size=64,
        # whitening of the features (shrinkage: EEG 0.1, eye 3.0, AUTO_WHITENING) by how the
        # recordings' trials of the same film clip differ (when the stimuli are known:
        # recordings of the SEED family)
        whitening="auto",
        whitening_covariance="auto",
        # the batch normalisations keep their initial statistics after pretraining
        reset_batchnorm=True,
        # SEED / SEED-IV: the EEG extractors learn from de_movingAve, which varies within
        # trials (the classifiers see de_LDS); SEED-V files hold one DE family
        pretrain_feature="de_movingAve",
        finetune_epochs=0,  # the linear probe alone
        finetune_lr=1e-3,
        probe_C=1.0,
        ensemble=None,  # the runner's per-dataset default (SEED-IV 6, SEED-V 3, SEED 5)
    ),
    "paper": dict(
        model_kwargs=PAPER_ARCH,
        pretrain_epochs=100,
        pretrain_mask_ratio=0.3,
        pretrain_target="self",  # the masked autoencoder
        pretrain_lr=1.5e-4,
        pretrain_batch_size=64,
        whitening=None,
        whitening_covariance="auto",
        reset_batchnorm=False,
        pretrain_feature=None,  # the EEG features of the classifiers (de_LDS)
        finetune_epochs=100,  # end to end, early stopping on held-out training trials
        finetune_lr=1e-3,
        probe_C=None,  # the classification layer starts at random, as in the paper
        ensemble=1,
    ),
}


def get_recipe(recipe="default"):
    """The settings of a training recipe.

    Parameters
    ----------
    recipe : ``"default"`` | ``"paper"``
        ``"default"``: the benchmarked recipe (a small model, a few
        pretraining epochs with a high mask ratio, whitened linear probes);
        ``"paper"``: the published hyperparameters.

    Returns
    -------
    settings : dict
        ``model_kwargs``, ``pretrain_epochs``, ``pretrain_mask_ratio``,
        ``pretrain_target`` (the Pretrainer's ``target``),
        ``pretrain_lr``, ``pretrain_batch_size``, ``whitening``,
        ``whitening_covariance``, ``reset_batchnorm``,
        ``pretrain_feature`` (the EEG feature family of the pretraining
        corpus, ``None``: the classifiers' ``de_LDS``; see
        :func:`~mne_mmvsstma.protocol.run_protocol`), ``finetune_epochs``,
        ``finetune_lr``, ``probe_C`` and ``ensemble`` (a copy: changing it changes no default).
    """
    check_option("recipe", recipe, tuple(RECIPES))
    return copy.deepcopy(RECIPES[recipe])


def pretrainer_params(recipe="default"):
    """:class:`~mne_mmvsstma.Pretrainer` parameters of a recipe.

    E.g. ``Pretrainer(**pretrainer_params("paper"))`` for the paper's settings.

    Parameters
    ----------
    recipe : ``"default"`` | ``"paper"``
        The recipe (see :func:`get_recipe`).

    Returns
    -------
    params : dict
    """
    r = get_recipe(recipe)
    return dict(r["model_kwargs"], mask_ratio=r["pretrain_mask_ratio"],
                target=r["pretrain_target"], max_epochs=r["pretrain_epochs"], lr=r["pretrain_lr"],
                batch_size=r["pretrain_batch_size"], whitening=r["whitening"],
                whitening_covariance=r["whitening_covariance"],
                reset_batchnorm=r["reset_batchnorm"])


def classifier_params(recipe="default"):
    """:class:`~mne_mmvsstma.EmotionClassifier` parameters of a recipe.

    Parameters
    ----------
    recipe : ``"default"`` | ``"paper"``
        The recipe (see :func:`get_recipe`).

    Returns
    -------
    params : dict
        Architecture of randomly initialised encoders, ``max_epochs``, ``lr``
        and ``probe_C``.
    """
    r = get_recipe(recipe)
    arch = {k: v for k, v in r["model_kwargs"].items() if k != "n_decoder_layers"}
    return dict(arch, max_epochs=r["finetune_epochs"], lr=r["finetune_lr"],
                probe_C=r["probe_C"])
