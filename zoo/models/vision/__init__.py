"""Image classifiers: LeNet to Xception, one module per family, with keras.applications'
arguments (`input_shape`, `num_classes`, `include_top`, `pooling`, `classifier_activation`,
`weights`)."""
