"""Worker of tests/test_distributed.py: fits the estimators, rank 0 saves the results.

Run as ``torchrun --standalone --nproc-per-node N ddp_worker.py DATA.npz OUT.pt SHUFFLE``
(or with plain ``python`` for one process).
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mne_mmvsstma.training import EmotionClassifier, Pretrainer, distributed  # noqa: E402

torch.set_num_threads(1)
data = np.load(sys.argv[1])
out, shuffle = sys.argv[2], sys.argv[3] == "1"
kw = dict(emb_dim=8, n_layers=1, n_heads=2, head_dim=4, batch_size=int(data["batch_size"]),
          max_epochs=3, lr=3e-3, random_state=0, iterator_train__shuffle=shuffle)
pre = Pretrainer(n_decoder_layers=1, **kw).fit(data["eeg"])
# gradient training only (the closed-form probe sees the duplicated windows of the 2-process
# test as a twice larger sample, i.e. half the regularisation)
clf = EmotionClassifier(fusion="attention", pretrained={"eeg": pre}, train_split=None,
                        probe_C=None, **kw).fit({"eeg": data["eeg"], "eye": data["eye"]}, data["y"])
gathered = [None] * distributed.world_size()
state = {k: v.detach().cpu() for k, v in clf.module_.state_dict().items()}
if distributed.is_distributed():
    torch.distributed.all_gather_object(gathered, state)
else:
    gathered = [state]
if distributed.is_main_process():
    torch.save({
        "pretrain": {k: v.detach().cpu() for k, v in pre.module_.state_dict().items()},
        "pretrain_loss": [float(v) for v in pre.history[:, "train_loss"]],
        "finetune": state,
        "finetune_loss": [float(v) for v in clf.history[:, "train_loss"]],
        "ranks": gathered,
        "world_size": distributed.world_size(),
    }, out)
