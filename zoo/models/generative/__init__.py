"""Generative and unsupervised models: autoencoders (and, as the domain grows, VAEs, GANs,
RBMs)."""
