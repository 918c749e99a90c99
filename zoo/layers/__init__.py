"""Reusable Keras layers shared by several families. Importing this package imports Keras;
model modules import it inside their factories so that reading the registry stays light."""

from zoo.layers.linear import AppendBias, SignStraightThrough

__all__ = ["AppendBias", "SignStraightThrough"]
