"""Tools for generative and unsupervised models: measuring autoencoders beside PCA and the
other classical answers (`zoo.generative.measure`)."""
