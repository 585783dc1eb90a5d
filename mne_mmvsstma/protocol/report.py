"""Result tables (CSV, Markdown, text) and figures (PNG) of the protocol runner.

The per-fit results table (one row per table, model, setting, subject and
session) is summarised the way the paper reports accuracies: the sessions of a
subject are averaged first, then the mean and the (population, ``ddof=0``)
standard deviation over subjects are given in percent, written ``mean/std``.

Figures are drawn with matplotlib's object-oriented API on an Agg canvas
(:class:`matplotlib.figure.Figure`), so no global backend is changed and no
display is needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RESULT_COLUMNS = [
    "dataset", "table", "model", "setting", "subject", "session", "accuracy",
    "n_train", "n_labeled", "n_test", "n_classes",
]

TABLE_TITLES = {
    "1": "Table 1 - single modality, with vs without pretrained weights",
    "2": "Table 2 - all labels",
    "3": "Table 3 - partial labels",
    "4": "Table 4 - mask ratio on training and test data",
    "baselines": "Baselines - SVM on DE / eye features",
}

# paper values (accuracy %, mean/std over subjects) for the real datasets (SPEC)
PAPER_RESULTS = {
    "SEED-IV": {
        ("1", "MV-SSTMA-EEG", "w/o pretraining"): "56.97/9.56",
        ("1", "MV-SSTMA-EEG", "pretrained"): "85.40/5.25",
        ("1", "MV-SSTMA-EYE", "w/o pretraining"): "64.98/14.60",
        ("1", "MV-SSTMA-EYE", "pretrained"): "78.16/8.26",
        ("2", "MV-SSTMA-EEG", "all labels"): "87.78/6.90",
        ("2", "Concat", "all labels"): "89.56/6.19",
        ("2", "Att", "all labels"): "90.16/5.44",
        ("3", "MV-SSTMA-EEG", None): "87.03",
        ("3", "Concat", None): "88.64",
        ("3", "Att", None): "88.04",
        ("4", "MV-SSTMA-EEG", "mask 30%"): "87.03",
        ("4", "MV-SSTMA-EEG", "mask 50%"): "86.84",
        ("4", "MV-SSTMA-EEG", "mask 70%"): "84.25",
        ("4", "Concat", "mask 30%"): "88.64",
        ("4", "Concat", "mask 50%"): "86.60",
        ("4", "Concat", "mask 70%"): "85.00",
        ("4", "Att", "mask 30%"): "88.04",
        ("4", "Att", "mask 50%"): "89.95",
        ("4", "Att", "mask 70%"): "86.74",
    },
    "SEED-V": {
        ("1", "MV-SSTMA-EEG", "w/o pretraining"): "71.29/10.76",
        ("1", "MV-SSTMA-EEG", "pretrained"): "79.47/9.50",
        ("1", "MV-SSTMA-EYE", "w/o pretraining"): "53.88/6.84",
        ("1", "MV-SSTMA-EYE", "pretrained"): "64.19/6.44",
        ("2", "MV-SSTMA-EEG", "all labels"): "80.41/10.51",
        ("2", "Concat", "all labels"): "81.03/9.31",
        ("2", "Att", "all labels"): "81.38/8.76",
        ("3", "MV-SSTMA-EEG", None): "79.07",
        ("3", "Concat", None): "79.13",
        ("3", "Att", None): "79.20",
        ("4", "MV-SSTMA-EEG", "mask 30%"): "79.07",
        ("4", "MV-SSTMA-EEG", "mask 50%"): "78.44",
        ("4", "MV-SSTMA-EEG", "mask 70%"): "75.59",
        ("4", "Concat", "mask 30%"): "79.13",
        ("4", "Concat", "mask 50%"): "84.15",
        ("4", "Concat", "mask 70%"): "77.81",
        ("4", "Att", "mask 30%"): "79.20",
        ("4", "Att", "mask 50%"): "81.06",
        ("4", "Att", "mask 70%"): "78.29",
    },
}


def _table_key(table):
    order = {"1": 0, "2": 1, "3": 2, "4": 3, "baselines": 4}
    return order.get(str(table), 99), str(table)


def summarize(results):
    """Summarise per-fit results as mean / std over subjects (accuracy in %).

    Parameters
    ----------
    results : pandas.DataFrame
        Rows with at least ``table``, ``model``, ``setting``, ``subject``,
        ``session`` and ``accuracy`` (0..1).

    Returns
    -------
    summary : pandas.DataFrame
        One row per ``(dataset, table, model, setting)`` with ``n_subjects``,
        ``n_fits``, ``mean``, ``std`` (percent; sessions averaged within a
        subject first, ``ddof=0``) and ``mean/std`` (the paper's format).
    """
    import pandas as pd

    cols = ["dataset", "table", "model", "setting", "n_subjects", "n_fits", "mean", "std",
            "mean/std"]
    if len(results) == 0:
        return pd.DataFrame(columns=cols)
    res = results.copy()
    if "dataset" not in res:
        res["dataset"] = ""
    keys = ["dataset", "table", "model", "setting"]
    rows = []
    for key, grp in res.groupby(keys, sort=False):
        per_subject = grp.groupby("subject")["accuracy"].mean() * 100
        mean = float(per_subject.mean())
        std = float(per_subject.std(ddof=0))
        rows.append(dict(zip(keys, key), n_subjects=int(len(per_subject)), n_fits=int(len(grp)),
                         mean=mean, std=std, **{"mean/std": f"{mean:.2f}/{std:.2f}"}))
    out = pd.DataFrame(rows, columns=cols)
    out["_order"] = out["table"].map(_table_key)
    out = out.sort_values("_order", kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def _md_table(header, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, sep] + body)


def _paper_value(dataset, table, model, setting):
    ref = PAPER_RESULTS.get(dataset, {})
    return ref.get((table, model, setting), ref.get((table, model, None), ""))


def format_summary(summary, *, markdown=False, paper=False):
    """Format a summary as one table per experiment (rows = models, columns = settings).

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarize`.
    markdown : bool
        Markdown (``##`` titles) instead of plain text.
    paper : bool
        Add the paper's values (real datasets only) as extra rows.

    Returns
    -------
    text : str
        The formatted tables.
    """
    blocks = []
    for dataset in dict.fromkeys(summary["dataset"]):
        sub_ds = summary[summary["dataset"] == dataset]
        for table in dict.fromkeys(sub_ds["table"]):
            sub = sub_ds[sub_ds["table"] == table]
            settings = list(dict.fromkeys(sub["setting"]))
            models = list(dict.fromkeys(sub["model"]))
            header = ["model"] + settings
            rows = []
            for model in models:
                row = [model]
                for setting in settings:
                    cell = sub[(sub["model"] == model) & (sub["setting"] == setting)]
                    row.append(cell["mean/std"].iloc[0] if len(cell) else "")
                rows.append(row)
            if paper and dataset in PAPER_RESULTS:
                for model in models:
                    vals = [_paper_value(dataset, str(table), model, s) for s in settings]
                    if any(vals):
                        rows.append([f"{model} (paper)"] + vals)
            n_sub = int(sub["n_subjects"].max())
            title = TABLE_TITLES.get(str(table), f"Table {table}")
            title = f"{title} [{dataset}, accuracy % mean/std over {n_sub} subject(s)]"
            if markdown:
                blocks.append(f"## {title}\n\n{_md_table(header, rows)}")
            else:
                blocks.append(f"{title}\n{_md_table(header, rows)}")
    return "\n\n".join(blocks) + "\n"


def write_tables(results, out_dir, *, paper=True):
    """Write ``results.csv``, ``summary.csv`` and ``summary.md`` to ``out_dir``.

    Returns
    -------
    summary : pandas.DataFrame
    files : list of pathlib.Path
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(results)
    files = [out_dir / "results.csv", out_dir / "summary.csv", out_dir / "summary.md"]
    from .._files import atomic_write_text  # every file replaced whole, never half-written

    atomic_write_text(results.to_csv(index=False), files[0])
    atomic_write_text(summary.to_csv(index=False, float_format="%.4f"), files[1])
    atomic_write_text(
        "# Multimodal MV-SSTMA results\n\n" + format_summary(summary, markdown=True, paper=paper),
        files[2],
    )
    return summary, files


# ---------------------------------------------------------------------------
# figures


def _figure(figsize):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _suptitle(fig, title):
    """A figure title wrapped to the figure's width (never cut off at its edges)."""
    import textwrap

    width = fig.get_figwidth() * fig.dpi  # pixels
    n_chars = max(20, int(width / 8.5))  # about 8 pixels per character of a 12-pt title
    fig.suptitle(textwrap.fill(title, n_chars))


def plot_subject_bars(results, fname, *, title=None, chance=None):
    """Grouped bars of per-subject accuracy (sessions averaged) for every model/setting.

    Parameters
    ----------
    results : pandas.DataFrame
        Per-fit results of one table.
    fname : path-like
        PNG file to write.
    title : str | None
        Figure title.
    chance : float | None
        Chance level (0..1) drawn as a dashed line.

    Returns
    -------
    fname : pathlib.Path
    """
    res = results.copy()
    if res["setting"].nunique() > 1:
        res["label"] = res["model"] + " | " + res["setting"]
    else:
        res["label"] = res["model"]
    per = res.groupby(["label", "subject"], sort=False)["accuracy"].mean().unstack("subject")
    labels = list(dict.fromkeys(res["label"]))
    per = per.loc[labels]
    subjects = list(per.columns)
    n_lab = len(labels)
    width = 0.8 / max(n_lab, 1)
    fig = _figure((max(6.0, 1.0 + 0.35 * n_lab * len(subjects)), 4.0))
    ax = fig.add_subplot()
    x = np.arange(len(subjects))
    for i, lab in enumerate(labels):
        ax.bar(x + (i - (n_lab - 1) / 2) * width, 100 * per.loc[lab].to_numpy(), width,
               label=lab)
    if chance is not None:
        ax.axhline(100 * chance, color="k", ls="--", lw=1, label="chance")
    ax.set_xticks(x, [f"sub {s}" for s in subjects])
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    if title:
        _suptitle(fig, title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fname = Path(fname)
    fig.savefig(fname, dpi=100)
    return fname


def plot_confusion_matrices(matrices, fname, *, class_names=None, title=None):
    """Row-normalised confusion matrices (summed over subjects) side by side.

    Parameters
    ----------
    matrices : dict of str -> ndarray, shape (n_classes, n_classes)
        Label (model / setting) -> confusion counts (rows true, columns
        predicted).
    fname : path-like
        PNG file to write.
    class_names : list of str | None
        Class names in matrix order.
    title : str | None
        Figure title.

    Returns
    -------
    fname : pathlib.Path

    Notes
    -----
    A class absent from the test trials has an empty row: its label says
    ``(not in test)`` and its cells show ``-``.
    """
    n = len(matrices)
    n_cols = min(n, 4)
    n_rows = int(np.ceil(n / n_cols))
    fig = _figure((3.2 * n_cols + 0.6, 3.2 * n_rows + 0.4))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    im = None
    for ax, (label, cm) in zip(axes.ravel(), matrices.items()):
        cm = np.asarray(cm, dtype=float)
        norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        im = ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
        k = cm.shape[0]
        names = class_names if class_names is not None and len(class_names) == k \
            else [str(i) for i in range(k)]
        ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize="small")
        # a class without test windows has an empty row: say so instead of showing zeros
        absent = cm.sum(axis=1) == 0
        ax.set_yticks(range(k), [f"{name}\n(not in test)" if empty else name
                                 for name, empty in zip(names, absent)], fontsize="small")
        for i in range(k):
            for j in range(k):
                ax.text(j, i, "-" if absent[i] else f"{100 * norm[i, j]:.0f}", ha="center",
                        va="center", fontsize="x-small",
                        color="w" if norm[i, j] > 0.5 else "k")
        acc = np.trace(cm) / max(cm.sum(), 1)
        ax.set_title(f"{label}\n({100 * acc:.1f}%)", fontsize="small")
        ax.set_xlabel("predicted", fontsize="small")
        ax.set_ylabel("true", fontsize="small")
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.6, label="fraction of true class")
    if title:
        _suptitle(fig, title)
    fname = Path(fname)
    fig.savefig(fname, dpi=100)
    return fname


def plot_results(results, out_dir, *, event_id=None):
    """Write per-subject bar charts and confusion matrices (PNG) for every table.

    Parameters
    ----------
    results : pandas.DataFrame
        Per-fit results (from :func:`run_protocol` or ``results.csv``).
    out_dir : path-like
        Folder of the PNG files.
    event_id : dict | None
        Emotion name -> label code, to name the confusion-matrix classes.

    Returns
    -------
    files : list of pathlib.Path
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    code_to_name = {v: k for k, v in (event_id or {}).items()}
    for table in dict.fromkeys(results["table"].astype(str)):
        sub = results[results["table"].astype(str) == table]
        n_classes = int(sub["n_classes"].max())
        title = TABLE_TITLES.get(table, f"Table {table}")
        files.append(plot_subject_bars(sub, out_dir / f"bars_table{table}.png", title=title,
                                       chance=1.0 / n_classes))
        matrices, names = {}, None
        for (model, setting), grp in sub.groupby(["model", "setting"], sort=False):
            total = None
            for cm_json, cls_json in zip(grp["confusion_matrix"], grp["classes"]):
                cm = np.asarray(json.loads(cm_json))
                classes = json.loads(cls_json)
                if total is None:
                    total, names = cm, classes
                elif cm.shape == total.shape and classes == names:
                    total = total + cm
            label = f"{model} | {setting}" if setting else model
            matrices[label] = total
        class_names = None if names is None else [str(code_to_name.get(c, c)) for c in names]
        files.append(plot_confusion_matrices(matrices, out_dir / f"confusion_table{table}.png",
                                             class_names=class_names, title=title))
    return files
