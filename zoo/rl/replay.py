"""Experience replay: a fixed-size ring buffer of transitions, sampled uniformly.

Lin (1992), "Self-improving reactive agents based on reinforcement learning, planning and
teaching", Machine Learning 8; Mnih et al. (2015), Nature 518. Learning from random past
transitions instead of the latest ones breaks the correlation between consecutive updates and
reuses each experience many times. Once full, the oldest transition is overwritten.

A buffer is plain numpy, so a checkpoint stores it as arrays (`state`, `from_state`) and a
resumed run samples exactly what an uninterrupted one would have.
"""

from __future__ import annotations

import numpy as np

from zoo import _validate

FIELDS = ("observation", "action", "reward", "next_observation", "terminated")


class ReplayBuffer:
    """Transitions (s, a, r, s', terminated) in preallocated arrays.

    `terminated` is True only where the environment reached a terminal state; an episode cut
    off by a time limit is stored as not terminated, so its last value still bootstraps.
    """

    def __init__(self, capacity: int, observation_shape: tuple[int, ...]):
        self.capacity = _validate.positive_int("capacity", capacity)
        shape = (self.capacity, *observation_shape)
        self._arrays = {
            "observation": np.zeros(shape, np.float32),
            "action": np.zeros(self.capacity, np.int64),
            "reward": np.zeros(self.capacity, np.float32),
            "next_observation": np.zeros(shape, np.float32),
            "terminated": np.zeros(self.capacity, np.float32),
        }
        self._position = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, observation, action: int, reward: float, next_observation,
            terminated: bool) -> None:
        i = self._position
        self._arrays["observation"][i] = observation
        self._arrays["action"][i] = action
        self._arrays["reward"][i] = reward
        self._arrays["next_observation"][i] = next_observation
        self._arrays["terminated"][i] = terminated
        self._position = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """`batch_size` transitions drawn uniformly with replacement, as a dict of arrays."""
        if self._size == 0:
            raise ValueError("the replay buffer is empty: add transitions before sampling.")
        index = rng.integers(self._size, size=batch_size)
        return {name: array[index] for name, array in self._arrays.items()}

    def state(self) -> dict[str, np.ndarray]:
        """Everything needed to rebuild the buffer, as arrays (for `np.savez`)."""
        return {**{name: array[:self._size] for name, array in self._arrays.items()},
                "position": np.array(self._position), "capacity": np.array(self.capacity)}

    @classmethod
    def from_state(cls, state) -> ReplayBuffer:
        observations = state["observation"]
        buffer = cls(int(state["capacity"]), observations.shape[1:])
        size = len(observations)
        for name in FIELDS:
            buffer._arrays[name][:size] = state[name]
        buffer._size, buffer._position = size, int(state["position"])
        return buffer
