"""The PyTorch (eager) side of bench/gpu.sh: trains the same models as the mlpc specs beside it,
on the same IDX data, split and preprocessing, with the same batch size, optimizer and epochs,
and prints one JSON line: samples/s over the training epochs (validation excluded) and the
validation accuracy and cumulative training time after each epoch.

usage: python3 torch_train.py DATA_DIR {table,lenet} {cpu,cuda} {f32,bf16} EPOCHS
"""

import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

BATCH = {"table": 1024, "lenet": 128}
LR = {"table": 1e-3, "lenet": 1e-3}
CHUNK = 4096


def read_idx(path):
    with open(path, "rb") as f:
        _, _, code, ndim = struct.unpack(">BBBB", f.read(4))
        shape = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        dtype = {0x08: np.uint8, 0x0D: np.dtype(">f4")}[code]
        return np.frombuffer(f.read(), dtype=dtype).reshape(shape).astype(np.float32)


def split(n, seed=0):
    order = np.random.default_rng(seed).permutation(n)
    train, val = int(n * 0.8), int(n * 0.1)
    return order[:train], order[train : train + val]


def model_for(workload):
    if workload == "table":
        return nn.Sequential(nn.Linear(100, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1))
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def main():
    data, workload, device, precision, epochs = sys.argv[1:6]
    epochs = int(epochs)
    if device == "cpu":
        torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    prefix = "table" if workload == "table" else "images"
    x = read_idx(os.path.join(data, f"{prefix}-x.idx"))
    y = read_idx(os.path.join(data, f"{prefix}-y.idx"))
    train, val = split(len(y))
    if workload == "lenet":
        x = x.reshape(len(x), 1, 28, 28)
        mean, std = x[train].mean(), x[train].std()
    else:
        mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    x = (x - mean) / std  # z-score fitted on the training rows, as the mlpc specs do
    dev = torch.device(device)
    x_train, y_train = torch.tensor(x[train], device=dev), torch.tensor(y[train], device=dev)
    x_val, y_val = torch.tensor(x[val], device=dev), torch.tensor(y[val], device=dev)
    model = model_for(workload).to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR[workload])
    loss_fn = nn.BCEWithLogitsLoss() if workload == "table" else nn.CrossEntropyLoss()
    autocast = torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision == "bf16")
    batch = BATCH[workload]
    n = len(train)
    history, training = [], 0.0
    for epoch in range(1, epochs + 1):
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        model.train()
        order = torch.randperm(n, device=dev)
        total = torch.zeros((), device=dev)
        for start in range(0, n, batch):
            index = order[start : start + batch]
            xb, yb = x_train[index], y_train[index]
            with autocast:
                out = model(xb)
                loss = loss_fn(out.squeeze(1), yb) if workload == "table" else loss_fn(out, yb.long())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)
        train_loss = float(total) / n  # one host read per epoch, as mlpc does on a GPU
        training += time.perf_counter() - started
        model.eval()
        correct = 0
        with torch.no_grad(), autocast:
            for start in range(0, len(val), CHUNK):
                out = model(x_val[start : start + CHUNK]).float()
                truth = y_val[start : start + CHUNK]
                guess = (out.squeeze(1) > 0).float() if workload == "table" else out.argmax(1).float()
                correct += int((guess == truth).sum())
        history.append({"epoch": epoch, "seconds": training, "val_accuracy": correct / len(val), "train_loss": train_loss})
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    print(json.dumps({
        "tool": "pytorch " + torch.__version__, "workload": workload, "device": device, "gpu": name,
        "precision": precision, "samples_per_second": n * epochs / training, "epochs": history,
    }))


if __name__ == "__main__":
    main()
