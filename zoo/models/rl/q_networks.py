"""Q-networks: an observation in, the value of each action out (Mnih et al. 2015, "Human-level
control through deep reinforcement learning", Nature 518). DQN (`zoo.rl.dqn`) trains one
against a periodically copied target network; the greedy policy takes the argmax.

For the vector observations of classic control (CartPole's 4 numbers) the network is a
multilayer perceptron, as in Stable-Baselines3's `MlpPolicy`: a plain stack, so a
`keras.Sequential`. The output layer is linear, since action values are unbounded returns.
"""

from zoo import _validate
from zoo._lazy import keras
from zoo.models._common import check_activation
from zoo.registry import Recipe, Reference, register, search_space

DQN = Reference("Human-level control through deep reinforcement learning",
                "Mnih, V., Kavukcuoglu, K., Silver, D., Rusu, A. A., Veness, J., Bellemare, "
                "M. G., Graves, A., Riedmiller, M., et al.", 2015,
                "https://doi.org/10.1038/nature14236")


def q_network_space(hp) -> dict:
    """Depth, width and activation of the MLP, around its two layers of 256 ReLU units: for
    CartPole's four numbers the network's size is the model's share of DQN's settings (the
    agent's are Mnih et al.'s, 2015, extended data table 1, in `zoo.rl.dqn.DQNConfig`)."""
    layers = hp.Int("layers", 1, 3, default=2)
    units = hp.Choice("units", [64, 128, 256, 512], default=256)
    return {"hidden_units": (units,) * layers,
            "activation": hp.Choice("activation", ["relu", "tanh"])}


@search_space(q_network_space)
@register(
    "q_network", family="q_network", task="action-values", api="sequential",
    input_shape=(4,), input_name="observation", dataset="CartPole-v1",
    # What DQN's gradient steps use: the Huber loss of Mnih et al. (their error clipping),
    # Adam, and the replay batch size. The agent's other settings are `zoo.rl.dqn.DQNConfig`.
    recipe=Recipe(loss="huber", learning_rate=1e-3, batch_size=64, epochs=1, monitor=None),
    reference=DQN,
)
def q_network(input_shape=(4,), num_actions=2, hidden_units=(256, 256), activation="relu",
              name="q_network"):
    """A multilayer perceptron from a vector observation to one value per action."""
    _validate.shape("input_shape", input_shape, rank=1)
    _validate.positive_int("num_actions", num_actions)
    hidden_units = _validate.widths("hidden_units", hidden_units)
    check_activation(activation)
    return keras.Sequential(
        [keras.Input(shape=tuple(input_shape), name="observation"),
         *[keras.layers.Dense(units, activation=activation, name=f"dense_{index}")
           for index, units in enumerate(hidden_units, start=1)],
         keras.layers.Dense(num_actions, name="q_values")],
        name=name,
    )
