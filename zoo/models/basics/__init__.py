"""The textbooks' first chapters: perceptron, linear and logistic regression, the MLP, and
ensembles of any classifiers. They take images or feature vectors."""
