"""A small MLP on tabular features: deterministic seeds, CUDA when available, else CPU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelfleet.training.base import EpochLogger

if TYPE_CHECKING:
    import numpy as np


@dataclass
class TorchTabularModel:
    """The network plus the input scaling learnt on the training split."""

    network: Any
    mean: Any
    std: Any
    classification: bool
    y_scale: float = 1.0


class TorchTrainer:
    def fit(self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
            task: str, hyperparameters: dict[str, Any], seed: int, log_epoch: EpochLogger,
            groups_train: np.ndarray | None = None) -> TorchTabularModel:
        import numpy as np
        import torch
        from torch import nn

        torch.manual_seed(seed)
        torch.set_num_threads(1)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        hidden = int(hyperparameters.get("hidden_units", 32))
        epochs = int(hyperparameters.get("epochs", 8))
        lr = float(hyperparameters.get("lr", 1e-2))
        batch_size = int(hyperparameters.get("batch_size", 128))
        classification = task == "classification"
        mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
        y_scale = 1.0 if classification else float(np.abs(y_train).mean() or 1.0)

        def tensor(a: np.ndarray) -> Any:
            return torch.as_tensor(a, dtype=torch.float32, device=device)

        xt, yt = tensor((x_train - mean) / std), tensor(y_train / y_scale).reshape(-1, 1)
        xv, yv = tensor((x_valid - mean) / std), tensor(y_valid / y_scale).reshape(-1, 1)
        network = nn.Sequential(nn.Linear(xt.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)).to(device)
        loss_fn = nn.BCEWithLogitsLoss() if classification else nn.MSELoss()
        optimiser = torch.optim.Adam(network.parameters(), lr=lr)
        generator = torch.Generator(device="cpu").manual_seed(seed)
        for epoch in range(epochs):
            network.train()
            order = torch.randperm(len(xt), generator=generator).to(device)
            total = 0.0
            for start in range(0, len(xt), batch_size):
                batch = order[start:start + batch_size]
                optimiser.zero_grad()
                loss = loss_fn(network(xt[batch]), yt[batch])
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
            network.eval()
            with torch.no_grad():
                valid_loss = float(loss_fn(network(xv), yv))
            log_epoch(epoch, {"train_loss": total / len(xt), "valid_loss": valid_loss})
        return TorchTabularModel(network.to("cpu"), mean, std, classification, y_scale)

    def predict(self, model: TorchTabularModel, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            out = model.network(torch.as_tensor((x - model.mean) / model.std, dtype=torch.float32)).reshape(-1)
            return (torch.sigmoid(out) if model.classification else out * model.y_scale).numpy()

    def pip_requirements(self) -> list[str]:
        import torch

        return [f"torch=={torch.__version__.split('+')[0]}"]
