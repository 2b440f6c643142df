"""PyTorch's ``torch.utils``: ``utils.data`` holds the datasets and the loader."""
