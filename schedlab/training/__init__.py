"""The short MNIST run: data, models, the training loop."""
