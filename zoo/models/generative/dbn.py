"""A deep belief network on MNIST, a `zoo.generative.dbn.DeepBeliefNetwork`: a 784-500-500-500
stack of RBMs, pretrained greedily by CD-1 (ten epochs per layer) and fine-tuned with a
softmax read-out by backpropagation. `benchmarks/dbn.py` trains it beside the same network
from random initialisation (`pretrain_epochs=0`).

Hinton, Osindero and Teh (2006) topped their stack with 2,000 units. Here an RBM of 2,000
hidden units on the second layer's probabilities turned every hidden unit off within an
epoch of CD-1 at the learning rate of 0.05 that trains the 500-unit ones (at 0.02 its units
barely varied from image to image), so the top layer has 500 units like the others.
"""

from zoo.registry import Recipe, Reference, register, search_space

HINTON_2006 = Reference("A fast learning algorithm for deep belief nets",
                        "Hinton, G. E., Osindero, S. and Teh, Y.-W.", 2006,
                        "https://doi.org/10.1162/neco.2006.18.7.1527")

# SGD for both starts, in the regime where pretraining was shown to help: sigmoid networks
# this deep learn slowly from random weights with it. Momentum 0.9 at 0.1 on batches of 100
# takes about the steps of the Theano DBN tutorial's plain 0.1 on batches of 10; plain 0.1 on
# batches of 100 was still improving after 30 epochs (2.43% test error pretrained, 4.81%
# from random weights).
RECIPE = Recipe(loss="sparse_categorical_crossentropy", metrics=("accuracy",), optimizer="sgd",
                learning_rate=0.1, optimizer_options={"momentum": 0.9}, epochs=50,
                batch_size=100, monitor="val_accuracy", patience=6)


def dbn_space(hp) -> dict:
    """The stack's depth and width and the Gibbs steps of its contrastive divergence:
    Hinton, Osindero and Teh (2006) stack three layers, and the number of hidden units and
    CD-k are the model's choices in Hinton's practical guide to RBMs (2010). The
    pretraining's epochs and rate are its training, so they stay."""
    layers = hp.Int("layers", 1, 3, default=3)
    units = hp.Choice("units", [250, 500, 1000], default=500)
    return {"hidden_units": (units,) * layers, "cd_steps": hp.Int("cd_steps", 1, 3)}


@search_space(dbn_space)
@register("dbn", family="dbn", task="image-classification", api="subclass",
          input_shape=(28, 28, 1), input_name="image", dataset="mnist", num_classes=10,
          recipe=RECIPE, reference=HINTON_2006)
def dbn(input_shape=(28, 28, 1), num_classes=10, hidden_units=(500, 500, 500),
        pretrain_epochs=10, pretrain_learning_rate=0.05, cd_steps=1, seed=None, name="dbn"):
    """A deep belief network classifier: three sigmoid layers of 500 units that
    start as a stack of RBMs trained greedily by CD-1, and a softmax read-out; fine-tuned
    by backpropagation. `pretrain_epochs=0` builds the same network from random weights."""
    from zoo.generative.dbn import DeepBeliefNetwork

    return DeepBeliefNetwork(input_shape, hidden_units, num_classes, pretrain_epochs,
                             pretrain_learning_rate, cd_steps, seed, name=name)
