"""Text classifiers that take raw strings: the vectoriser is the model's first layer, adapted
on the training split by `zoo.train` (see `zoo.layers.text`), so a trained model and its
SavedModel serve strings. Bag-of-words MLPs, a bag of embeddings, Kim's CNN, recurrent
networks and a Transformer encoder, each trained by its recipe on Reuters R8."""
