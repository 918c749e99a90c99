"""RMSprop and Adam in PyTorch's form, in which the reinforcement-learning reference
implementations (OpenAI Baselines' A2C, Stable-Baselines3) were tuned.

The two frameworks put epsilon in different places, and at the gradients an agent sees the
place matters:

- RMSprop (Tieleman and Hinton 2012, lecture 6.5): PyTorch steps lr * g / (sqrt(v) + eps),
  Keras lr * g / sqrt(v + eps). Stable-Baselines3's A2C uses eps = 1e-5. Under Keras's form no
  epsilon is the same guard: 1e-5 under the root makes the first steps up to 300 times
  smaller, and 1e-10 leaves a parameter whose gradient is near 1e-5 stepping up to twice as
  far as PyTorch's (the policy's first A2C update on CartPole-v1 differed from
  Stable-Baselines3's by a quarter of a step; with `PyTorchRMSprop`, by 3e-8:
  benchmarks/rl_vs_sb3.py records it).
- Adam (Kingma and Ba 2015): PyTorch adds eps to the bias-corrected root, sqrt(v_hat) + eps;
  Keras adds it before the correction (the paper's "epsilon hat" form), which is
  eps / sqrt(1 - beta2^t) in PyTorch's terms: 30 times PyTorch's at the first step with
  beta2 = 0.999. Stable-Baselines3's PPO uses eps = 1e-5.

Both keep Keras's optimizer machinery (learning-rate variables and schedules, gradient
clipping by `global_clipnorm`, checkpointable variables), and only the update differs.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class PyTorchRMSprop(keras.optimizers.Optimizer):
    """RMSprop as `torch.optim.RMSprop` (no momentum, not centred):
    v <- rho * v + (1 - rho) * g^2;  w <- w - lr * g / (sqrt(v) + epsilon)."""

    def __init__(self, learning_rate=1e-2, rho=0.99, epsilon=1e-8, name="pytorch_rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        velocity = self._velocities[self._get_variable_index(variable)]
        self.assign(velocity, ops.add(ops.multiply(self.rho, velocity),
                                      ops.multiply(1 - self.rho, ops.square(gradient))))
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient),
                                             ops.add(ops.sqrt(velocity), self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="zoo")
class PyTorchAdam(keras.optimizers.Optimizer):
    """Adam as `torch.optim.Adam` (no weight decay, no AMSGrad): epsilon is added to the
    bias-corrected root, w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)."""

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 name="pytorch_adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._velocities = self.add_optimizer_variables(var_list, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        step = ops.cast(self.iterations + 1, variable.dtype)
        first_correction = 1 - ops.power(ops.cast(self.beta_1, variable.dtype), step)
        second_correction = 1 - ops.power(ops.cast(self.beta_2, variable.dtype), step)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        root = ops.add(ops.sqrt(ops.divide(v, second_correction)), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(lr, ops.divide(m, first_correction)),
                                             root))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
