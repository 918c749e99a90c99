"""Model families. Importing this package registers every factory (and imports no
TensorFlow: factories reach Keras through `zoo._lazy`)."""

from zoo.models import lenet, linear, mlp

__all__ = ["lenet", "linear", "mlp"]
